/**
 * RBAC rules an agent gets in one target namespace, derived from its phase (I5) and checked against
 * what no agent may ever hold (I1, I2). Rules are typed objects, rendered into Roles in one place.
 */
import type { Agent, Target } from './fleet/schema';
import { cite } from './invariants';
import { MANAGEABLE_KINDS } from './kinds';
import { PHASE_PROFILES } from './phases';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly Verb[];
}

const READ: readonly Verb[] = ['get', 'list', 'watch'];

/** Resources no agent Role may name, whatever the fleet says (I2). */
export const FORBIDDEN_RESOURCES: readonly string[] = [
  '*',
  'secrets',
  'pods/exec',
  'pods/attach',
  'pods/portforward',
  // A debug container joins a running pod: its Secrets, its token, its processes (AG202 checks one
  // added anyway, but RBAC is the first line).
  'pods/ephemeralcontainers',
  // An Eviction deletes the pod (I1): a delete by another name, which admission (AG102) also denies.
  'pods/eviction',
  'serviceaccounts',
  'serviceaccounts/token',
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
  'networkpolicies',
  'namespaces',
  'customresourcedefinitions',
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
];

/** Verbs no agent Role may hold (I1, I2); `delete` only for the fleet's named kinds of an autonomous agent. */
export const FORBIDDEN_VERBS: readonly string[] = [
  '*',
  'impersonate',
  'escalate',
  'bind',
  'deletecollection',
];

/** The rules for one target: read always; update/patch (and create) past shadow; delete as the fleet names. */
export function targetRules(agent: Agent, target: Target): PolicyRule[] {
  const profile = PHASE_PROFILES[agent.phase];
  const byGroup = new Map<string, { read: Set<string>; write: Set<string>; del: Set<string> }>();
  const group = (g: string) => {
    let entry = byGroup.get(g);
    if (!entry) byGroup.set(g, (entry = { read: new Set(), write: new Set(), del: new Set() }));
    return entry;
  };
  for (const kindName of target.kinds) {
    const kind = MANAGEABLE_KINDS[kindName];
    const entry = group(kind.group);
    entry.read.add(kind.resource);
    if (profile.mutations !== 'none') {
      entry.write.add(kind.resource);
      // `kubectl scale` writes the scale subresource; admission caps it (I4).
      if (kind.scalable) entry.write.add(`${kind.resource}/scale`);
    }
    if (profile.mayDelete && target.deleteKinds.includes(kindName)) entry.del.add(kind.resource);
  }
  const writeVerbs: Verb[] = target.create ? ['create', 'update', 'patch'] : ['update', 'patch'];
  const rules: PolicyRule[] = [];
  for (const [apiGroup, entry] of [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = (s: Set<string>) => [...s].sort();
    rules.push({ apiGroups: [apiGroup], resources: sorted(entry.read), verbs: READ });
    if (entry.write.size > 0)
      rules.push({ apiGroups: [apiGroup], resources: sorted(entry.write), verbs: writeVerbs });
    if (entry.del.size > 0)
      rules.push({ apiGroups: [apiGroup], resources: sorted(entry.del), verbs: ['delete'] });
  }
  assertAllowed(agent, target, rules);
  return rules;
}

/** Defence in depth: throws if a rule would grant what I1/I2 forbid, whatever produced it. */
export function assertAllowed(agent: Agent, target: Target, rules: readonly PolicyRule[]): void {
  const deletable = new Set(
    PHASE_PROFILES[agent.phase].mayDelete ? target.deleteKinds.map((k) => MANAGEABLE_KINDS[k].resource) : [],
  );
  for (const rule of rules) {
    for (const resource of rule.resources) {
      if (FORBIDDEN_RESOURCES.includes(resource)) {
        throw new Error(
          `agent "${agent.name}": a Role in "${target.namespace}" would grant "${resource}" ${cite('I2')}`,
        );
      }
      if (rule.verbs.includes('delete') && !deletable.has(resource)) {
        throw new Error(
          `agent "${agent.name}": a Role in "${target.namespace}" would grant delete on "${resource}" ${cite('I1')}`,
        );
      }
    }
    for (const verb of rule.verbs) {
      if (FORBIDDEN_VERBS.includes(verb)) {
        throw new Error(
          `agent "${agent.name}": a Role in "${target.namespace}" would grant verb "${verb}" ${cite('I1', 'I2')}`,
        );
      }
    }
  }
}
