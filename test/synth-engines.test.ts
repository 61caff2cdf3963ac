/**
 * `spec.engine`: gatekeeper (the default) writes the Gatekeeper pack only and is byte-identical to a
 * fleet that does not say; vap writes dist/vap/ instead; both writes the two. The VAP objects validate
 * with the real kubeconform, carry the template's CEL unchanged after the inlined parameters, and map
 * each enforcement action to its validationActions.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { policyByFolder } from '../policies/catalog';
import { templateCelSource } from '../policies/cel';
import { celLiteral } from '../policies/vap';
import { KUBERNETES_VERSIONS, REPO_ROOT } from '../tools/toolchain';
import { tree } from './support/files';
import { kubeconform } from './support/tools';

const EXAMPLE = join(REPO_ROOT, 'examples', 'fleet.yaml');
const BIN = join(REPO_ROOT, 'bin', 'agentguard.js');
const work = mkdtempSync(join(tmpdir(), 'agentguard-engines-'));

/** Synthesizes the example fleet with `extra` lines added under spec:, into work/<name>. */
function synthWith(name: string, extra: string): string {
  const dir = join(work, name);
  const fleet = join(work, `${name}.yaml`);
  writeFileSync(fleet, readFileSync(EXAMPLE, 'utf8').replace(/^spec:\n/m, `spec:\n${extra}`));
  cpSync(join(REPO_ROOT, 'examples', 'fleet.lock.yaml'), join(work, `${name}.lock.yaml`));
  const run = spawnSync(process.execPath, [BIN, 'synth', '--fleet', fleet, '--out', dir], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`synth failed:\n${run.stderr}${run.stdout}`);
  return dir;
}

interface Vap {
  kind: string;
  metadata: { name: string };
  spec: {
    validationActions?: string[];
    policyName?: string;
    variables?: { name: string; expression: string }[];
    validations?: unknown[];
    matchConditions?: { name: string; expression: string }[];
    matchConstraints?: { resourceRules: { operations: string[]; resources: string[] }[] };
  };
}
const objects = (file: string): Vap[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Vap);

