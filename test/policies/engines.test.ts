/**
 * Three engines, one answer: every policy with a K8sNativeValidation block is evaluated by its Rego
 * (gator with the CEL driver off), by its CEL (gator's K8sNativeValidation driver, what Gatekeeper
 * runs when both are present) and by opa-wasm (`agentguard check`), over its samples and a generated
 * corpus. Every case asserts the exact messages, so one disagreement in verdict or wording fails.
 */
import { App } from 'cdk8s';
import fc from 'fast-check';
import { defineFleet } from '../../lib/fleet/validate';
import { policyCatalog } from '../../policies/catalog';
import { celAsRego, CEL_JOINS_MESSAGES, CEL_UNSUPPORTED, templateCelSource } from '../../policies/cel';
import { appliedConstraints, constraintMatches } from '../../policies/match';
import { policyParameters, type PackParameters } from '../../policies/parameters';
import { PolicyConstraints } from '../../policies/policy-pack';
import { loadSamples } from '../../policies/samples';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { CelPackEvaluator } from '../../policies/cel-eval';
import { admissionRequest, admissionRequests } from '../support/arbitraries';
import { EXPOSURE_WRITER, exposureFleet } from '../support/fleets';
import { gatorFailures, gatorVerify, type GatorCase } from '../support/gator';
import { AGENTS, exampleConstraints, exampleParameters, KINDS, request } from '../support/reviews';

const PER_POLICY = 250;
/** Generated cases gator's CEL driver evaluates for the pod policies (see below); WASM and offline CEL take all. */
const GATOR_POD_CASES = 60;
/**
 * Generated cases gator's CEL driver evaluates for the other policies: as many as the differential
 * suite gives gator's Rego (150); WASM and the offline CEL evaluator take all 250.
 */
const GATOR_CEL_CASES = 150;

const celPolicies = policyCatalog().filter((p) => templateCelSource(p.template));
const constraints = new Map(appliedConstraints(exampleConstraints()).map((c) => [c.policy.folder, c]));

/** Samples (their expected messages) and generated reviews (WASM's messages, after the constraint's match). */
async function cases(folder: string, seed: number): Promise<{ cases: GatorCase[]; denied: number }> {
  const parameters = exampleParameters()[folder as keyof PackParameters];
  const constraint = constraints.get(folder);
  if (!constraint) throw new Error(`no constraint for rego/${folder}`);
  const out: GatorCase[] = [];
  let denied = 0;
  for (const s of loadSamples(folder)) {
    // WASM must agree with the sample too, so all three engines answer the same question.
    expect(messages(await regoPack.evaluate(folder, s.request, parameters))).toEqual([...s.expected].sort());
    out.push({
      name: `sample ${s.file}`,
      request: s.request as Record<string, unknown>,
      messages: s.expected,
    });
  }
  for (const [i, review] of fc.sample(admissionRequest, { numRuns: PER_POLICY, seed }).entries()) {
    const found = constraintMatches(constraint.match, review)
      ? messages(await regoPack.evaluate(folder, review, parameters))
      : [];
    if (found.length > 0) denied += 1;
    out.push({ name: `generated ${i}`, request: review, messages: found });
  }
  return { cases: out, denied };
}

const failures = (run: { stdout: string; stderr: string }): string[] =>
  gatorFailures(run, /FAIL|expected|got|error/i);

describe('CEL beside Rego', () => {
  it('covers every policy except the ones CEL_UNSUPPORTED names, each with a reason', () => {
    const withCel = celPolicies.map((p) => p.folder);
    const without = policyCatalog()
      .map((p) => p.folder)
      .filter((f) => !withCel.includes(f));
    expect(without.sort()).toEqual(Object.keys(CEL_UNSUPPORTED).sort());
    expect(celPolicies.map((p) => p.id).sort()).toEqual(expect.arrayContaining(['AG601']));
  });

  it('keeps the Rego first and never lets Gatekeeper generate a ValidatingAdmissionPolicy itself', () => {
    for (const p of celPolicies) {
      const code = (p.template as { spec: { targets: { code: { engine: string }[] }[] } }).spec.targets[0]
        .code;
      expect(code.map((c) => c.engine)).toEqual(['Rego', 'K8sNativeValidation']);
      expect(templateCelSource(p.template)?.generateVAP).toBe(false);
      // Every policy ID the CEL spells is its own: messages never borrow another policy's ID.
      const text = JSON.stringify(templateCelSource(p.template));
      expect([...new Set(text.match(/\[AG\d{3}\]/g))]).toEqual([`[${p.id}]`]);
    }
  });
});

