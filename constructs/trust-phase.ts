import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { agentLabels, agentRoleName } from '../lib/naming';
import { PHASE_PROFILES, type PhaseProfile } from '../lib/phases';
import { targetRules, type PolicyRule } from '../lib/rbac';

export interface TrustPhaseProps {
  /** The validated fleet (its name labels every object). */
  readonly fleet: Fleet;
  /** The agent whose phase is mapped to RBAC. */
  readonly agent: Agent;
}

/**
 * Maps an agent's trust phase (I5) to namespace-scoped Roles and RoleBindings in each target
 * namespace; never a ClusterRole or ClusterRoleBinding. The rules come from `targetRules`, which
 * refuses anything I1/I2 forbid. With the kill switch engaged the Roles stay (for review) but no
 * RoleBinding is emitted, so the agent holds no permissions at all.
 */
export class TrustPhase extends Construct {
  /** The phase behaviour other layers read (Vault TTLs, admission rules), from the one table in lib/phases. */
  readonly profile: PhaseProfile;
  /** Rules per target namespace, sorted by namespace. */
  readonly rules: ReadonlyMap<string, readonly PolicyRule[]>;

  constructor(scope: Construct, id: string, props: TrustPhaseProps) {
    super(scope, id);
    const { fleet, agent } = props;
    this.profile = PHASE_PROFILES[agent.phase];
    const labels = agentLabels(fleet, agent);
    const name = agentRoleName(agent);
    const rules = new Map<string, readonly PolicyRule[]>();
    for (const target of [...agent.targets].sort((a, b) => a.namespace.localeCompare(b.namespace))) {
      const targetRulesList = targetRules(agent, target);
      rules.set(target.namespace, targetRulesList);
      new k8s.KubeRole(this, `role-${target.namespace}`, {
        metadata: { name, namespace: target.namespace, labels },
        rules: targetRulesList.map((r) => ({
          apiGroups: [...r.apiGroups],
          resources: [...r.resources],
          verbs: [...r.verbs],
        })),
      });
      if (agent.killSwitch.state === 'engaged') continue;
      new k8s.KubeRoleBinding(this, `binding-${target.namespace}`, {
        metadata: { name, namespace: target.namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name: agent.name, namespace: agent.namespace }],
      });
    }
    this.rules = rules;
  }
}