describe('spec.engine', () => {
  let plain: string, gatekeeper: string, vap: string, both: string;
  beforeAll(() => {
    plain = synthWith('plain', '');
    gatekeeper = synthWith('gatekeeper', '  engine: gatekeeper\n');
    vap = synthWith('vap', '  engine: vap\n');
    both = synthWith('both', '  engine: both\n');
  });

  it('gatekeeper is the default: byte-identical output, and no dist/vap/', () => {
    expect(tree(gatekeeper)).toEqual(tree(plain));
    expect(Object.keys(tree(plain)).some((f) => f.startsWith('vap/'))).toBe(false);
  });

  it('vap writes dist/vap/ and no Gatekeeper pack; both writes the two', () => {
    const vapFiles = Object.keys(tree(vap));
    expect(vapFiles).toEqual(expect.arrayContaining(['vap/policies.yaml', 'vap/kustomization.yaml']));
    expect(vapFiles.some((f) => f.startsWith('policy-pack/'))).toBe(false);
    expect(readFileSync(join(vap, 'kustomization.yaml'), 'utf8')).toMatch(/- vap\n/);
    const bothFiles = tree(both);
    expect(Object.keys(bothFiles)).toEqual(
      expect.arrayContaining(['vap/policies.yaml', 'policy-pack/kustomization.yaml']),
    );
    expect(bothFiles['vap/policies.yaml']).toBe(tree(vap)['vap/policies.yaml']);
    expect(bothFiles['policy-pack/constraints/constraints.yaml']).toBe(
      tree(plain)['policy-pack/constraints/constraints.yaml'],
    );
  });

  // admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA from Kubernetes 1.30: engine vap
  // needs 1.30 or later (the README says so); on 1.28 kubeconform knows no such kind.
  const VAP_GA = (v: string) => Number(v.split('.')[1]) >= 30;
  it.each(KUBERNETES_VERSIONS.filter(VAP_GA))(
    'the VAP objects validate with kubeconform -strict (Kubernetes %s)',
    (version) => {
      const run = kubeconform([join(vap, 'vap', 'policies.yaml')], version);
      expect(JSON.parse(run.stdout).summary).toEqual({ valid: 16, invalid: 0, errors: 0, skipped: 0 });
    },
  );

  it.each(KUBERNETES_VERSIONS.filter((v) => !VAP_GA(v)))(
    'Kubernetes %s has no ValidatingAdmissionPolicy v1 (why engine vap needs 1.30)',
    (version) => {
      const run = kubeconform([join(vap, 'vap', 'policies.yaml')], version);
      expect(JSON.parse(run.stdout).summary).toMatchObject({ valid: 0, errors: 16 });
    },
  );

  it('the emergency kill script patches the Gatekeeper constraint only where there is one', () => {
    const script = (dir: string) => readFileSync(join(dir, 'kill-switch', 'kill-release-bot.sh'), 'utf8');
    expect(script(both)).toMatch(/constraints\.gatekeeper\.sh/);
    expect(script(vap)).not.toMatch(/constraints\.gatekeeper\.sh/);
    expect(script(vap)).toMatch(/note 'engine vap: no Gatekeeper constraint to patch/);
    // Every other step is the same.
    const rest = (text: string) => text.slice(text.indexOf("begin_step 'network cut"));
    expect(rest(script(vap))).toBe(rest(script(both)));
  });

  it("each policy is the template's CEL after one inlined params variable; each binding names it", () => {
    const all = objects(join(vap, 'vap', 'policies.yaml'));
    const policies = all.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(
      [
        'agent-exposure',
        'agent-pods',
        'destructive-verbs',
        'hardened-pods',
        'kill-switch',
        'no-self-escalation',
        'replica-limits',
        'trust-phase',
      ].map((f) => `agentguard-shop-platform-${f}`),
    );
    for (const p of policies) {
      const folder = p.metadata.name.replace('agentguard-shop-platform-', '');
      const source = templateCelSource(policyByFolder(folder).template);
      expect(p.spec.variables?.[0].name).toBe('params');
      expect(p.spec.variables?.slice(1)).toEqual(source?.variables);
      expect(p.spec.validations).toEqual(source?.validations);
      const rules = p.spec.matchConstraints?.resourceRules ?? [];
      expect(rules[0].operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
      expect(rules[0].resources).toEqual(['*/*']);
      if (folder === 'hardened-pods') {
        // As its constraint: pod kinds (by the request's kind) in the agent namespaces only.
        expect(p.spec.matchConditions?.map((c) => c.name)).toEqual(['pod-kinds', 'agent-namespaces']);
        expect(p.spec.matchConditions?.[1].expression).toBe(
          'request.namespace in [dyn("agents-batch"), dyn("agents-cost"), dyn("agents-release"), dyn("agents-reports"), dyn("agents-triage")]',
        );
      }
    }
    const bindings = all.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(bindings.map((b) => [b.spec.policyName, b.spec.validationActions])).toEqual(
      policies.map((p) => [p.metadata.name, ['Deny']]),
    );
  });

  it('each policy inlines exactly its constraint’s parameters (agents, exempted objects)', () => {
    const constraints = new Map(
      objects(join(both, 'policy-pack', 'constraints', 'constraints.yaml')).map((c) => [
        c.metadata.name,
        (c.spec as unknown as { parameters: unknown }).parameters,
      ]),
    );
    const policies = objects(join(both, 'vap', 'policies.yaml')).filter(
      (o) => o.kind === 'ValidatingAdmissionPolicy',
    );
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      expect(constraints.has(p.metadata.name)).toBe(true);
      expect(p.spec.variables?.[0].expression).toBe(`dyn(${celLiteral(constraints.get(p.metadata.name))})`);
    }
  });

  it('warn and dryrun agents get policies of their own with Warn and Audit; exemptions become a match condition', () => {
    const dir = synthWith(
      'staged',
      [
        '  engine: vap',
        '  enforcement: { action: deny, policies: { AG401: warn, AG501: dryrun }, until: "2099-01-01", reason: rollout }',
        '  exemptions: [{ policies: [AG101], namespaces: [payments], reason: audited by hand, approvedBy: maria.lopez@shop.example }]',
        '',
      ].join('\n'),
    );
    const all = objects(join(dir, 'vap', 'policies.yaml'));
    const actions = Object.fromEntries(
      all
        .filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding')
        .map((b) => [b.metadata.name, b.spec.validationActions]),
    );
    expect(actions['agentguard-shop-platform-replica-limits-warn']).toEqual(['Warn']);
    expect(actions['agentguard-shop-platform-trust-phase-dryrun']).toEqual(['Audit']);
    expect(actions['agentguard-shop-platform-kill-switch']).toEqual(['Deny']);
    const escalation = all.find((o) => o.metadata.name === 'agentguard-shop-platform-destructive-verbs');
    expect(escalation?.spec.matchConditions).toEqual([
      { name: 'not-exempted', expression: '!(request.namespace in [dyn("payments")])' },
    ]);
  });
});

describe('celLiteral', () => {
  it('wraps every element and value in dyn() (the API server compiles homogeneous literals only)', () => {
    expect(celLiteral({ a: 'x', b: { c: [1, 'two'] }, d: [], e: {} })).toBe(
      '{"a": dyn("x"), "b": dyn({"c": dyn([dyn(1), dyn("two")])}), "d": dyn([]), "e": dyn({})}',
    );
    expect(celLiteral('quote " and \\ and \n')).toBe('"quote \\" and \\\\ and \\n"');
  });

  it('refuses what it cannot write exactly', () => {
    expect(() => celLiteral(2.5)).toThrow(/not a whole number/);
    expect(() => celLiteral(undefined)).toThrow(/not JSON/);
  });
});
