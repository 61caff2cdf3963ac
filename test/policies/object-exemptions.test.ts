/**
 * Exemptions of single objects (spec.exemptions[].objects, issue 14): the fleet names
 * `Kind/namespace/name`, synth renders it into the `exemptObjects` parameter of the exempted policies'
 * constraints, and the shared Rego library skips requests about exactly that object. These tests try
 * to stretch an exemption to other objects (a sibling name, another namespace or resource, a body
 * that claims the exempted kind, a generated name, a cluster-scoped object), to policies no
 * exemption may reach (AG201, AG202, AG601, AG701), and check WASM and the real Gatekeeper engine agree.
 */
import { App } from 'cdk8s';
import { exemptObjects, objectRef } from '../../lib/enforcement';
import type { FleetInput } from '../../lib/fleet/schema';
import { fleetCollisions } from '../../lib/fleet/collisions';
import { defineFleet, validateFleet } from '../../lib/fleet/validate';
import { agentUsername } from '../../lib/naming';
import { policyByFolder, policyCatalog } from '../../policies/catalog';
import { appliedConstraints, constraintMatches, type AppliedConstraint } from '../../policies/match';
import { PolicyConstraints } from '../../policies/policy-pack';
import { committedModules, messages, PackEvaluator } from '../../policies/wasm';
import { mutated, validFleet, type Loose } from '../support/fleets';
import { renderReport } from '../../synth/report/markdown';
import { fleetReach } from '../../synth/report/reach';
import { gatorFailures, gatorVerify, type GatorCase } from '../support/gator';
import { hardenedPodSpec, KINDS, request, SCALE_KIND } from '../support/reviews';

const EXEMPT = 'Deployment/shop/legacy-api';
const EXEMPTED_POLICIES = ['AG101', 'AG102', 'AG301', 'AG401', 'AG501'];

/**
 * The test fleet with writer (supervised) allowed to change, not create, Deployments and ConfigMaps
 * in shop: an object exemption is refused where an agent could create the object itself.
 */
function fleetInput(exempted: readonly string[]): FleetInput {
  const input: Loose = structuredClone(validFleet());
  input.metadata.name = 'exempting';
  input.spec.agents[1].targets[0].create = false;
  if (exempted.length > 0) {
    input.spec.exemptions = [
      {
        policies: EXEMPTED_POLICIES,
        objects: exempted,
        reason: 'legacy-api is retired next quarter (SHOP-77)',
        approvedBy: 'alice@example.com',
      },
    ];
  }
  return input;
}

const constraintsFor = (exempted: readonly string[]): AppliedConstraint[] =>
  appliedConstraints(new PolicyConstraints(new App(), 'c', { fleet: defineFleet(fleetInput(exempted)) }));

const WRITER = agentUsername({ name: 'writer', namespace: 'agents-writer' });

/** Requests by the writer agent that several policies deny, about `namespace/name`. */
function offending(name: string, namespace = 'shop'): Array<[string, Record<string, unknown>]> {
  const deployment = (replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas },
  });
  return [
    [
      'an unattributed UPDATE above the replica cap',
      request({
        operation: 'UPDATE',
        user: WRITER,
        kind: KINDS.deployment,
        namespace,
        name,
        object: deployment(1000),
        oldObject: deployment(1),
      }),
    ],
    [
      'a DELETE',
      request({
        operation: 'DELETE',
        user: WRITER,
        kind: KINDS.deployment,
        namespace,
        name,
        oldObject: deployment(1),
      }),
    ],
    [
      'kubectl scale above the cap (kind Scale on deployments/scale)',
      request({
        operation: 'UPDATE',
        user: WRITER,
        kind: KINDS.deployment,
        subResource: 'scale',
        subResourceKind: SCALE_KIND,
        namespace,
        name,
        object: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace },
          spec: { replicas: 1000 },
        },
      }),
    ],
  ];
}

/** The writer creating a Deployment above its replica cap, named (or generated) by `metadata`. */
function createDeployment(metadata: { name?: string; generateName?: string; namespace: string }) {
  return request({
    operation: 'CREATE',
    user: WRITER,
    kind: KINDS.deployment,
    namespace: metadata.namespace,
    ...(metadata.name !== undefined ? { name: metadata.name } : {}),
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: 1000 } },
  });
}