describe.each(celPolicies.map((p, i) => [p.folder, p.id, i] as const))(
  'rego/%s (%s): Rego, CEL and WASM',
  (folder, _id, index) => {
    const joins = folder in CEL_JOINS_MESSAGES;
    let suite: { cases: GatorCase[]; denied: number };
    /** The same cases with the offline CEL evaluator's messages. */
    let celSuite: GatorCase[];
    beforeAll(async () => {
      suite = await cases(folder, 7000 + index);
      const cel = new CelPackEvaluator(regoPack);
      const parameters = exampleParameters()[folder as keyof PackParameters];
      const constraint = constraints.get(folder);
      celSuite = [];
      for (const c of suite.cases) {
        const selected = !constraint || constraintMatches(constraint.match, c.request);
        const found = selected ? messages(await cel.evaluate(folder, c.request, parameters)) : [];
        celSuite.push({ ...c, messages: found });
      }
    });

    it('the corpus denies some and allows some', () => {
      expect(suite.cases.length).toBeGreaterThan(PER_POLICY);
      expect(suite.denied).toBeGreaterThan(0);
    });

    it(
      joins
        ? 'offline CEL (@bufbuild/cel, `check --engine cel`) gives exactly WASM’s messages on every case, once its joined messages are split'
        : 'offline CEL (@bufbuild/cel, `check --engine cel`) gives exactly WASM’s messages on every case',
      () => {
        const differ: string[] = [];
        let joined = 0;
        for (const [i, c] of suite.cases.entries()) {
          const got = celSuite[i].messages;
          if (got.some((m) => m.includes('; ['))) joined += 1;
          const asRego = joins ? celAsRego(got) : [...got].sort();
          if (JSON.stringify(asRego) !== JSON.stringify([...new Set(c.messages)].sort()))
            differ.push(`${c.name}: ${got.join(' | ')}`);
        }
        expect(differ.slice(0, 10)).toEqual([]);
        // Only the policies CEL_JOINS_MESSAGES names join messages, and they really do.
        if (joins) expect(joined).toBeGreaterThan(0);
        else expect(joined).toBe(0);
      },
    );

    const gatorCases = joins ? GATOR_POD_CASES : GATOR_CEL_CASES;
    it(`gator (cel) gives exactly the offline CEL evaluator’s messages on the samples and ${gatorCases} generated cases`, () => {
      // gator builds a client, and so compiles the template's CEL, for every case: the pod
      // policies' CEL (tens of kilobytes) costs about half a second each on two cores.
      const samples = celSuite.filter((c) => c.name.startsWith('sample '));
      const generated = celSuite.filter((c) => !c.name.startsWith('sample '));
      const subset = [...samples, ...generated.slice(0, gatorCases)];
      // The subset denies some and allows some, so gator's CEL has both answers to get right.
      expect(subset.some((c) => c.messages.length > 0)).toBe(true);
      expect(subset.some((c) => c.messages.length === 0)).toBe(true);
      const run = gatorVerify(new Map([[folder, subset]]), undefined, 'cel');
      expect(failures(run).slice(0, 20)).toEqual([]);
      expect(run.status).toBe(0);
    });

    // WASM is the pivot: offline CEL and gator's CEL are held to it above, and gator's Rego is held to
    // it on 1,500 generated reviews by differential.test.ts. Here gator's Rego takes the samples only,
    // since gator compiles the template for every case and a second generated corpus would double the
    // cost of the slowest file in the suite without a pair of engines that is not already compared.
    it('gator (rego) gives exactly WASM’s messages on every sample', () => {
      const samples = suite.cases.filter((c) => c.name.startsWith('sample '));
      expect(samples.length).toBeGreaterThan(0);
      const run = gatorVerify(new Map([[folder, samples]]), undefined, 'rego');
      expect(failures(run).slice(0, 20)).toEqual([]);
      expect(run.status).toBe(0);
    });
  },
);

/**
 * The example fleet gives no agent any exposure, so AG203's IngressClass rules and everything a
 * target allows (a listed type, range, class, TLS Secret, default backend) need a fleet that does:
 * its writer's Services and Ingresses, in shop (where it may expose a little) and elsewhere, by the
 * same three engines. Together with the corpus above, every AG203 rule denies at least once.
 */
