/**
 * Admission through the real Gatekeeper webhook, as the agents' real identities (their own
 * ServiceAccount tokens from TokenRequest), against the example fleet's `dist/`: for each policy
 * AG101–AG701 one request allowed and one denied, asserting the exact policy IDs in the API
 * server's answer. DELETE and `kubectl scale` carry no annotations, so their attribution comes from
 * an authenticating proxy (request-header authentication, `front-proxy.ts`), as the README says.
 *
 * Some denials need a request that RBAC lets through, which agentguard's own RBAC never does (RBAC
 * is the first line). Those cases add "drift": a hand-made Role and RoleBinding granting what the
 * fleet does not, as a mistaken or restored binding would, to prove admission holds on its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentUsername, loadFleetFile } from '../../lib';
import { mintDelegation } from '../../lib/delegation';
import { ATTACKER_KEY, PORTAL, PORTAL_KEY } from '../support/delegation';
import { hardenedPodSpec } from '../support/reviews';
import type { KubectlResult } from '../../tools/cluster';
import { EXAMPLE_FLEET } from '../support/cli';
import { FrontProxy, type Attribution } from './front-proxy';
import { BATCH_IMAGE, FIXTURES, HARDENED_POD, SHOP_IMAGE, shopDeployment, UNHARDENED_POD } from './fixtures';
import { applyDist, ok, synth, useControlPlane } from './harness';

// Synthesized before the plane starts: its audit policy is an API server flag.
const dist = synth();
const plane = useControlPlane({ auditPolicy: () => join(dist, 'audit', 'audit-policy.yaml') });
const fleet = loadFleetFile(EXAMPLE_FLEET);
const agent = (name: string) => {
  const found = fleet.spec.agents.find((a) => a.name === name);
  if (!found) throw new Error(`no agent ${name} in the example fleet`);
  return found;
};
const tokens: Record<string, string> = {};
let proxy: FrontProxy;
let traceCounter = 0;
/** A fresh, valid W3C traceparent each time (AG301 refuses a replayed one on UPDATE). */
const traceparent = () => {
  traceCounter++;
  return `00-${traceCounter.toString(16).padStart(32, 'a')}-${traceCounter.toString(16).padStart(16, 'b')}-01`;
};
let proxied: Attribution = { initiator: 'release-manager-bob@shop.example', traceparent: traceparent() };
/**
 * release-bot is in signed mode: each of its writes carries a delegation the example issuer signed
 * for its trace. Gatekeeper checks them against the real clock, so they are minted when the file
 * starts, one per trace id the counter will produce, valid for ten minutes.
 */
const delegations = new Map<string, string>();
const traceIdOf = (traceparentValue: string) => traceparentValue.split('-')[1];
const delegationFor = (initiator: string, traceparentValue: string) =>
  initiator === RELEASE ? delegations.get(traceIdOf(traceparentValue)) : undefined;

/** The AG policy IDs in a refusal, sorted; [] when the request went through. */
function policyIds(run: KubectlResult): string[] {
  if (run.status === 0) return [];
  const ids = [...new Set([...run.stderr.matchAll(/\[(AG\d{3})\]/g)].map((m) => m[1]))].sort();
  if (ids.length === 0)
    throw new Error(`refused, but not by the policy pack (exit ${run.status}):\n${run.stderr}`);
  expect(run.stderr).toContain('admission webhook "validation.gatekeeper.sh" denied the request');
  return ids;
}

const as = (name: string, args: string[], input?: string) =>
  plane().kubectl(args, { token: tokens[name], input });
/** `kubectl patch KIND/NAME -n NS --type=merge -p BODY` as the agent. */
const mergePatch = (name: string, object: string, namespace: string, body: string) =>
  as(name, ['patch', object, '-n', namespace, '--type=merge', '-p', body]);
const viaProxy = (name: string, args: string[], initiator: string) => {
  const trace = traceparent();
  proxied = { initiator, traceparent: trace, delegation: delegationFor(initiator, trace) };
  return plane().kubectlAsync(args, { kubeconfig: proxy.kubeconfig(name, tokens[name]) });
};
const annotate = (initiator: string) => {
  const trace = traceparent();
  const delegation = delegationFor(initiator, trace);
  return {
    'agentguard.dev/initiator': initiator,
    'agentguard.dev/traceparent': trace,
    ...(delegation ? { 'agentguard.dev/delegation': delegation } : {}),
  };
};
const patch = (initiator: string | undefined, spec?: object, data?: object) =>
  JSON.stringify({
    metadata: initiator ? { annotations: annotate(initiator) } : { labels: { touched: 'yes' } },
    ...(spec ? { spec } : {}),
    ...(data ? { data } : {}),
  });