/** Every violation each constraint set finds for a request, as `ID action: message`. */
async function violations(constraints: readonly AppliedConstraint[], review: Record<string, unknown>) {
  const evaluator = new PackEvaluator(committedModules);
  const found: string[] = [];
  for (const c of constraints) {
    if (!constraintMatches(c.match, review)) continue;
    const msgs = messages(await evaluator.evaluate(c.policy.folder, review, c.parameters));
    found.push(...msgs.map((m) => `${c.policy.id} ${c.enforcementAction}: ${m}`));
  }
  return found.sort();
}

const policiesIn = (found: readonly string[]) => [...new Set(found.map((f) => f.slice(0, 5)))].sort();

describe('object exemptions in the fleet', () => {
  it('render as <resource>.<group>/<namespace>/<name> into the exempted policies’ constraints only', () => {
    expect(objectRef('Deployment/shop/legacy-api')).toBe('deployments.apps/shop/legacy-api');
    expect(objectRef('ConfigMap/shop/settings')).toBe('configmaps/shop/settings');
    expect(objectRef('HorizontalPodAutoscaler/shop/web')).toBe(
      'horizontalpodautoscalers.autoscaling/shop/web',
    );
    const fleet = defineFleet(fleetInput([EXEMPT, 'ConfigMap/shop/settings']));
    expect(exemptObjects(fleet, 'AG401')).toEqual([
      'configmaps/shop/settings',
      'deployments.apps/shop/legacy-api',
    ]);
    for (const c of constraintsFor([EXEMPT])) {
      const params = c.parameters as { exemptObjects?: string[] };
      expect([c.policy.id, params.exemptObjects]).toEqual([
        c.policy.id,
        EXEMPTED_POLICIES.includes(c.policy.id) ? ['deployments.apps/shop/legacy-api'] : undefined,
      ]);
    }
    // Without object exemptions the parameter is absent: existing fleets synthesize byte-identically.
    for (const c of constraintsFor([])) expect(c.parameters).not.toHaveProperty('exemptObjects');
  });

  it('are refused with --also when an agent of another fleet may create the object', () => {
    const ours = defineFleet(fleetInput([EXEMPT]));
    const theirs = defineFleet({
      ...validFleet(),
      metadata: { name: 'other' },
      spec: {
        agents: [
          {
            name: 'maker',
            namespace: 'agents-maker',
            image: validFleet().spec.agents[0].image,
            phase: 'supervised',
            targets: [{ namespace: 'shop', kinds: ['Deployment'], create: true }],
            attribution: { initiators: ['*@example.com'] },
          },
        ],
      },
    } as FleetInput);
    expect(
      fleetCollisions({ file: 'ours.yaml', fleet: ours }, [{ file: 'theirs.yaml', fleet: theirs }]).map(
        (e) => [e.path.join('.'), e.message],
      ),
    ).toEqual([
      [
        'spec.exemptions.0.objects.0',
        'agent "maker" of fleet "other" (theirs.yaml) may create Deployment objects in shop, so it could create "legacy-api" for this fleet\'s agents to change unchecked; exempt only objects no agent may create',
      ],
    ]);
  });

  it('are listed in the report, and the admission rows they change say so', () => {
    const fleet = defineFleet(fleetInput([EXEMPT]));
    const markdown = renderReport(fleet.metadata.name, fleetReach(fleet), fleet.spec.exemptions);
    expect(markdown).toContain(
      `| ${EXEMPTED_POLICIES.join(', ')} | — | ${EXEMPT} | legacy-api is retired next quarter (SHOP-77) | alice@example.com |`,
    );
    expect(markdown).toMatch(
      /\| AG401 \| Replica caps \| .*; not for exempted objects deployments\.apps\/shop\/legacy-api \|/,
    );
    expect(markdown).not.toMatch(/\| AG601 \|.*exempted objects/);
  });

  it('are declared in every template but those of AG201, AG202, AG203, AG601 and AG701, which no exemption reaches', () => {
    expect(
      policyCatalog()
        .filter((p) => !p.exemptible)
        .map((p) => p.id),
    ).toEqual(['AG201', 'AG202', 'AG203', 'AG601', 'AG701']);
  });

  it.each([
    ['no slashes', 'legacy-api', /must be Kind\/namespace\/name of one namespaced object/],
    ['a cluster-scoped form', 'ClusterRole/admin', /must be Kind\/namespace\/name/],
    [
      'a kind agents cannot manage',
      'Secret/shop/db',
      /kind "Secret" is not one agents can manage; use one of ConfigMap, /,
    ],
    ['a lowercase kind', 'deployment/shop/web', /kind "deployment" is not one agents can manage/],
    ['a bad namespace', 'Deployment/Shop/web', /namespace "Shop" must be a lowercase RFC 1123 label/],
    ['a wildcard name', 'Deployment/shop/web-*', /name "web-\*" must be a lowercase RFC 1123 subdomain/],
    ['an empty name', 'Deployment/shop/', /must be Kind\/namespace\/name/],
  ])('refuses %s with the field’s path', (_what, ref, message) => {
    const result = validateFleet(mutated((f) => (f.spec.exemptions = [exemption({ objects: [ref] })])));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(['spec.exemptions[0].objects[0]']);
    expect(result.errors[0].message).toMatch(message);
  });

  it.each([
    [
      'an object in an agent namespace',
      { objects: ['ConfigMap/agents-writer/settings'] },
      'spec.exemptions[0].objects[0]',
      '"ConfigMap/agents-writer/settings" is in the namespace of agent "writer"; agent namespaces are never exempted (their guardrails live there)',
    ],
    [
      'an object in the runners’ namespace',
      { objects: ['Deployment/agentguard-system/runner'] },
      'spec.exemptions[0].objects[0]',
      `"Deployment/agentguard-system/runner" is in the kill-switch runners' namespace (spec.killSwitch.namespace); it is never exempted`,
    ],
    [
      'AG202 for an object',
      { policies: ['AG202'], objects: ['Deployment/checkout/legacy-api'] },
      'spec.exemptions[0].policies[0]',
      '"AG202" (pods an agent writes) cannot be exempted: the agent could then run any image as any ServiceAccount with any Secret there (I2, see docs/design.md#i2); list what its pods may use in targets[].pods instead',
    ],
    [
      'AG202 for a namespace',
      { policies: ['AG202'], namespaces: ['shop'] },
      'spec.exemptions[0].policies[0]',
      '"AG202" (pods an agent writes) cannot be exempted: the agent could then run any image as any ServiceAccount with any Secret there (I2, see docs/design.md#i2); list what its pods may use in targets[].pods instead',
    ],
    [
      'an object an agent may create (it would create it, then change it unchecked)',
      { objects: ['ConfigMap/shop/settings'] },
      'spec.exemptions[0].objects[0]',
      'agent "writer" may create ConfigMap objects in shop (targets[].create), so it could create "settings" itself and then change it unchecked; exempt only objects no agent may create, or fix the object',
    ],
    ...['kube-system', 'default', 'gatekeeper-system', 'vault'].map(
      (ns): [string, Record<string, unknown>, string, string] => [
        `the reserved namespace ${ns}`,
        { namespaces: [ns] },
        'spec.exemptions[0].namespaces[0]',
        `"${ns}" is a reserved namespace (system, Gatekeeper or Vault); agents never act there, and its guardrails are never lifted`,
      ],
    ),
    [
      'an exemption of nothing',
      { namespaces: [], objects: [] },
      'spec.exemptions[0].namespaces',
      'exempts nothing; list namespaces, or objects as Kind/namespace/name',
    ],
  ])('refuses %s', (_what, fields, path, message) => {
    const result = validateFleet(mutated((f) => (f.spec.exemptions = [exemption(fields)])));
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([[path, message]]);
  });
});

