/**
 * Every agent's blast radius computed from the synthesized output, not the fleet file: the app is
 * built in memory as synth builds it and its objects are read back (ServiceAccounts, Namespaces'
 * labels, Roles and RoleBindings, NetworkPolicies and the pods they select, the Constraints). Vault
 * comes from the typed Vault model the stack renders.
 */
import { formatDuration } from '../../lib/duration';
import type { Fleet } from '../../lib/fleet/schema';
import { LABELS } from '../../lib/naming';
import type { Labels } from '../../lib/selectors';
import { agentVaultModel } from '../../lib/vault/agent';
import { enforcementAction, relaxedUntil } from '../../lib/enforcement';
import { policyCatalog } from '../../policies/catalog';
import { appliedConstraints } from '../../policies/match';
import { buildApp } from '../app';
import { admissionOf } from './admission';
import { effectiveAccessOf } from './effective';
import { egressOf, type NetworkPolicyObject } from './egress';
import { podReachOf } from './pods';
import type { AccessRow, AgentReach, VaultReach } from './model';

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Labels };
  readonly [field: string]: unknown;
}

interface RoleObject extends K8sObject {
  readonly rules: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}
interface RoleBindingObject extends K8sObject {
  readonly roleRef: { readonly kind: string; readonly name: string };
  readonly subjects?: readonly { kind: string; name: string; namespace?: string }[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The labels the agent's pods carry, from its workload's pod template. */
function podLabels(workload: K8sObject | undefined): Labels {
  const spec = workload?.spec as
    | {
        template?: { metadata?: { labels?: Labels } };
        jobTemplate?: { spec?: { template?: { metadata?: { labels?: Labels } } } };
      }
    | undefined;
  return spec?.template?.metadata?.labels ?? spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
}

/**
 * The objects the report reads per agent, looked up by key: a fleet of n agents has O(n) objects, and
 * scanning them all for each agent made the report quadratic (30 s for 1,000 agents).
 */
interface ObjectIndex {
  /** Each object's place in the output, so lookups keep the output's order. */
  readonly position: ReadonlyMap<K8sObject, number>;
  readonly namespaces: ReadonlyMap<string, K8sObject>;
  /** The agent's workload by `namespace/agent`: the first Deployment, Job or CronJob labelled so. */
  readonly workloads: ReadonlyMap<string, K8sObject>;
  /** RoleBindings by each ServiceAccount subject, `namespace/name`. */
  readonly bindingsBySubject: ReadonlyMap<string, RoleBindingObject[]>;
  readonly rolesByName: ReadonlyMap<string, RoleObject>;
  readonly rolesByAgent: ReadonlyMap<string, RoleObject[]>;
  readonly networkPolicies: ReadonlyMap<string, NetworkPolicyObject[]>;
}

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

function push<T>(map: Map<string, T[]>, at: string, value: T): void {
  const list = map.get(at);
  if (list) list.push(value);
  else map.set(at, [value]);
}

function indexObjects(objects: readonly K8sObject[]): ObjectIndex {
  const position = new Map<K8sObject, number>();
  const namespaces = new Map<string, K8sObject>();
  const workloads = new Map<string, K8sObject>();
  const bindingsBySubject = new Map<string, RoleBindingObject[]>();
  const rolesByName = new Map<string, RoleObject>();
  const rolesByAgent = new Map<string, RoleObject[]>();
  const networkPolicies = new Map<string, NetworkPolicyObject[]>();
  objects.forEach((o, i) => {
    position.set(o, i);
    const agent = o.metadata.labels?.[LABELS.agent];
    if (o.kind === 'Namespace' && !namespaces.has(o.metadata.name)) namespaces.set(o.metadata.name, o);
    if (['Deployment', 'Job', 'CronJob'].includes(o.kind) && agent !== undefined) {
      const at = key(o.metadata.namespace, agent);
      if (!workloads.has(at)) workloads.set(at, o);
    }
    if (o.kind === 'RoleBinding') {
      const binding = o as RoleBindingObject;
      const subjects = new Set(
        (binding.subjects ?? [])
          .filter((s) => s.kind === 'ServiceAccount')
          .map((s) => key(s.namespace, s.name)),
      );
      for (const subject of subjects) push(bindingsBySubject, subject, binding);
    }
    if (o.kind === 'Role') {
      const role = o as RoleObject;
      if (!rolesByName.has(key(o.metadata.namespace, o.metadata.name)))
        rolesByName.set(key(o.metadata.namespace, o.metadata.name), role);
      if (agent !== undefined) push(rolesByAgent, agent, role);
    }
    if (o.kind === 'NetworkPolicy') {
      push(networkPolicies, o.metadata.namespace ?? '', o as unknown as NetworkPolicyObject);
    }
  });
  return { position, namespaces, workloads, bindingsBySubject, rolesByName, rolesByAgent, networkPolicies };
}

function accessOf(index: ObjectIndex, agent: string, sa: K8sObject): AccessRow[] {
  const bindings = index.bindingsBySubject.get(key(sa.metadata.namespace, sa.metadata.name)) ?? [];
  // Roles bound to the agent's ServiceAccount, by the key its bindings name.
  const boundKeys = new Set(
    bindings.filter((b) => b.roleRef.kind === 'Role').map((b) => key(b.metadata.namespace, b.roleRef.name)),
  );
  const bound = (role: K8sObject) => boundKeys.has(key(role.metadata.namespace, role.metadata.name));
  // The agent's Roles: those bound to it, and those labelled as its own (kept, unbound, while engaged),
  // every Role of that namespace and name once, in output order.
  const candidates = new Set<RoleObject>(index.rolesByAgent.get(agent) ?? []);
  for (const at of boundKeys) {
    const role = index.rolesByName.get(at);
    if (role) candidates.add(role);
  }
  const roles = [...candidates].sort((a, b) => (index.position.get(a) ?? 0) - (index.position.get(b) ?? 0));
  return (
    roles
      .flatMap((role) =>
        role.rules.flatMap((rule) =>
          rule.apiGroups.map((apiGroup) => ({
            namespace: role.metadata.namespace ?? '',
            apiGroup,
            resources: [...rule.resources].sort(byString),
            verbs: [...rule.verbs],
            bound: bound(role),
          })),
        ),
      )
      // Stable: within a namespace the Role's own rule order (read, write, delete per API group) stays.
      .sort((a, b) => byString(a.namespace, b.namespace))
  );
}

function vaultOf(fleet: Fleet, name: string): VaultReach | undefined {
  const agent = fleet.spec.agents.find((a) => a.name === name);
  const model = agent && agentVaultModel(fleet, agent);
  if (!model) return undefined;
  return {
    paths: model.policy.rules.map((r) => ({ path: r.path, capabilities: [...r.capabilities] })),
    ttl: formatDuration(model.ttls.ttlSeconds),
    maxTtl: formatDuration(model.ttls.maxTtlSeconds),
    login: model.authRole ? `auth/${model.authRole.mount} role ${model.authRole.name}` : undefined,
  };
}

/** The agent's relaxed rollout, if any: which policies are not in deny, until when and why. */
function rollout(fleet: Fleet, name: string): { enforcement?: string } {
  const agent = fleet.spec.agents.find((a) => a.name === name);
  if (!agent) return {};
  const relaxed = policyCatalog()
    .map((p) => ({
      id: p.id,
      action: enforcementAction(fleet, agent, p.id),
      until: relaxedUntil(fleet, agent, p.id),
    }))
    .filter((p) => p.action !== 'deny');
  if (relaxed.length === 0) return {};
  const reason = agent.enforcement?.reason ?? fleet.spec.enforcement.reason;
  return {
    enforcement:
      relaxed.map((p) => `${p.id} ${p.action}${p.until ? ` until ${p.until}` : ''}`).join(', ') +
      (reason ? ` (${reason})` : ''),
  };
}

export function fleetReach(fleet: Fleet): AgentReach[] {
  const { apps, constraints } = buildApp(fleet);
  const objects = apps.flatMap((app) => app.charts.flatMap((c) => c.toJson() as K8sObject[]));
  const applied = appliedConstraints(constraints);
  const index = indexObjects(objects);
  const agents = objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.labels?.[LABELS.agent]);
  return agents
    .map((sa): AgentReach => {
      const name = sa.metadata.labels?.[LABELS.agent] ?? sa.metadata.name;
      const namespace = sa.metadata.namespace ?? '';
      const username = `system:serviceaccount:${namespace}:${sa.metadata.name}`;
      const ns = index.namespaces.get(namespace);
      const workload = index.workloads.get(key(namespace, name));
      const pods = podLabels(workload);
      const access = accessOf(index, name, sa);
      return {
        name,
        namespace,
        username,
        phase: ns?.metadata.labels?.[LABELS.phase] ?? 'unknown',
        // Only pods carry the switch's state: it is what the allow policies select on.
        killSwitch: pods[LABELS.killSwitch] ?? 'unknown',
        access,
        effective: effectiveAccessOf(applied, username, access),
        admission: admissionOf(applied, username, namespace),
        pods: podReachOf(applied, username, access),
        egress: egressOf(index.networkPolicies.get(namespace) ?? [], namespace, pods),
        vault: vaultOf(fleet, name),
        ...rollout(fleet, name),
      };
    })
    .sort((a, b) => byString(a.name, b.name));
}
