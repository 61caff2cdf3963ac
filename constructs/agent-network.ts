import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { agentLabels, LABELS } from '../lib/naming';
import { usesVault } from './pod';

export interface AgentNetworkProps {
  /** The validated fleet (Vault's namespace and port come from `spec.vault`). */
  readonly fleet: Fleet;
  /** The agent whose namespace the policies guard. */
  readonly agent: Agent;
}

/**
 * Network isolation of an agent namespace (I8): deny all ingress and egress, then allow egress to
 * DNS, Vault and the fleet's declared destinations only.
 *
 * NetworkPolicies only add allowances, so a deny policy next to an allow policy blocks nothing. The
 * kill switch (I6) therefore works by selection: the allow policy selects only pods whose
 * kill-switch label is not `engaged`. Relabelling a pod `engaged` takes it out of every allowance,
 * and the default deny is all that is left.
 */
export class AgentNetwork extends Construct {
  constructor(scope: Construct, id: string, props: AgentNetworkProps) {
    super(scope, id);
    const { fleet, agent } = props;
    const labels = agentLabels(fleet, agent);

    new ApiObject(this, 'default-deny', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'agentguard-default-deny', namespace: agent.namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });

    const egress: object[] = [
      {
        to: [
          {
            ...namespaceNamed('kube-system'),
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ];
    if (usesVault(agent)) {
      egress.push({
        to: [namespaceNamed(fleet.spec.vault.namespace)],
        ports: [{ protocol: 'TCP', port: fleet.spec.vault.port }],
      });
    }
    for (const destination of agent.egress) {
      egress.push({
        to: [
          destination.namespace !== undefined
            ? namespaceNamed(destination.namespace)
            : { ipBlock: { cidr: destination.cidr } },
        ],
        ports: destination.ports.map((port) => ({ protocol: 'TCP', port })),
      });
    }

    new ApiObject(this, 'allow-egress', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'agentguard-allow-egress', namespace: agent.namespace, labels },
      spec: { podSelector: allowSelector(agent), policyTypes: ['Egress'], egress },
    });
  }
}

/** Selects the agent's pods unless their kill switch is engaged: the one selector every allow policy uses. */
export function allowSelector(agent: Agent) {
  return {
    matchLabels: { [LABELS.agent]: agent.name },
    matchExpressions: [{ key: LABELS.killSwitch, operator: 'NotIn', values: ['engaged'] }],
  };
}

/** A peer selecting every pod of one namespace, by the name label Kubernetes sets on each namespace. */
function namespaceNamed(name: string) {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } };
}