describe('rego/agent-exposure (AG203) with a fleet that allows some exposure: Rego, CEL and WASM', () => {
  const fleet = defineFleet(exposureFleet());
  const exposure = { name: 'exposure', constraints: new PolicyConstraints(new App(), 'exposure', { fleet }) };
  const parameters = policyParameters(fleet, 'agent-exposure');
  const constraint = appliedConstraints(exposure.constraints).find(
    (c) => c.policy.folder === 'agent-exposure',
  );
  const RULES = [
    /: status may not be written by an agent/,
    /: spec\.externalIPs .* may not be set/,
    /: spec\.type .* is not allowed/,
    /: spec\.loadBalancerSourceRanges must list/,
    /: spec\.loadBalancerSourceRanges .* is not allowed/,
    /: metadata\.annotations\[.*\] is not allowed: it has the ingress controller/,
    /: spec\.tls\[\]\.secretName .* is not allowed/,
    /: spec\.tls must be a list/,
    /: spec\.defaultBackend may not be set/,
    /: spec\.backend may not be set/,
    /: spec\.defaultBackend\.resource may not be set/,
    /: spec\.backend\.resource may not be set/,
    /: spec\.rules\[\]\.http\.paths\[\]\.backend\.resource may not be set/,
    /: spec\.ingressClassName .* is not allowed: use an IngressClass/,
    /: metadata\.annotations\["kubernetes\.io\/ingress\.class"\] .* is not allowed: use an IngressClass/,
    /: spec\.ingressClassName must be set/,
  ];
  let wasm: GatorCase[];
  let celCases: GatorCase[];
  beforeAll(async () => {
    if (!constraint) throw new Error('no AG203 constraint for the exposure fleet');
    const requests = fc.sample(
      admissionRequests({
        users: [EXPOSURE_WRITER, EXPOSURE_WRITER, EXPOSURE_WRITER, AGENTS.releaseBot],
        // shop, where the writer may expose a little; catalog, a target that allows nothing; others.
        namespaces: ['shop', 'shop', 'shop', 'catalog', 'payments', undefined],
        kinds: [
          KINDS.service,
          { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses' },
          { group: 'extensions', version: 'v1beta1', kind: 'Ingress', resource: 'ingresses' },
        ],
      }),
      { numRuns: PER_POLICY, seed: 7203 },
    );
    const cel = new CelPackEvaluator(regoPack);
    wasm = [];
    celCases = [];
    for (const [i, review] of requests.entries()) {
      const selected = constraintMatches(constraint.match, review);
      const name = `exposure ${i}`;
      wasm.push({
        name,
        request: review,
        messages: selected ? messages(await regoPack.evaluate('agent-exposure', review, parameters)) : [],
      });
      celCases.push({
        name,
        request: review,
        messages: selected ? messages(await cel.evaluate('agent-exposure', review, parameters)) : [],
      });
    }
  });

  it('the corpus allows some, and every AG203 rule denies at least once', () => {
    const all = wasm.flatMap((c) => c.messages);
    expect(wasm.filter((c) => c.messages.length === 0).length).toBeGreaterThan(PER_POLICY / 10);
    expect(RULES.filter((rule) => !all.some((m) => rule.test(m)))).toEqual([]);
  });

  it('offline CEL gives exactly WASM’s messages on every case, once its joined messages are split', () => {
    const differ = wasm
      .map((c, i) => [c, celCases[i]] as const)
      .filter(
        ([w, c]) => JSON.stringify(celAsRego(c.messages)) !== JSON.stringify([...new Set(w.messages)].sort()),
      )
      .map(([, c]) => `${c.name}: ${c.messages.join(' | ')}`);
    expect(differ.slice(0, 10)).toEqual([]);
    expect(celCases.some((c) => c.messages.some((m) => m.includes('; [AG203] ')))).toBe(true);
  });

  it('gator (cel) gives exactly the offline CEL evaluator’s messages on every case', () => {
    const run = gatorVerify(new Map([['agent-exposure', celCases]]), exposure, 'cel');
    expect(failures(run).slice(0, 20)).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('gator (rego) gives exactly WASM’s messages on every case', () => {
    const run = gatorVerify(new Map([['agent-exposure', wasm]]), exposure, 'rego');
    expect(failures(run).slice(0, 20)).toEqual([]);
    expect(run.status).toBe(0);
  });
});

describe('the documented intentional differences', () => {
  it('AG202: StatefulSet claims up to the agent’s cap, whatever spec.replicas says, in both (CEL lists ordinals from a literal 0–99)', async () => {
    const sts = request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets' },
      namespace: 'shop',
      name: 'db',
      object: {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'shop' },
        spec: { replicas: 70, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] },
      },
    });
    const parameters = exampleParameters()['agent-pods'];
    const claims = (n: number) => Array.from({ length: n }, (_, i) => `data-db-${i}`).join(', ');
    const message = (n: number) =>
      `[AG202] agent release-bot may not write statefulsets.apps shop/db: spec.volumeClaimTemplates["data"] makes claims ${claims(n)}, which would take over existing claims of those names; list them in spec.agents[release-bot].targets[shop].pods.persistentVolumeClaims (allowed: none)`;
    // release-bot's cap is 6: claims 0–5, not 70 of them.
    expect(messages(await regoPack.evaluate('agent-pods', sts, parameters))).toEqual([message(6)]);
    const cel = new CelPackEvaluator(regoPack);
    expect(messages(await cel.evaluate('agent-pods', sts, parameters))).toEqual([message(6)]);
  });

  it('AG701: one rule’s messages come joined, each part the Rego’s', async () => {
    const [sample] = loadSamples('hardened-pods').filter((s) => s.verdict === 'denied');
    const parameters = exampleParameters()['hardened-pods'];
    const joined = messages(
      await new CelPackEvaluator(regoPack).evaluate('hardened-pods', sample.request, parameters),
    );
    expect(joined.length).toBeLessThan(sample.expected.length);
    expect(celAsRego(joined)).toEqual([...sample.expected].sort());
  });
});

