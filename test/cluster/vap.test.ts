/**
 * The pack as ValidatingAdmissionPolicies (`spec.engine: vap`) on a real kube-apiserver with no
 * Gatekeeper at all: the API server enforces them itself. The requests are the webhook suite's
 * (admission.test.ts), sent with the agents' own ServiceAccount tokens, and get the same verdicts for
 * every policy CEL expresses (AG101, AG201, AG202, AG203, AG401, AG501, AG601, AG701). The API server reports the first
 * policy that denies, so a request two policies deny names one of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib';
import type { KubectlResult } from '../../tools/cluster';
import { EXAMPLE_FLEET } from '../support/cli';
import { hardenedPodSpec } from '../support/reviews';
import { FIXTURES, HARDENED_POD, SHOP_IMAGE, shopDeployment, UNHARDENED_POD } from './fixtures';
import { objectsIn, ok, synth, useControlPlane } from './harness';

const fleetYaml = readFileSync(EXAMPLE_FLEET, 'utf8').replace(/^spec:\n/m, 'spec:\n  engine: vap\n');
const dist = synth(fleetYaml);
const plane = useControlPlane({ gatekeeper: false });
const fleet = loadFleetFile(EXAMPLE_FLEET);
const agent = (name: string) => {
  const found = fleet.spec.agents.find((a) => a.name === name);
  if (!found) throw new Error(`no agent ${name} in the example fleet`);
  return found;
};
const tokens: Record<string, string> = {};

/** The AG policy IDs in a refusal by a ValidatingAdmissionPolicy; [] when the request went through. */
function policyIds(run: KubectlResult): string[] {
  if (run.status === 0) return [];
  const ids = [...new Set([...run.stderr.matchAll(/\[(AG\d{3})\]/g)].map((m) => m[1]))].sort();
  if (ids.length === 0)
    throw new Error(`refused, but not by the policy pack (exit ${run.status}):\n${run.stderr}`);
  expect(run.stderr).toMatch(/ValidatingAdmissionPolicy 'agentguard-shop-platform-[a-z-]+' with binding/);
  expect(run.stderr).not.toMatch(/admission webhook/);
  return ids;
}
/** Denied by exactly one of `oneOf` (the API server names the first policy that denies). */
const deniedByOneOf = (run: KubectlResult, oneOf: string[]) => {
  const ids = policyIds(run);
  expect(ids).toHaveLength(1);
  expect(oneOf).toContain(ids[0]);
};

const as = (name: string, args: string[], input?: string) =>
  plane().kubectl(args, { token: tokens[name], input });
const mergePatch = (name: string, object: string, namespace: string, body: string) =>
  as(name, ['patch', object, '-n', namespace, '--type=merge', '-p', body]);
const patch = (spec?: object, data?: object) =>
  JSON.stringify({
    metadata: { labels: { touched: 'yes' } },
    ...(spec ? { spec } : {}),
    ...(data ? { data } : {}),
  });

