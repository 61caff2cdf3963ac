/**
 * The synthesized `dist/` in a real control plane (kube-apiserver, etcd, Gatekeeper's webhook): it
 * applies to an empty cluster in the README's order with nothing refused, and the real RBAC
 * authorizer gives every example agent exactly the access `lib/rbac.ts` computes for its phase.
 */
import { join } from 'node:path';
import { loadFleetFile } from '../../lib';
import { targetRules } from '../../lib/rbac';
import { EXAMPLE_FLEET } from '../support/cli';
import { adminToken } from './front-proxy';
import { GATEKEEPER_NAMESPACE } from '../../tools/cluster';
import { REPO_ROOT } from '../../tools/toolchain';
import { applyDist, objectsIn, ok, synth, synthFile, useControlPlane } from './harness';

const plane = useControlPlane();
const fleet = loadFleetFile(EXAMPLE_FLEET);
const targetNamespaces = [
  ...new Set(fleet.spec.agents.flatMap((a) => a.targets.map((t) => t.namespace))),
].sort();
let dist: string;

describe('dist/ in a real control plane', () => {
  let times: Record<string, number>;
  let warnings: string[];
  beforeAll(() => {
    dist = synth();
    // A user's cluster has the namespaces the agents act in; agentguard creates only the agents' own.
    for (const ns of targetNamespaces)
      ok(plane().kubectl(['create', 'namespace', ns]), `create namespace ${ns}`);
    ({ times, warnings } = applyDist(plane(), dist));
    process.stdout.write(`applied dist/: ${JSON.stringify(times)} (ms)\n`);
  }, 240_000);

  it('applies to an empty cluster in the README order, nothing refused', () => {
    expect(Object.keys(times)).toEqual([
      'templates',
      'constraint CRDs',
      'everything',
      'constraints enforced',
    ]);
    // No warning either: every pod template passes the namespaces' PodSecurity "restricted" level.
    expect(warnings).toEqual([]);
    // Every synthesized object is in the cluster, as written.
    const files = [
      ...fleet.spec.agents.map((a) => join(dist, 'agents', a.name, 'agent.yaml')),
      join(dist, 'policy-pack', 'templates', 'templates.yaml'),
      join(dist, 'policy-pack', 'constraints', 'constraints.yaml'),
      join(dist, 'kill-switch', 'runners.yaml'),
    ];
    const missing: string[] = [];
    let count = 0;
    for (const file of files) {
      for (const o of objectsIn(file)) {
        count++;
        const args = [
          'get',
          `${o.kind}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''),
          o.metadata.name,
        ];
        if (o.metadata.namespace) args.push('-n', o.metadata.namespace);
        if (plane().kubectl([...args, '-o', 'name']).status !== 0)
          missing.push(`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(count).toBeGreaterThan(50);
  });

  it('Gatekeeper settles once it enforces them: no constraint status is rewritten, none holds an error', async () => {
    // Gatekeeper 3.20+ rewrote every constraint's status in a loop while it could not create the
    // ValidatingAdmissionPolicyBinding the constraint asked for (GATEKEEPER_ENFORCEMENT_POINTS).
    interface PodStatus {
      metadata: { name: string; resourceVersion: string };
      status?: { errors?: unknown[]; enforced?: boolean };
    }
    const statuses = (): PodStatus[] =>
      (
        JSON.parse(
          ok(
            plane().kubectl(['get', 'constraintpodstatuses', '-n', GATEKEEPER_NAMESPACE, '-o', 'json']),
            'get constraintpodstatuses',
          ),
        ) as { items: PodStatus[] }
      ).items;
    const versions = (items: PodStatus[]) =>
      items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
    const before = statuses();
    await new Promise((r) => setTimeout(r, 3000));
    const after = statuses();
    expect(after).toHaveLength(
      objectsIn(join(dist, 'policy-pack', 'constraints', 'constraints.yaml')).length,
    );
    expect(versions(after)).toEqual(versions(before));
    expect(after.flatMap((s) => s.status?.errors ?? [])).toEqual([]);
    expect(after.every((s) => s.status?.enforced === true)).toBe(true);
  });

  describe('RBAC: the real authorizer answers as lib/rbac.ts computes, per agent and namespace', () => {
    interface RulesReview {
      status: {
        resourceRules: Array<{
          apiGroups?: string[];
          resources?: string[];
          verbs: string[];
          resourceNames?: string[];
        }>;
        incomplete?: boolean;
      };
    }
    /** Every (group, resource, verb) the agent's own token may use in a namespace, per SelfSubjectRulesReview. */
    const review = async (token: string, namespace: string): Promise<string[]> => {
      const answer = await plane().raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
        token,
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
      });
      expect(`${answer.status} ${answer.status === 201 ? '' : answer.body}`).toBe('201 ');
      const body = JSON.parse(answer.body) as RulesReview;
      expect(body.status.incomplete).toBeFalsy();
      return flatten(body.status.resourceRules);
    };
    const flatten = (
      rules: ReadonlyArray<{
        apiGroups?: readonly string[];
        resources?: readonly string[];
        verbs: readonly string[];
        resourceNames?: readonly string[];
      }>,
    ) =>
      [
        ...new Set(
          rules.flatMap((r) =>
            (r.apiGroups ?? ['']).flatMap((g) =>
              (r.resources ?? []).flatMap((res) =>
                r.verbs.map(
                  (v) => `${g}/${res}:${v}${r.resourceNames?.length ? `[${r.resourceNames.join(',')}]` : ''}`,
                ),
              ),
            ),
          ),
        ),
      ].sort();
    /** What every authenticated identity may do anywhere: the API server's self-review APIs only. */
    let baseline: string[];

    beforeAll(async () => {
      const probe = fleet.spec.agents[0];
      baseline = await review(plane().token(probe.namespace, probe.name), 'kube-public');
    });

    it('the baseline every identity has names only the self-review APIs', () => {
      expect(baseline.length).toBeGreaterThan(0);
      for (const rule of baseline)
        expect(rule).toMatch(/^(authorization|authentication)\.k8s\.io\/self\w+:create$/);
    });

    const armed = fleet.spec.agents.filter((a) => a.killSwitch.state !== 'engaged');
    const engaged = fleet.spec.agents.filter((a) => a.killSwitch.state === 'engaged');

    it.each(armed.map((a) => [a.name, a] as const))(
      '%s: exactly its phase rules in each target, nothing elsewhere',
      async (_, agent) => {
        const token = plane().token(agent.namespace, agent.name);
        const reached = new Set(agent.targets.map((t) => t.namespace));
        // Every target namespace of the fleet, its own namespace, another agent's, and one nobody uses.
        const others = fleet.spec.agents.filter((a) => a !== agent).map((a) => a.namespace);
        for (const namespace of [...targetNamespaces, agent.namespace, others[0], 'default']) {
          const target = agent.targets.find((t) => t.namespace === namespace);
          const expected = target ? flatten(targetRules(agent, target)) : [];
          const got = (await review(token, namespace)).filter((r) => !baseline.includes(r));
          expect({ namespace, rules: got }).toEqual({ namespace, rules: expected });
          if (!reached.has(namespace)) expect(got).toEqual([]);
        }
      },
    );

    it.each(engaged.map((a) => [a.name, a] as const))(
      '%s (kill switch engaged): no rule of its Roles is granted, and AG601 refuses even its questions',
      async (_, agent) => {
        // The Roles stay for review but no RoleBinding is applied. The agent itself cannot ask (AG601
        // denies every request it makes), so the admin asks the authorizer about it.
        const token = plane().token(agent.namespace, agent.name);
        const own = await plane().raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
          token,
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectRulesReview',
            spec: { namespace: 'shop' },
          },
        });
        expect(own.status).toBe(403);
        expect([...own.body.matchAll(/\[(AG\d{3})\]/g)].map((m) => m[1])).toEqual(['AG601']);
        const user = `system:serviceaccount:${agent.namespace}:${agent.name}`;
        for (const target of agent.targets) {
          expect(
            ok(
              plane().kubectl([
                'get',
                'role',
                `agentguard-${agent.name}`,
                '-n',
                target.namespace,
                '-o',
                'name',
              ]),
              'role',
            ),
          ).toContain(agent.name);
          for (const rule of flatten(targetRules(agent, target))) {
            const [, group, resource, verb] = /^([^/]*)\/([^:]+):(\w+)$/.exec(rule) ?? [];
            const [plural, subresource] = resource.split('/');
            const answer = await plane().raw('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
              token: adminToken(plane()),
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SubjectAccessReview',
                spec: {
                  user,
                  groups: [
                    'system:serviceaccounts',
                    `system:serviceaccounts:${agent.namespace}`,
                    'system:authenticated',
                  ],
                  resourceAttributes: {
                    namespace: target.namespace,
                    group,
                    resource: plural,
                    subresource,
                    verb,
                  },
                },
              },
            });
            expect({ rule, allowed: JSON.parse(answer.body).status.allowed }).toEqual({
              rule,
              allowed: false,
            });
          }
        }
      },
    );

    it('the comparison catches one extra verb: a Role patched in the cluster no longer matches', async () => {
      const agent = armed.find((a) => a.name === 'release-bot') ?? armed[0];
      const target = agent.targets[0];
      const role = JSON.parse(
        ok(
          plane().kubectl(['get', 'role', `agentguard-${agent.name}`, '-n', target.namespace, '-o', 'json']),
          'get',
        ),
      );
      const original = JSON.stringify(role.rules);
      role.rules[0].verbs.push('delete');
      ok(
        plane().kubectl([
          'patch',
          'role',
          `agentguard-${agent.name}`,
          '-n',
          target.namespace,
          '--type=merge',
          '-p',
          JSON.stringify({ rules: role.rules }),
        ]),
        'patch',
      );
      try {
        const token = plane().token(agent.namespace, agent.name);
        const got = (await review(token, target.namespace)).filter((r) => !baseline.includes(r));
        expect(got).not.toEqual(flatten(targetRules(agent, target)));
        expect(got.filter((r) => !flatten(targetRules(agent, target)).includes(r))).toEqual(
          (role.rules[0].resources as string[])
            .map((r) => `${role.rules[0].apiGroups[0]}/${r}:delete`)
            .sort(),
        );
      } finally {
        ok(
          plane().kubectl([
            'patch',
            'role',
            `agentguard-${agent.name}`,
            '-n',
            target.namespace,
            '--type=merge',
            '-p',
            `{"rules":${original}}`,
          ]),
          'restore',
        );
      }
    });
  });

  /**
   * A second fleet in the same cluster (examples/fleet-data.yaml, synthesized with --also the example
   * fleet, as the README says): applying it changes nothing of the first fleet's constraints, and its
   * object exemption survives Gatekeeper's constraint schema and works in the real webhook.
   */
  describe('a second fleet in the same cluster', () => {
    const DATA_FLEET = join(REPO_ROOT, 'examples', 'fleet-data.yaml');
    const constraintSpecs = (fleetName: string): Record<string, unknown> => {
      const list = JSON.parse(
        ok(plane().kubectl(['get', 'constraints', '-o', 'json']), 'get constraints'),
      ) as {
        items: Array<{
          kind: string;
          metadata: { name: string; labels?: Record<string, string> };
          spec: unknown;
        }>;
      };
      return Object.fromEntries(
        list.items
          .filter((c) => c.metadata.labels?.['agentguard.dev/fleet'] === fleetName)
          .map((c) => [`${c.kind}/${c.metadata.name}`, c.spec]),
      );
    };
    let before: Record<string, unknown>;
    let token: string;
    beforeAll(() => {
      before = constraintSpecs(fleet.metadata.name);
      const dataDist = synthFile(DATA_FLEET, [EXAMPLE_FLEET]);
      for (const ns of ['warehouse', 'warehouse-legacy'])
        ok(plane().kubectl(['create', 'namespace', ns]), `create namespace ${ns}`);
      applyDist(plane(), dataDist);
      // The indexer is in shadow (read-only RBAC); drift grants it scale, as a restored binding would,
      // so the request reaches admission and the webhook's answer shows what the exemption does.
      ok(plane().kubectl(['apply', '-f', '-'], { input: DRIFT }), 'drift RBAC');
      for (const name of ['nightly-backfill', 'nightly-report'])
        ok(
          plane().kubectl([
            'create',
            'deployment',
            name,
            '-n',
            'warehouse',
            '--image=registry.k8s.io/pause:3.10',
          ]),
          name,
        );
      token = plane().token('agents-warehouse', 'warehouse-indexer');
    }, 240_000);

    it('leaves every constraint of the first fleet as it was, and adds its own beside them', () => {
      expect(constraintSpecs(fleet.metadata.name)).toEqual(before);
      const theirs = Object.keys(constraintSpecs('data-platform'));
      expect(theirs.length).toBeGreaterThanOrEqual(9);
      expect(theirs.filter((k) => Object.hasOwn(before, k))).toEqual([]);
    });

    it('Gatekeeper keeps the exemptObjects parameter (the template declares it)', () => {
      const specs = constraintSpecs('data-platform') as Record<
        string,
        { parameters: { exemptObjects?: string[] } }
      >;
      const withObjects = Object.entries(specs)
        .filter(([, spec]) => spec.parameters.exemptObjects !== undefined)
        .map(([key, spec]) => [key, spec.parameters.exemptObjects]);
      expect(withObjects).toEqual([
        [
          'AgentGuardReplicaLimits/agentguard-data-platform-replica-limits',
          ['deployments.apps/warehouse/nightly-backfill'],
        ],
        [
          'AgentGuardReplicaLimits/agentguard-data-platform-replica-limits-warn',
          ['deployments.apps/warehouse/nightly-backfill'],
        ],
      ]);
    });

    it('the exempted Deployment skips AG401 through the webhook; its neighbour does not', () => {
      // kubectl scale: the scale subresource, which an object exemption covers (AG202, always deny,
      // would refuse a patch of these unhardened Deployments whatever the exemption says).
      const scaleUp = (name: string) =>
        plane().kubectl(['scale', `deployment/${name}`, '-n', 'warehouse', '--replicas=40'], { token });
      // The indexer is in warn while new: the webhook lets both through and says why in warnings.
      const policies = (stderr: string) =>
        [...new Set([...stderr.matchAll(/\[(AG\d{3})\]/g)].map((m) => m[1]))].sort();
      const neighbour = scaleUp('nightly-report');
      expect(neighbour.status).toBe(0);
      expect(policies(neighbour.stderr)).toContain('AG401');
      const exempted = scaleUp('nightly-backfill');
      expect(exempted.status).toBe(0);
      expect(policies(exempted.stderr)).not.toContain('AG401');
      // Still under the rest of the pack: the unattributed write warns AG301 on both.
      expect(policies(exempted.stderr)).toContain('AG301');
      expect(policies(neighbour.stderr)).toContain('AG301');
    });
  });
});

const DRIFT = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: drift-scale-deployments, namespace: warehouse }
rules:
  - apiGroups: [apps]
    resources: [deployments, deployments/scale]
    verbs: [get, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: drift-scale-deployments, namespace: warehouse }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: drift-scale-deployments }
subjects:
  - { kind: ServiceAccount, name: warehouse-indexer, namespace: agents-warehouse }
`;
