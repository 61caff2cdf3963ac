/**
 * Property-based: over randomized valid fleets, no generated Role holds a forbidden verb or resource,
 * delete appears only where an autonomous agent's fleet entry names it, and no agent pod misses a
 * required security setting.
 */
import fc from 'fast-check';
import type { AgentInput } from '../../lib/fleet/schema';
import { defineFleet } from '../../lib/fleet/validate';
import { MANAGEABLE_KIND_NAMES, MANAGEABLE_KINDS } from '../../lib/kinds';
import { PHASES } from '../../lib/phases';
import { FORBIDDEN_RESOURCES, FORBIDDEN_VERBS } from '../../lib/rbac';
import { DIGEST } from '../support/fleets';
import { hardeningGaps, type Manifest, ofKind, podTemplates, synthObjects } from '../support/manifests';

const TARGET_NAMESPACES = ['shop', 'payments', 'batch', 'search'];

const targetArb = (autonomous: boolean) =>
  fc
    .record({
      kinds: fc.uniqueArray(fc.constantFrom(...MANAGEABLE_KIND_NAMES), { minLength: 1, maxLength: 5 }),
      create: fc.boolean(),
      deleteMask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    })
    .map(({ kinds, create, deleteMask }) => ({
      kinds,
      create,
      deleteKinds: autonomous ? kinds.filter((_, i) => deleteMask[i]) : [],
    }));

const agentArb = (index: number): fc.Arbitrary<AgentInput> =>
  fc.constantFrom(...PHASES).chain((phase) =>
    fc
      .record({
        phase: fc.constant(phase),
        workload: fc.oneof(
          fc.record({ kind: fc.constant('deployment' as const), replicas: fc.integer({ min: 0, max: 5 }) }),
          fc.record({ kind: fc.constant('job' as const) }),
          fc.record({ kind: fc.constant('cronjob' as const), schedule: fc.constant('*/5 * * * *') }),
        ),
        targets: fc
          .uniqueArray(fc.constantFrom(...TARGET_NAMESPACES), { maxLength: 3 })
          .chain((namespaces) =>
            fc.tuple(
              ...namespaces.map((ns) =>
                targetArb(phase === 'autonomous').map((t) => ({ namespace: ns, ...t })),
              ),
            ),
          ),
        vault: fc
          .boolean()
          .map((on) => ({ secrets: on ? [{ path: `secret/data/agents/a${index}/*` }] : [] })),
        killSwitch: fc.constantFrom(
          { state: 'armed' as const },
          { state: 'engaged' as const, engagedBy: 'sec@example.com', reason: 'drill' },
        ),
      })
      .map((a) => ({
        ...a,
        name: `agent-${index}`,
        namespace: `agents-${index}`,
        image: `registry.example.com/agents/a${index}@${DIGEST}`,
        attribution: { initiators: ['*@example.com'] },
      })),
  );

const fleetArb = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => agentArb(i))))
  .map((agents) =>
    defineFleet({
      apiVersion: 'agentguard.dev/v1alpha1',
      kind: 'AgentFleet',
      metadata: { name: 'prop' },
      spec: { agents },
    }),
  );

describe('properties over random fleets', () => {
  it('no Role grants a forbidden verb or resource; delete only as the fleet names it', () => {
    fc.assert(
      fc.property(fleetArb, (fleet) => {
        const objects = synthObjects(fleet);
        expect(objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
        for (const role of ofKind(objects, 'Role')) {
          const agent = fleet.spec.agents.find((a) => `agentguard-${a.name}` === role.metadata.name)!;
          const target = agent.targets.find((t) => t.namespace === role.metadata.namespace)!;
          const deletable =
            agent.phase === 'autonomous' ? target.deleteKinds.map((k) => MANAGEABLE_KINDS[k].resource) : [];
          for (const rule of role.rules as Manifest[]) {
            for (const verb of rule.verbs) expect(FORBIDDEN_VERBS).not.toContain(verb);
            for (const resource of rule.resources) expect(FORBIDDEN_RESOURCES).not.toContain(resource);
            if (rule.verbs.includes('delete')) for (const r of rule.resources) expect(deletable).toContain(r);
            if (agent.phase === 'shadow') expect(rule.verbs).toEqual(['get', 'list', 'watch']);
            if (!target.create) expect(rule.verbs).not.toContain('create');
            // A Pod an agent creates is a workload like any other (AG202 checks it), but RBAC
            // only lets it create pods where the fleet lists Pod with create: true.
            if (rule.verbs.includes('create') && rule.resources.includes('pods')) {
              expect(target.create && target.kinds.includes('Pod')).toBe(true);
            }
            // Ephemeral containers are a way into a running pod; they are never granted.
            expect(rule.resources.filter((r: string) => r.startsWith('pods/'))).toEqual([]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('every agent pod is hardened, and an engaged agent runs nothing and is bound to nothing', () => {
    fc.assert(
      fc.property(fleetArb, (fleet) => {
        const objects = synthObjects(fleet);
        for (const { owner, template } of podTemplates(objects))
          expect([owner, hardeningGaps(template)]).toEqual([owner, []]);
        for (const agent of fleet.spec.agents.filter((a) => a.killSwitch.state === 'engaged')) {
          const bindings = ofKind(objects, 'RoleBinding').filter(
            (b) => b.metadata.name === `agentguard-${agent.name}`,
          );
          expect(bindings).toEqual([]);
          const workload = objects.find(
            (o) => o.metadata?.name === agent.name && ['Deployment', 'Job', 'CronJob'].includes(o.kind),
          )!;
          if (workload.kind === 'Deployment') expect(workload.spec.replicas).toBe(0);
          else expect(workload.spec.suspend).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