function exemption(fields: Record<string, unknown>): Record<string, unknown> {
  return { policies: ['AG401'], reason: 'because', approvedBy: 'alice@example.com', ...fields };
}

describe('an exempted object at admission (WASM)', () => {
  const plain = constraintsFor([]);
  const exempting = constraintsFor([EXEMPT]);

  it.each(offending('legacy-api'))(
    '%s on the exempted object skips exactly the exempted policies',
    async (_what, review) => {
      const before = await violations(plain, review);
      const after = await violations(exempting, review);
      // The request is denied without the exemption, by at least one policy the exemption names.
      expect(policiesIn(before).filter((id) => EXEMPTED_POLICIES.includes(id))).not.toEqual([]);
      expect(after).toEqual(before.filter((v) => !EXEMPTED_POLICIES.includes(v.slice(0, 5))));
    },
  );

  const siblings: Array<[string, Record<string, unknown>]> = [
    ...offending('legacy-api-2').map(([w, r]): [string, Record<string, unknown>] => [
      `another name: ${w}`,
      r,
    ]),
    ...offending('legacy-api', 'checkout').map(([w, r]): [string, Record<string, unknown>] => [
      `another namespace: ${w}`,
      r,
    ]),
    [
      'a ConfigMap of the same name (another resource)',
      request({
        operation: 'DELETE',
        user: WRITER,
        kind: KINDS.configMap,
        namespace: 'shop',
        name: 'legacy-api',
      }),
    ],
    [
      'an UPDATE whose body and kind claim Deployment, routed to configmaps',
      request({
        operation: 'UPDATE',
        user: WRITER,
        kind: { ...KINDS.configMap, kind: 'Deployment' },
        namespace: 'shop',
        name: 'legacy-api',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy-api' } },
        oldObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy-api' } },
      }),
    ],
    [
      'another door into the exempted object (deployments/status)',
      request({
        operation: 'UPDATE',
        user: WRITER,
        kind: KINDS.deployment,
        subResource: 'status',
        namespace: 'shop',
        name: 'legacy-api',
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'legacy-api' },
          spec: { replicas: 1000 },
        },
        oldObject: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'legacy-api' },
          spec: { replicas: 1 },
        },
      }),
    ],
    [
      'a CREATE of the exempted name (an agent may not make an exempt object)',
      createDeployment({ name: 'legacy-api', namespace: 'shop' }),
    ],
    ['a generated name', createDeployment({ generateName: 'legacy-api', namespace: 'shop' })],
    [
      'a cluster-scoped object of the same name',
      request({
        operation: 'CREATE',
        user: WRITER,
        kind: KINDS.clusterRoleBinding,
        name: 'legacy-api',
        object: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'legacy-api' },
        },
      }),
    ],
  ];

  it.each(siblings)('%s is not exempt', async (_what, review) => {
    const before = await violations(plain, review);
    expect(before).not.toEqual([]);
    expect(await violations(exempting, review)).toEqual(before);
  });

  it('never reaches the kill switch or the pods an agent writes, even with exemptObjects forced into their constraints', async () => {
    const input: Loose = fleetInput([EXEMPT]);
    const writer = input.spec.agents.find((a: Loose) => a.name === 'writer');
    writer.killSwitch = { state: 'engaged', engagedBy: 'bob@example.com', reason: 'leak' };
    const forced = appliedConstraints(
      new PolicyConstraints(new App(), 'c', { fleet: defineFleet(input) }),
    ).map((c) => ({
      ...c,
      parameters: { ...(c.parameters as object), exemptObjects: ['deployments.apps/shop/legacy-api'] },
    }));
    const pod = hardenedPodSpec();
    pod.containers[0].securityContext = { privileged: true };
    const review = request({
      operation: 'UPDATE',
      user: WRITER,
      kind: KINDS.deployment,
      namespace: 'shop',
      name: 'legacy-api',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'legacy-api', namespace: 'shop' },
        spec: { replicas: 1, template: { spec: pod } },
      },
    });
    const found = policiesIn(await violations(forced, review));
    expect(found).toEqual(['AG202', 'AG601']);
  });
});