describe('AG203’s documented differences', () => {
  const service = (spec: Record<string, unknown>) =>
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: KINDS.service,
      namespace: 'shop',
      name: 'web',
      object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec },
    });
  const parameters = () => exampleParameters()['agent-exposure'];
  const message = (shown: string) =>
    `[AG203] agent release-bot may not write services shop/web: spec.externalIPs ${shown} may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it`;

  it('one rule’s messages (per range, annotation, TLS Secret) come joined, each part the Rego’s', async () => {
    const ranges = service({
      type: 'LoadBalancer',
      loadBalancerSourceRanges: ['0.0.0.0/0', '198.51.100.0/24'],
    });
    const rego = messages(await regoPack.evaluate('agent-exposure', ranges, parameters()));
    const cel = messages(
      await new CelPackEvaluator(regoPack).evaluate('agent-exposure', ranges, parameters()),
    );
    expect(rego).toHaveLength(3);
    expect(cel).toHaveLength(2);
    expect(celAsRego(cel)).toEqual(rego);
  });

  it('a value nested two levels deep in a field the API server types is written [...] or {...}: the same verdict, not the same text', async () => {
    const nested = service({ externalIPs: [['8.8.8.8'], { ip: '8.8.8.8' }] });
    expect(messages(await regoPack.evaluate('agent-exposure', nested, parameters()))).toEqual([
      message('[["8.8.8.8"],{"ip":"8.8.8.8"}]'),
    ]);
    expect(
      messages(await new CelPackEvaluator(regoPack).evaluate('agent-exposure', nested, parameters())),
    ).toEqual([message('[[...],{...}]')]);
    // One level deep, as every malformed value the attack suite sends, the text is the Rego's.
    const flat = service({ externalIPs: { ip: '8.8.8.8' } });
    expect(
      messages(await new CelPackEvaluator(regoPack).evaluate('agent-exposure', flat, parameters())),
    ).toEqual(messages(await regoPack.evaluate('agent-exposure', flat, parameters())));
  });
});

describe('the CEL check can fail', () => {
  it('the offline evaluator gives the Rego’s answer for a malformed agent entry, and nothing for a stranger', async () => {
    const cel = new CelPackEvaluator(regoPack);
    const request = {
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:a:b' },
      resource: { resource: 'pods' },
      kind: { kind: 'Pod' },
    };
    // An agent entry that is not a map: it has no engagedBy, so both fall back to "an operator".
    const malformed = { agents: { 'system:serviceaccount:a:b': 'engaged' } };
    const found = messages(await cel.evaluate('kill-switch', request, malformed));
    expect(found).toEqual([
      '[AG601] agent b is stopped: its kill switch was engaged by an operator (no reason recorded); every request is denied until the fleet releases it',
    ]);
    expect(messages(await regoPack.evaluate('kill-switch', request, malformed))).toEqual(found);
    expect(await cel.evaluate('kill-switch', request, { agents: {} })).toEqual([]);
  });

  it('gator runs the CEL block, not the Rego, when both are present', () => {
    const policy = celPolicies.find((p) => p.folder === 'kill-switch');
    if (!policy) throw new Error('kill-switch has no CEL');
    const [sample] = loadSamples('kill-switch').filter((s) => s.verdict === 'denied');
    // The same template with the CEL message changed: CEL now disagrees with the sample, Rego does not.
    const changed = structuredClone(policy.template) as {
      spec: {
        targets: { code: { engine: string; source: { validations: { messageExpression: string }[] } }[] }[];
      };
    };
    const cel = changed.spec.targets[0].code.find((c) => c.engine === 'K8sNativeValidation');
    if (!cel) throw new Error('no K8sNativeValidation block');
    cel.source.validations[0].messageExpression = `'[AG601] changed'`;
    const suite = new Map([
      [
        'kill-switch',
        [{ name: 'denied', request: sample.request as Record<string, unknown>, messages: sample.expected }],
      ],
    ]);
    const templates = new Map([['kill-switch', changed as unknown as Record<string, unknown>]]);
    const cel1 = gatorVerify(suite, undefined, 'cel', templates);
    expect(cel1.status).not.toBe(0);
    expect(cel1.stdout + cel1.stderr).toMatch(/AG601\] changed/);
    expect(gatorVerify(suite, undefined, 'rego', templates).status).toBe(0);
  });
});
