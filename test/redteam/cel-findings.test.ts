/**
 * Red-team findings against the CEL side of the pack: the K8sNativeValidation blocks Gatekeeper runs
 * instead of the Rego when a template has both, and the ValidatingAdmissionPolicies of
 * `spec.engine: vap`, which the API server enforces itself. Offline tests put the Rego to opa-wasm,
 * so a place where the CEL (or what carries it) is weaker than the Rego is a bypass only production
 * sees. Each `describe` is one finding or one checked non-finding, evaluated by the real engines:
 * kube-apiserver for the VAPs, gator (Gatekeeper's CEL driver, cel-go) and opa-wasm for the policies.
 */
import { App } from 'cdk8s';
import { stringify } from 'yaml';
import type { Fleet } from '../../lib/fleet/schema';
import { agentUsername } from '../../lib/naming';
import { constraintName } from '../../policies/policy-pack';
import { policyByFolder } from '../../policies/catalog';
import { policyParameters, type PackParameters } from '../../policies/parameters';
import {
  CEL_EXPRESSION_LIMIT,
  codePoints,
  paramsExpression,
  ValidatingAdmissionPolicies,
  VAP_EXPRESSION_BUDGET,
} from '../../policies/vap';
import { generatedFleet } from '../../tools/bench';
import { ok, useControlPlane } from '../cluster/harness';

interface Vap {
  kind: string;
  metadata: { name: string; annotations: Record<string, string> };
  spec: {
    policyName?: string;
    variables: Array<{ name: string; expression: string }>;
    matchConditions?: Array<{ name: string; expression: string }>;
    validations: Array<{ expression: string; messageExpression: string }>;
  };
}

const vapObjects = (fleet: Fleet) =>
  new ValidatingAdmissionPolicies(new App(), 'vap', { fleet }).toJson() as Vap[];
const policiesOf = (objects: Vap[]) => objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
const expressions = (p: Vap) => [
  ...p.spec.variables.map((v) => v.expression),
  ...(p.spec.matchConditions ?? []).map((c) => c.expression),
  ...p.spec.validations.flatMap((v) => [v.expression, v.messageExpression]),
];
/** The agents a policy's inlined parameters hold (the `params` variable is `dyn(<JSON-like literal>)`). */
const agentsIn = (p: Vap): string[] =>
  [...p.spec.variables[0].expression.matchAll(/"(system:serviceaccount:[^"]+)": dyn\(/g)].map((m) => m[1]);

// -------------------------------------------------------------------------------------------------
// C1 (High, spec.engine vap): each policy's parameters were inlined into ONE CEL expression (its
// `params` variable), and the API server refuses any CEL expression over 100,000 code points
// ("expression code point size exceeds limit"). A fleet of a few hundred agents passes it for AG202
// (about 360 agents of one target each), AG501 (about 390) and AG203 (about 435), sooner with more
// targets per agent. `kubectl apply -k dist` then creates the bindings and the other policies but not
// those: AG202, AG203 and AG501 are not enforced at all for any agent (an advisory agent creates
// ConfigMaps for real, a supervised one runs a privileged pod from any registry). When a fleet grows
// past the limit, the old policy stays with the old parameters: every new agent is unchecked.
// Fix: synth splits such a policy into parts (`-2`, `-3`, …), each within 90,000 code points with
// some of the agents; AG701's by its namespace list. Every agent rule looks its agent up by username,
// so the parts together enforce what one policy would.
// -------------------------------------------------------------------------------------------------

