/** Names, labels and identities every part of agentguard derives from an agent the same way. */
import type { Agent, Fleet } from './fleet/schema';

export const LABEL_PREFIX = 'agentguard.dev';
export const LABELS = {
  agent: `${LABEL_PREFIX}/agent`,
  fleet: `${LABEL_PREFIX}/fleet`,
  phase: `${LABEL_PREFIX}/phase`,
  killSwitch: `${LABEL_PREFIX}/kill-switch`,
  /** On the kill-switch runner objects: the agent they stop (never `agent`, which selects its pods). */
  killSwitchFor: `${LABEL_PREFIX}/kill-switch-for`,
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The Kubernetes username of an agent's ServiceAccount: what admission sees in userInfo.username. */
export function agentUsername(agent: Pick<Agent, 'name' | 'namespace'>): string {
  return `system:serviceaccount:${agent.namespace}:${agent.name}`;
}

/**
 * Labels on the objects a fleet owns as a whole (its constraints, admission policies, the runners'
 * namespace): `kubectl apply --prune -l agentguard.dev/fleet=<fleet>` selects on them.
 */
export function fleetLabels(fleet: Fleet): Record<string, string> {
  return { [LABELS.fleet]: fleet.metadata.name, [LABELS.managedBy]: 'agentguard' };
}

/**
 * Labels on every object emitted for an agent. Sorted keys keep the output byte-stable. The kill-switch
 * state is not among them: only pods carry it (`agentPodLabels`), so engaging the switch changes the
 * objects that stop the agent and no others.
 */
export function agentLabels(fleet: Fleet, agent: Agent): Record<string, string> {
  return {
    [LABELS.agent]: agent.name,
    [LABELS.fleet]: fleet.metadata.name,
    [LABELS.phase]: agent.phase,
    [LABELS.managedBy]: 'agentguard',
  };
}

/**
 * Labels of the agent's pods: its labels and the kill-switch state, which every allow NetworkPolicy
 * selects on. Relabelling a running pod `engaged` is how the emergency path cuts its network.
 */
export function agentPodLabels(fleet: Fleet, agent: Agent): Record<string, string> {
  const { [LABELS.agent]: name, [LABELS.fleet]: fleetName, ...rest } = agentLabels(fleet, agent);
  return {
    [LABELS.agent]: name,
    [LABELS.fleet]: fleetName,
    [LABELS.killSwitch]: agent.killSwitch.state,
    ...rest,
  };
}

/** Name of the agent's Role (and RoleBinding) in each target namespace; Vault's secrets engine binds it too. */
export function agentRoleName(agent: Pick<Agent, 'name'>): string {
  return `agentguard-${agent.name}`;
}

/** Who engaged an agent's kill switch and why, recorded on its workload (the emergency path deletes the ServiceAccount). */
export const KILL_SWITCH_ANNOTATIONS = {
  engagedBy: `${LABEL_PREFIX}/kill-switch-engaged-by`,
  reason: `${LABEL_PREFIX}/kill-switch-reason`,
} as const;
