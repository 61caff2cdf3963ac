/**
 * What pods an agent writes can reach (AG202): per namespace where its Roles let it create or change
 * an object that runs pods, the ServiceAccounts, Secrets, claims, CSI drivers and registries the
 * synthesized AG202 constraint allows there. Normally nothing beyond `default` and its registries.
 */
import type { AgentPodsParameters } from '../../policies/parameters';
import type { AppliedConstraint } from '../../policies/match';
import type { AccessRow, PodReachRow } from './model';

/** Resources whose objects run pods, as RBAC spells them. */
const POD_CARRYING_RESOURCES = new Set([
  'cronjobs',
  'daemonsets',
  'deployments',
  'jobs',
  'pods',
  'replicasets',
  'replicationcontrollers',
  'statefulsets',
]);
export const WRITE_VERBS: readonly string[] = ['create', 'update', 'patch'];

/** Whether objects of a resource run pods; takes RBAC's `deployments` or admission's `deployments.apps`. */
export const runsPods = (resource: string): boolean => POD_CARRYING_RESOURCES.has(resource.split(/[./]/)[0]);

export function podReachOf(
  constraints: readonly AppliedConstraint[],
  username: string,
  access: readonly AccessRow[],
): PodReachRow[] {
  const constraint = constraints.find((c) => c.policy.folder === 'agent-pods');
  if (!constraint) throw new Error('the synthesized pack has no agent-pods (AG202) constraint');
  const allowances = (constraint.parameters as AgentPodsParameters).agents[username]?.namespaces ?? {};
  const writable = new Set(
    access
      .filter(
        (row) =>
          row.bound &&
          row.verbs.some((v) => WRITE_VERBS.includes(v)) &&
          row.resources.some((r) => POD_CARRYING_RESOURCES.has(r)),
      )
      .map((row) => row.namespace),
  );
  return [...writable].sort().map((namespace) => {
    const a = allowances[namespace];
    return {
      namespace,
      serviceAccounts: ['default', ...(a?.serviceAccounts ?? [])],
      secrets: a?.secrets ?? [],
      volumes: [
        ...(a?.persistentVolumeClaims ?? []).map((c) => `claim ${c}`),
        ...(a?.csiDrivers ?? []).map((d) => `CSI ${d}`),
      ],
      registries: a?.registries ?? [],
    };
  });
}