describe('C1 (fixed): a large fleet’s VAPs fit the API server’s CEL expression limit', () => {
  it('every expression of a 1,000-agent fleet’s VAPs is within the budget; split parts hold every agent exactly once', () => {
    const fleet = generatedFleet(1000);
    const objects = vapObjects(fleet);
    const policies = policiesOf(objects);
    const longest = Math.max(...policies.flatMap((p) => expressions(p).map(codePoints)));
    expect(longest).toBeLessThanOrEqual(VAP_EXPRESSION_BUDGET);
    expect(VAP_EXPRESSION_BUDGET).toBeLessThan(CEL_EXPRESSION_LIMIT);
    // Unsplit, AG202's parameters alone were 2.75 times the limit.
    expect(codePoints(paramsExpression(policyParameters(fleet, 'agent-pods')))).toBeGreaterThan(
      2.5 * CEL_EXPRESSION_LIMIT,
    );
    // Each policy with agents: its parts together hold the constraint's agents, each once.
    for (const folder of [
      'destructive-verbs',
      'no-self-escalation',
      'agent-pods',
      'agent-exposure',
      'replica-limits',
      'trust-phase',
    ] as const) {
      const base = constraintName(policyByFolder(folder), fleet.metadata.name);
      const parts = policies.filter(
        (p) => p.metadata.name === base || p.metadata.name.startsWith(`${base}-`),
      );
      const held = parts.flatMap(agentsIn).sort();
      const expected = Object.keys(
        (policyParameters(fleet, folder) as PackParameters[typeof folder]).agents,
      ).sort();
      expect(held).toEqual(expected);
      if (folder === 'agent-pods') expect(parts.length).toBeGreaterThanOrEqual(3);
    }
    // One binding per policy, naming it.
    const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(bindings.map((b) => b.spec.policyName).sort()).toEqual(
      policies.map((p) => p.metadata.name).sort(),
    );
  });

  it('AG701’s namespace match condition is split too (6,000 agent namespaces)', () => {
    const names = Array.from(
      { length: 6000 },
      (_, i) => `agents-${String(i).padStart(5, '0')}-hardened-pods-long-name`,
    );
    const fleet = generatedFleet(1);
    const many: Fleet = {
      ...fleet,
      spec: {
        ...fleet.spec,
        agents: names.map((ns, i) => ({ ...fleet.spec.agents[0], name: `a${i}`, namespace: ns })),
      },
    };
    const pods = policiesOf(vapObjects(many)).filter(
      (p) => p.metadata.annotations['agentguard.dev/policy-id'] === 'AG701',
    );
    expect(pods.length).toBeGreaterThan(1);
    const held = pods.flatMap((p) =>
      [
        ...(p.spec.matchConditions ?? [])
          .find((c) => c.name === 'agent-namespaces')!
          .expression.matchAll(/dyn\("([^"]+)"\)/g),
      ].map((m) => m[1]),
    );
    expect(held).toEqual([...names].sort());
    for (const p of pods)
      for (const e of expressions(p)) expect(codePoints(e)).toBeLessThanOrEqual(VAP_EXPRESSION_BUDGET);
  });

  it('a small fleet is unchanged: one policy per CEL policy, named as its constraint', () => {
    const names = policiesOf(vapObjects(generatedFleet(20))).map((p) => p.metadata.name);
    expect(names).toHaveLength(8);
    expect(names.every((n) => !/-\d+$/.test(n))).toBe(true);
  });

  describe('on a real kube-apiserver without Gatekeeper, a 400-agent fleet', () => {
    const plane = useControlPlane({ gatekeeper: false });
    const fleet = generatedFleet(400);
    const objects = vapObjects(fleet);
    const policies = policiesOf(objects);
    // The last agent of a phase in username order: its parameters come last, beyond the first
    // 100,000 code points, in the last part of a split policy.
    const lastAgent = (phase: string) => {
      const agent = [...fleet.spec.agents]
        .sort((a, b) => agentUsername(a).localeCompare(agentUsername(b)))
        .filter((a) => a.phase === phase)
        .pop();
      if (!agent) throw new Error(`no ${phase} agent`);
      return agent;
    };
    const advisory = lastAgent('advisory');
    const supervised = lastAgent('supervised');
    let applied = { status: 0 as number | null, stdout: '', stderr: '' };
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      for (const a of [advisory, supervised]) {
        const team = a.targets[0].namespace;
        for (const ns of [a.namespace, team]) ok(plane().kubectl(['create', 'namespace', ns]), ns);
        ok(plane().kubectl(['create', 'serviceaccount', a.name, '-n', a.namespace]), 'sa');
        // No controller manager here: the default ServiceAccount a pod needs is made by hand.
        ok(plane().kubectl(['create', 'serviceaccount', 'default', '-n', team]), 'default sa');
        ok(
          plane().kubectl([
            'create',
            'role',
            'writer',
            '--verb=*',
            '--resource=configmaps,deployments.apps',
            '-n',
            team,
          ]),
          'role',
        );
        ok(
          plane().kubectl([
            'create',
            'rolebinding',
            'writer',
            '--role=writer',
            `--serviceaccount=${a.namespace}:${a.name}`,
            '-n',
            team,
          ]),
          'rolebinding',
        );
        tokens[a.name] = plane().token(a.namespace, a.name);
      }
      // kubectl apply as the README has dist/ applied (client-side: the last-applied annotation too).
      applied = plane().kubectl(['apply', '-f', '-'], {
        input: objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'),
      });
      // The API server picks policies up from its informers: wait until the advisory agent is refused
      // (before the fix its policy never existed, and the wait ends at the deadline).
      const deadline = Date.now() + 60_000;
      for (let i = 0; Date.now() < deadline; i++) {
        const probe = plane().kubectl(
          ['create', 'configmap', `probe-${i}`, '-n', advisory.targets[0].namespace, '--from-literal=a=b'],
          { token: tokens[advisory.name] },
        );
        if (/ValidatingAdmissionPolicy/.test(probe.stderr)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }, 120_000);

    it('every policy and binding is accepted (none over the CEL expression limit)', () => {
      expect(applied.stderr).not.toMatch(/exceeds limit/);
      expect(applied.status).toBe(0);
      const listed = ok(plane().kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']), 'get');
      expect(listed.trim().split('\n').sort()).toEqual(
        policies
          .map((p) => `validatingadmissionpolicy.admissionregistration.k8s.io/${p.metadata.name}`)
          .sort(),
      );
    });

    it('AG501: an advisory agent in the last part of trust-phase may not create a ConfigMap for real', () => {
      const team = advisory.targets[0].namespace;
      const run = plane().kubectl(['create', 'configmap', 'ledger', '-n', team, '--from-literal=a=b'], {
        token: tokens[advisory.name],
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(
        `[AG501] agent ${advisory.name} (phase advisory) may not create configmaps ${team}/ledger: advisory agents may only send server-side dry-run requests (kubectl --dry-run=server); a human applies the change`,
      );
      expect(plane().kubectl(['get', 'configmap', 'ledger', '-n', team]).status).not.toBe(0);
    });

    it('AG202: a supervised agent in the last part of agent-pods may not create a Deployment running an unhardened pod', () => {
      const team = supervised.targets[0].namespace;
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'miner', namespace: team },
        spec: {
          selector: { matchLabels: { app: 'miner' } },
          template: {
            metadata: { labels: { app: 'miner' } },
            spec: {
              containers: [{ name: 'x', image: 'evil.example/miner:latest' }],
            },
          },
        },
      };
      const run = plane().kubectl(['create', '-f', '-'], {
        token: tokens[supervised.name],
        input: JSON.stringify(deployment),
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(
        new RegExp(
          `ValidatingAdmissionPolicy '${constraintName(policyByFolder('agent-pods'), fleet.metadata.name)}-\\d+' with binding`,
        ),
      );
      expect(run.stderr).toContain(
        `[AG202] agent ${supervised.name} may not write deployments.apps ${team}/miner: pod not hardened: set spec.template.spec.automountServiceAccountToken: false (mount a projected token only where needed)`,
      );
    });
  });
});