beforeAll(async () => {
  // No Gatekeeper: no CRDs for constraints, and synth wrote none.
  expect(plane().kubectl(['get', 'crd', 'constrainttemplates.templates.gatekeeper.sh']).status).not.toBe(0);
  for (const ns of ['batch', 'payments', 'shop']) ok(plane().kubectl(['create', 'namespace', ns]), ns);
  ok(plane().kubectl(['apply', '-k', dist]), 'kubectl apply -k dist');
  ok(plane().kubectl(['apply', '-f', '-'], { input: FIXTURES }), 'fixtures');
  for (const a of fleet.spec.agents) tokens[a.name] = plane().token(a.namespace, a.name);
  // The API server picks policies and bindings up from its informers: wait until one denies.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const probe = mergePatch('capacity-report', 'configmap/web-config', 'shop', patch(undefined, { p: 'q' }));
    if (probe.status !== 0 && /ValidatingAdmissionPolicy/.test(probe.stderr)) break;
    if (Date.now() > deadline) throw new Error(`the policies never took effect:\n${probe.stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

describe('dist/vap on a kube-apiserver without Gatekeeper, as the agents', () => {
  it('synth wrote a policy and a binding per CEL policy and action, and no Gatekeeper objects', () => {
    const objects = objectsIn(join(dist, 'vap', 'policies.yaml'));
    const kinds = objects.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'ValidatingAdmissionPolicy')).toHaveLength(8);
    expect(kinds.filter((k) => k === 'ValidatingAdmissionPolicyBinding')).toHaveLength(8);
    expect(readFileSync(join(dist, 'kustomization.yaml'), 'utf8')).not.toMatch(/policy-pack/);
    const listed = ok(plane().kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']), 'get');
    expect(listed.trim().split('\n')).toHaveLength(8);
  });

  it('AG401 replica caps: patch and `kubectl scale` (the Scale subresource) above the cap are denied, within it allowed', () => {
    const cap = agent('release-bot').limits.maxReplicas;
    expect(
      policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch({ replicas: cap + 3 }))),
    ).toEqual(['AG401']);
    expect(
      policyIds(mergePatch('release-bot', 'deployment/web', 'shop', patch({ replicas: cap - 1 }))),
    ).toEqual([]);
    const scale = (n: number) =>
      as('release-bot', ['scale', 'deployment', 'web', '-n', 'shop', `--replicas=${n}`]);
    const over = scale(cap + 4);
    expect(policyIds(over)).toEqual(['AG401']);
    // The same message as Gatekeeper's, word for word.
    expect(over.stderr).toContain(
      `[AG401] agent release-bot may not set spec.replicas of deployments.apps/scale shop/web to ${cap + 4}: its cap is ${cap} (limits.maxReplicas in the fleet); scaling down is always allowed`,
    );
    expect(policyIds(scale(cap))).toEqual([]);
    expect(
      ok(
        plane().kubectl(['get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}']),
        'get',
      ),
    ).toBe(String(cap));
    expect(policyIds(scale(0))).toEqual([]);
  });

  it('AG501 trust phase: the advisory agent may send a server-side dry-run (request.dryRun), and not the same change for real', () => {
    const args = [
      'patch',
      'configmap',
      'web-config',
      '-n',
      'shop',
      '--type=merge',
      '-p',
      patch(undefined, { mode: 'degraded' }),
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

  it('AG101 destructive verbs: DELETE is matched; the autonomous agent deletes a Job it may delete, a delete the fleet does not allow is denied', () => {
    expect(
      policyIds(as('batch-scaler', ['delete', 'job', 'nightly-report', '-n', 'batch', '--wait=false'])),
    ).toEqual([]);
    expect(plane().kubectl(['get', 'job', 'nightly-report', '-n', 'batch']).stderr).toMatch(/NotFound/);
    // Drift grants release-bot delete on ConfigMaps in shop; the fleet does not (AG101 and AG501 both deny).
    const run = as('release-bot', ['delete', 'configmap', 'web-config', '-n', 'shop', '--wait=false']);
    deniedByOneOf(run, ['AG101', 'AG501']);
    // On DELETE the object is null and the old object is what is deleted: the message names it.
    expect(run.stderr).toMatch(/configmaps shop\/web-config/);
    expect(
      ok(plane().kubectl(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'name']), 'get').trim(),
    ).toBe('configmap/web-config');
  });

  it('AG201 no self-escalation: an ephemeral debug container (pods/ephemeralcontainers) is denied; an allowlisted change is allowed', () => {
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
    // AG201 (the subresource), AG202 (an unhardened container) and AG501 (the phase) all deny it; the
    // API server names whichever policy it evaluated first, and that order is not fixed.
    deniedByOneOf(debug, ['AG201', 'AG202', 'AG501']);
    expect(
      policyIds(
        mergePatch('release-bot', 'configmap/web-config', 'shop', patch(undefined, { mode: 'canary' })),
      ),
    ).toEqual([]);
    expect(
      policyIds(
        mergePatch('release-bot', 'configmap/agentguard-guardrail', 'shop', patch(undefined, { x: 'y' })),
      ),
    ).toEqual(['AG201']);
  });

  it('AG601 kill switch: the engaged agent is refused every write; an armed agent is not', () => {
    const run = as('capacity-report', ['annotate', 'deployment', 'web', '-n', 'shop', 'x=y']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/forbidden: User "system:serviceaccount:agents-reports:capacity-report"/);
    const drift = mergePatch('capacity-report', 'configmap/web-config', 'shop', patch(undefined, { x: 'y' }));
    deniedByOneOf(drift, ['AG501', 'AG601']);
    expect(
      policyIds(mergePatch('release-bot', 'configmap/web-config', 'shop', patch(undefined, { y: 'z' }))),
    ).toEqual([]);
  });

  it('AG701 hardened pods: a hardened pod in an agent namespace is allowed, one that meets PSS restricted but not I7 is denied', () => {
    expect(
      policyIds(plane().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: HARDENED_POD })),
    ).toEqual([]);
    const run = plane().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: UNHARDENED_POD });
    expect(policyIds(run)).toEqual(['AG701']);
    // The first validation that fails answers (the API server stops there); its text is the Rego's.
    expect(run.stderr).toContain(
      '[AG701] pods agents-release/probe is not hardened: spec.containers["agent"] must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir for scratch space)',
    );
  });

  it('AG202 pods an agent writes: the workload escalation is denied, a hardened release is allowed', () => {
    const sneaky = {
      ...hardenedPodSpec('attacker.example/x:latest'),
      serviceAccountName: 'shop-admin',
      volumes: [{ name: 'db', secret: { secretName: 'payments-db' } }],
    };
    const run = as('release-bot', ['create', '-f', '-'], shopDeployment('sneaky', sneaky));
    expect(policyIds(run)).toEqual(['AG202']);
    expect(run.stderr).toMatch(/\[AG202\] agent release-bot may not write deployments\.apps shop\/sneaky: /);
    expect(
      policyIds(
        as('release-bot', ['create', '-f', '-'], shopDeployment('release', hardenedPodSpec(SHOP_IMAGE))),
      ),
    ).toEqual([]);
  });

  it('AG203 network exposure: external IPs (CVE-2020-8554) and an open LoadBalancer are denied, naming each field; a ClusterIP Service is allowed', () => {
    const service = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'shop' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
      });
    const prefix = (name: string) => `[AG203] agent release-bot may not write services shop/${name}: `;
    const mitm = as('release-bot', ['create', '-f', '-'], service('dns', { externalIPs: ['8.8.8.8'] }));
    expect(policyIds(mitm)).toEqual(['AG203']);
    expect(mitm.stderr).toContain(
      `${prefix('dns')}spec.externalIPs ["8.8.8.8"] may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it`,
    );
    // The API server names the first validation that fails: here the type, before the ranges.
    const open = as(
      'release-bot',
      ['create', '-f', '-'],
      service('edge', { type: 'LoadBalancer', loadBalancerSourceRanges: ['0.0.0.0/0'] }),
    );
    expect(policyIds(open)).toEqual(['AG203']);
    expect(open.stderr).toContain(
      `${prefix('edge')}spec.type "LoadBalancer" is not allowed: use ClusterIP or a type listed in spec.agents[release-bot].targets[shop].exposure.serviceTypes (allowed: none)`,
    );
    expect(
      policyIds(as('release-bot', ['create', '-f', '-'], service('web', { type: 'ClusterIP' }))),
    ).toEqual([]);
    // The admin's Service is not an agent's: AG203 looks only at agents.
    expect(
      policyIds(
        plane().kubectl(['create', '-f', '-'], {
          input: service('ingress-edge', { externalIPs: ['192.0.2.10'] }),
        }),
      ),
    ).toEqual([]);
  });

  it('a large pod stays within CEL’s cost budget: 30 hardened containers are allowed, one bad one is named', () => {
    const containers = (bad: boolean) =>
      Array.from({ length: 30 }, (_, i) => ({
        ...(hardenedPodSpec(SHOP_IMAGE).containers[0] as object),
        name: `c${i}`,
        ...(bad && i === 29 ? { image: 'busybox:latest' } : {}),
      }));
    const deployment = (name: string, bad: boolean) =>
      shopDeployment(name, { ...hardenedPodSpec(SHOP_IMAGE), containers: containers(bad) });
    expect(
      policyIds(as('release-bot', ['create', '--dry-run=server', '-f', '-'], deployment('wide', false))),
    ).toEqual([]);
    const run = as('release-bot', ['create', '--dry-run=server', '-f', '-'], deployment('wide', true));
    expect(policyIds(run)).toEqual(['AG202']);
    expect(run.stderr).toContain('spec.template.spec.containers["c29"] image "busybox:latest"');
  });

  it('people and controllers are not agents: the admin is never refused', () => {
    expect(policyIds(plane().kubectl(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=9']))).toEqual(
      [],
    );
    expect(policyIds(plane().kubectl(['delete', 'configmap', 'agentguard-guardrail', '-n', 'shop']))).toEqual(
      [],
    );
  });
});
