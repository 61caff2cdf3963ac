import { k8s } from 'cdk8s-plus-28';
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

    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: { name: 'agentguard-default-deny', namespace: agent.namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });

    const egress: k8s.NetworkPolicyEgressRule[] = [
      {
        to: [
          {
            ...namespaceNamed('kube-system'),
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
          { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
        ],
      },
    ];
    if (usesVault(agent)) {
      egress.push({
        to: [namespaceNamed(fleet.spec.vault.namespace)],
        ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(fleet.spec.vault.port) }],
      });
    }
    for (const destination of agent.egress) {
      egress.push({
        to: [destinationPeer(agent, destination)],
        ports: destination.ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
      });
    }

    new k8s.KubeNetworkPolicy(this, 'allow-egress', {
      metadata: { name: 'agentguard-allow-egress', namespace: agent.namespace, labels },
      spec: { podSelector: allowSelector(agent), policyTypes: ['Egress'], egress },
    });
  }
}

/** Selects the agent's pods unless their kill switch is engaged: the one selector every allow policy uses. */
export function allowSelector(
  agent: Agent,
): k8s.LabelSelector & { readonly matchLabels: Record<string, string> } {
  return {
    matchLabels: { [LABELS.agent]: agent.name },
    matchExpressions: [{ key: LABELS.killSwitch, operator: 'NotIn', values: ['engaged'] }],
  };
}

/** The peer of one egress destination: a namespace or a CIDR, exactly one (the fleet schema checks it). */
function destinationPeer(agent: Agent, destination: Agent['egress'][number]): k8s.NetworkPolicyPeer {
  if (destination.namespace !== undefined) return namespaceNamed(destination.namespace);
  if (destination.cidr !== undefined) return { ipBlock: { cidr: destination.cidr } };
  // Only an agent built by hand, past the fleet schema, gets here; an empty peer would allow everything.
  throw new Error(`AgentNetwork "${agent.name}": an egress destination needs a namespace or a cidr`);
}

/** A peer selecting every pod of one namespace, by the name label Kubernetes sets on each namespace. */
function namespaceNamed(name: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } };
}