const RELEASE = 'release-manager-bob@shop.example';
const PLATFORM = 'platform-team@shop.example';

beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  for (let n = 1; n <= 400; n++) {
    const traceId = n.toString(16).padStart(32, 'a');
    delegations.set(
      traceId,
      await mintDelegation(PORTAL_KEY, {
        ...PORTAL,
        subject: RELEASE,
        actor: agentUsername(agent('release-bot')),
        traceId,
        issuedAt: now - 5,
        ttlSeconds: 600,
      }),
    );
  }
  for (const ns of ['batch', 'payments', 'shop']) ok(plane().kubectl(['create', 'namespace', ns]), ns);
  applyDist(plane(), dist);
  const admin = (yaml: string) => ok(plane().kubectl(['apply', '-f', '-'], { input: yaml }), 'admin apply');
  admin(FIXTURES);
  for (const a of fleet.spec.agents) tokens[a.name] = plane().token(a.namespace, a.name);
  proxy = await FrontProxy.start(plane(), () => proxied);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
});

describe('admission through the real webhook, as the agents', () => {
  it('AG301 attribution: an unannotated update is denied; an attributed one is allowed', () => {
    expect(policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch(undefined)))).toEqual([
      'AG301',
    ]);
    expect(policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch(RELEASE)))).toEqual([]);
    // An initiator the fleet does not list for this agent.
    expect(
      policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch('mallory@evil.example'))),
    ).toEqual(['AG301']);
  });

  it('AG301 signed attribution: a delegation forged with a key the fleet does not trust is denied', async () => {
    const trace = traceparent();
    const forged = await mintDelegation(ATTACKER_KEY, {
      ...PORTAL,
      subject: RELEASE,
      actor: agentUsername(agent('release-bot')),
      traceId: traceIdOf(trace),
      issuedAt: Math.floor(Date.now() / 1000) - 5,
      ttlSeconds: 300,
    });
    const annotations = {
      'agentguard.dev/initiator': RELEASE,
      'agentguard.dev/traceparent': trace,
      'agentguard.dev/delegation': forged,
    };
    const run = mergePatch(
      'release-bot',
      'deployment/web',
      'shop',
      JSON.stringify({ metadata: { annotations } }),
    );
    expect(policyIds(run)).toEqual(['AG301']);
    expect(run.stderr).toMatch(/signature/);
  });

  it('AG401 replica caps: patch and `kubectl scale` (the Scale subresource) above the cap are denied, within it allowed', async () => {
    const cap = agent('release-bot').limits.maxReplicas;
    expect(
      policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch(RELEASE, { replicas: cap + 3 }))),
    ).toEqual(['AG401']);
    expect(
      policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch(RELEASE, { replicas: cap - 1 }))),
    ).toEqual([]);
    // kubectl scale sends an autoscaling/v1 Scale: no annotations, so attribution must come from the proxy.
    expect(
      policyIds(as('release-bot', ['scale', 'deployment', 'web', '-n', 'shop', '--replicas=2'])),
    ).toEqual(['AG301']);
    expect(
      policyIds(
        await viaProxy(
          'release-bot',
          ['scale', 'deployment', 'web', '-n', 'shop', `--replicas=${cap + 4}`],
          RELEASE,
        ),
      ),
    ).toEqual(['AG401']);
    expect(
      policyIds(
        await viaProxy(
          'release-bot',
          ['scale', 'deployment', 'web', '-n', 'shop', `--replicas=${cap}`],
          RELEASE,
        ),
      ),
    ).toEqual([]);
    expect(
      ok(
        plane().kubectl(['get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}']),
        'get',
      ),
    ).toBe(String(cap));
    // Scaling to zero is always allowed.
    expect(
      policyIds(
        await viaProxy('release-bot', ['scale', 'deployment', 'web', '-n', 'shop', '--replicas=0'], RELEASE),
      ),
    ).toEqual([]);
  });

  it('AG501 trust phase: the advisory agent may send a server-side dry-run, and not the same change for real', () => {
    const args = [
      'patch',
      'configmap',
      'web-config',
      '-n',
      'shop',
      '--type=merge',
      '-p',
      patch('oncall@shop.example', undefined, { mode: 'degraded' }),
    ];
    expect(policyIds(as('incident-triage', [...args, '--dry-run=server']))).toEqual([]);
    expect(policyIds(as('incident-triage', args))).toEqual(['AG501']);
    expect(
      ok(
        plane().kubectl(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.mode}']),
        'get',
      ),
    ).toBe('normal');
  });

  it('AG101 destructive verbs: the autonomous agent deletes a Job it may delete; a delete the fleet does not allow is denied', async () => {
    // Without the proxy a DELETE has no attribution at all.
    expect(
      policyIds(as('batch-scaler', ['delete', 'job', 'nightly-report', '-n', 'batch', '--wait=false'])),
    ).toEqual(['AG301']);
    expect(
      policyIds(
        await viaProxy(
          'batch-scaler',
          ['delete', 'job', 'nightly-report', '-n', 'batch', '--wait=false'],
          PLATFORM,
        ),
      ),
    ).toEqual([]);
    expect(plane().kubectl(['get', 'job', 'nightly-report', '-n', 'batch']).stderr).toMatch(/NotFound/);
    // Drift grants release-bot delete on ConfigMaps in shop; the fleet does not.
    expect(
      policyIds(
        await viaProxy(
          'release-bot',
          ['delete', 'configmap', 'web-config', '-n', 'shop', '--wait=false'],
          RELEASE,
        ),
      ),
    ).toEqual(['AG101', 'AG501']);
    // RBAC refuses what drift does not grant, before admission.
    const rbac = as('release-bot', ['delete', 'deployment', 'web', '-n', 'shop']);
    expect(rbac.status).not.toBe(0);
    expect(rbac.stderr).toMatch(
      /forbidden: User "system:serviceaccount:agents-release:release-bot" cannot delete resource "deployments"/,
    );
  });

  it('AG201 no self-escalation: an ephemeral debug container is denied; an allowlisted change is allowed', () => {
    const debug = as('release-bot', [
      'debug',
      'debug-target',
      '-n',
      'shop',
      '--image=busybox@sha256:' + 'a'.repeat(64),
      '--attach=false',
      '--',
      'true',
    ]);
    // The subresource carries no annotations (AG301) and is in no allowlist (AG501) either; the
    // debug container is not hardened and its image comes from no registry shop allows (AG202).
    expect(policyIds(debug)).toEqual(['AG201', 'AG202', 'AG301', 'AG501']);
    expect(
      policyIds(
        mergePatch(
          'release-bot',
          'configmap/web-config',
          'shop',
          patch(RELEASE, undefined, { mode: 'canary' }),
        ),
      ),
    ).toEqual([]);
    // A guardrail object in a target namespace (labelled managed-by agentguard).
    expect(
      policyIds(
        mergePatch(
          'release-bot',
          'configmap/agentguard-guardrail',
          'shop',
          patch(RELEASE, undefined, { x: 'y' }),
        ),
      ),
    ).toEqual(['AG201']);
  });

  it('AG601 kill switch: the engaged agent is refused everything; an armed agent is not', () => {
    // Its RoleBindings are gone: RBAC refuses reads and writes first.
    for (const args of [
      ['get', 'deployments', '-n', 'shop'],
      ['get', 'services', '-n', 'shop'],
      ['annotate', 'deployment', 'web', '-n', 'shop', 'x=y'],
    ]) {
      const run = as('capacity-report', args);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/forbidden: User "system:serviceaccount:agents-reports:capacity-report"/);
    }
    // Drift restored a binding for it in shop: admission still refuses every write.
    expect(
      policyIds(
        mergePatch('capacity-report', 'configmap/web-config', 'shop', patch(RELEASE, undefined, { x: 'y' })),
      ),
    ).toEqual(['AG301', 'AG501', 'AG601']);
    expect(
      policyIds(
        mergePatch('release-bot', 'configmap/web-config', 'shop', patch(RELEASE, undefined, { y: 'z' })),
      ),
    ).toEqual([]);
  });

  it('AG701 hardened pods: a hardened pod in an agent namespace is allowed, one that meets PSS restricted but not I7 is denied', () => {
    expect(
      policyIds(plane().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: HARDENED_POD })),
    ).toEqual([]);
    expect(
      policyIds(plane().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: UNHARDENED_POD })),
    ).toEqual(['AG701']);
  });

  it('an agent creates an attributed, allowed Job in its target namespace; one above its cap is denied', () => {
    const job = (name: string, parallelism: number) =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: 'batch', annotations: annotate(PLATFORM) },
        spec: {
          parallelism,
          template: { spec: { ...hardenedPodSpec(BATCH_IMAGE), restartPolicy: 'Never' } },
        },
      });
    expect(policyIds(as('batch-scaler', ['create', '-f', '-'], job('rebuild-index', 1)))).toEqual([]);
    const deploy = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'burst', namespace: 'batch', annotations: annotate(PLATFORM) },
      spec: {
        replicas: agent('batch-scaler').limits.maxReplicas + 1,
        selector: { matchLabels: { app: 'burst' } },
        template: {
          metadata: { labels: { app: 'burst' } },
          spec: hardenedPodSpec(BATCH_IMAGE),
        },
      },
    });
    expect(policyIds(as('batch-scaler', ['create', '-f', '-'], deploy))).toEqual(['AG401']);
  });

  it('AG202 pods an agent writes: the workload escalation is denied through the webhook, a hardened release is allowed', () => {
    const deployment = (name: string, spec: Record<string, unknown>) =>
      shopDeployment(name, spec, annotate(RELEASE));
    const sneaky = {
      ...hardenedPodSpec('attacker.example/x:latest'),
      serviceAccountName: 'shop-admin',
      volumes: [{ name: 'db', secret: { secretName: 'payments-db' } }],
    };
    // Attributed, signed, in its allowlist and under its cap: only the pod it would run is wrong.
    expect(policyIds(as('release-bot', ['create', '-f', '-'], deployment('sneaky', sneaky)))).toEqual([
      'AG202',
    ]);
    expect(
      policyIds(as('release-bot', ['create', '-f', '-'], deployment('release', hardenedPodSpec(SHOP_IMAGE)))),
    ).toEqual([]);
  });

  it('AG102 deletes by proxy: an owner reference that would have the garbage collector delete web is denied', () => {
    const owner = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'gone',
      uid: '00000000-0000-4000-8000-000000000001',
    };
    expect(
      policyIds(
        mergePatch(
          'release-bot',
          'deployment/web',
          'shop',
          JSON.stringify({ metadata: { annotations: annotate(RELEASE), ownerReferences: [owner] } }),
        ),
      ),
    ).toEqual(['AG102']);
  });

  it('Gatekeeper generated no ValidatingAdmissionPolicy of its own from the CEL templates (generateVAP: false)', () => {
    const cel = ok(
      plane().kubectl([
        'get',
        'constrainttemplates',
        '-o',
        'jsonpath={.items[*].spec.targets[0].code[*].engine}',
      ]),
      'get constrainttemplates',
    );
    expect(cel).toMatch(/K8sNativeValidation/);
    expect(ok(plane().kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']), 'get vap').trim()).toBe(
      '',
    );
    expect(
      ok(plane().kubectl(['get', 'validatingadmissionpolicybindings', '-o', 'name']), 'get vapb').trim(),
    ).toBe('');
  });

  it("the API server's audit log, with agentguard's audit policy, records every agent request in full, allowed or denied", async () => {
    interface AuditEvent {
      level: string;
      stage: string;
      verb: string;
      user: { username: string; extra?: Record<string, string[]> };
      objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
      responseStatus?: { code?: number };
      requestObject?: unknown;
    }
    const user = 'system:serviceaccount:agents-release:release-bot';
    const events = () =>
      readFileSync(join(plane().dir, 'audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditEvent)
        .filter(
          (e) => e.user.username === user && e.stage === 'ResponseComplete' && e.objectRef?.name === 'web',
        );
    // The audit log is written asynchronously (batched); give it a moment.
    const deadline = Date.now() + 10_000;
    while (events().filter((e) => e.verb === 'patch').length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    const patches = events().filter((e) => e.verb === 'patch' && e.objectRef?.resource === 'deployments');
    expect(patches.every((e) => e.level === 'RequestResponse' && e.requestObject !== undefined)).toBe(true);
    expect(patches.map((e) => e.responseStatus?.code)).toEqual(expect.arrayContaining([200, 403]));
    // kubectl scale through the proxy: the subresource, with the proxy's attribution in the user's extra.
    const scales = events().filter((e) => e.verb === 'patch' && e.objectRef?.subresource === 'scale');
    // Agent tokens carry extras of their own (credential id); the proxy adds the attribution.
    const viaTheProxy = scales.filter((e) => e.user.extra?.['agentguard.dev/initiator'] !== undefined);
    expect(viaTheProxy.map((e) => e.responseStatus?.code)).toEqual(expect.arrayContaining([200, 200, 403]));
    for (const e of viaTheProxy) {
      expect(e.user.extra?.['agentguard.dev/initiator']).toEqual([RELEASE]);
      expect(e.user.extra?.['agentguard.dev/traceparent']?.[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    // The one sent without the proxy carries no attribution, and was refused (AG301).
    const direct = scales.filter((e) => e.user.extra?.['agentguard.dev/initiator'] === undefined);
    expect(direct.length).toBeGreaterThan(0);
    expect(direct.every((e) => e.responseStatus?.code === 403)).toBe(true);
  });
});