it.each(['rego', 'cel'] as const)(
  'the real Gatekeeper engine (gator, %s) agrees with WASM on exempted and sibling objects',
  async (engine) => {
    const fleet = defineFleet(fleetInput([EXEMPT]));
    const constraints = new PolicyConstraints(new App(), 'c', { fleet });
    const applied = appliedConstraints(constraints).filter((c) => c.enforcementAction === 'deny');
    const suites = new Map<string, GatorCase[]>();
    const reviews = [
      ...offending('legacy-api'),
      ...offending('legacy-api-2'),
      ...offending('legacy-api', 'checkout'),
    ];
    let exempted = 0;
    for (const policy of policyCatalog().filter((p) => p.exemptible)) {
      const constraint = applied.find((c) => c.policy.id === policy.id);
      if (!constraint) throw new Error(`no deny constraint for ${policy.id}`);
      const cases: GatorCase[] = [];
      for (const [i, [what, review]] of reviews.entries()) {
        const found = constraintMatches(constraint.match, review)
          ? messages(
              await new PackEvaluator(committedModules).evaluate(
                policy.folder,
                review,
                constraint.parameters,
              ),
            )
          : [];
        if (found.length === 0 && review.name === 'legacy-api' && review.namespace === 'shop') exempted += 1;
        cases.push({ name: `${i} ${what}`, request: review, messages: found });
      }
      suites.set(policyByFolder(policy.folder).folder, cases);
    }
    expect(exempted).toBeGreaterThan(0);
    // cel: the templates' K8sNativeValidation blocks (Rego where a policy has none), reading exemptObjects.
    const run = gatorVerify(suites, { name: fleet.metadata.name, constraints }, engine);
    const failures = gatorFailures(run, /FAIL|expected|got/i);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(run.status).toBe(0);
  },
  120_000,
);
