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

function accessOf(objects: readonly K8sObject[], agent: string, sa: K8sObject): AccessRow[] {
  const bindings = objects.filter(
    (o): o is RoleBindingObject =>
      o.kind === 'RoleBinding' &&
      ((o as RoleBindingObject).subjects ?? []).some(
        (s) =>
          s.kind === 'ServiceAccount' && s.name === sa.metadata.name && s.namespace === sa.metadata.namespace,
      ),
  );
  const bound = (role: K8sObject) =>
    bindings.some(
      (b) =>
        b.metadata.namespace === role.metadata.namespace &&
        b.roleRef.kind === 'Role' &&
        b.roleRef.name === role.metadata.name,
    );
  // The agent's Roles: those bound to it, and those labelled as its own (kept, unbound, while engaged).
  const roles = objects.filter(
    (o): o is RoleObject => o.kind === 'Role' && (o.metadata.labels?.[LABELS.agent] === agent || bound(o)),
  );
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
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
  const agents = objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.labels?.[LABELS.agent]);
  return agents
    .map((sa): AgentReach => {
      const name = sa.metadata.labels?.[LABELS.agent] ?? sa.metadata.name;
      const namespace = sa.metadata.namespace ?? '';
      const username = `system:serviceaccount:${namespace}:${sa.metadata.name}`;
      const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
      const workload = objects.find(
        (o) =>
          ['Deployment', 'Job', 'CronJob'].includes(o.kind) &&
          o.metadata.namespace === namespace &&
          o.metadata.labels?.[LABELS.agent] === name,
      );
      const pods = podLabels(workload);
      const access = accessOf(objects, name, sa);
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
        egress: egressOf(policies, namespace, pods),
        vault: vaultOf(fleet, name),
        ...rollout(fleet, name),
      };
    })
    .sort((a, b) => byString(a.name, b.name));
}
