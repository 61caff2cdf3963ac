/**
 * What the in-cluster runner of one agent's kill switch may do: exactly what its script's commands
 * need, named by resourceNames wherever Kubernetes can check a name (list cannot, and a CronJob's
 * runs have generated names). No `*`, no secrets, no create, nothing outside the agent's namespace,
 * its target namespaces and the one kill-switch constraint.
 */
import type { Agent } from '../../lib/fleet/schema';
import { agentRoleName } from '../../lib/naming';
import { killSwitchConstraint } from './plan';

export interface RunnerRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

export interface RunnerRbac {
  /** Cluster-scoped: read and merge-patch this agent's entry into the kill-switch constraint (step 1). */
  readonly cluster: readonly RunnerRule[];
  /** In the agent's namespace: relabel pods, stop and annotate the workload, delete the ServiceAccount. */
  readonly agentNamespace: readonly RunnerRule[];
  /** In each target namespace: delete the agent's RoleBinding. */
  readonly targetNamespace: readonly RunnerRule[];
}

function workloadRules(agent: Agent): RunnerRule[] {
  const named = [agent.name];
  switch (agent.workload.kind) {
    case 'deployment':
      return [
        // `kubectl annotate` reads the object before patching it.
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: named, verbs: ['get', 'patch'] },
        // `kubectl scale` patches the scale subresource (and reads it when given preconditions).
        {
          apiGroups: ['apps'],
          resources: ['deployments/scale'],
          resourceNames: named,
          verbs: ['get', 'patch'],
        },
      ];
    case 'job':
      return [{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: named, verbs: ['get', 'patch'] }];
    case 'cronjob':
      return [
        { apiGroups: ['batch'], resources: ['cronjobs'], resourceNames: named, verbs: ['get', 'patch'] },
        // Its running Jobs have generated names, so they can only be found by label.
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'patch'] },
      ];
  }
}

export function runnerRbac(fleetName: string, agent: Agent): RunnerRbac {
  const constraint = killSwitchConstraint(fleetName);
  const [resource, ...group] = constraint.resource.split('.');
  return {
    cluster: [
      {
        apiGroups: [group.join('.')],
        resources: [resource],
        resourceNames: [constraint.name],
        // `kubectl patch` reads the object before patching it (and fails without `get`).
        verbs: ['get', 'patch'],
      },
    ],
    agentNamespace: [
      // `kubectl label -l` lists the agent's pods, reads each, then patches its labels.
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
      ...workloadRules(agent),
      // `kubectl delete` with a name deletes without reading first.
      {
        apiGroups: [''],
        resources: ['serviceaccounts'],
        resourceNames: [agent.name],
        verbs: ['delete'],
      },
    ],
    targetNamespace: [
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['rolebindings'],
        resourceNames: [agentRoleName(agent)],
        verbs: ['delete'],
      },
    ],
  };
}
