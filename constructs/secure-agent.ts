import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { agentLabels } from '../lib/naming';

export interface SecureAgentProps extends ChartProps {
  /** The validated fleet the agent belongs to (its name labels every object). */
  readonly fleet: Fleet;
  /** The agent, as validated by the fleet loader (defaults filled in). */
  readonly agent: Agent;
}

/**
 * One agent's Kubernetes footprint: its namespace, held to Pod Security Standards `restricted`,
 * and its ServiceAccount, which never automounts a token.
 */
export class SecureAgent extends Chart {
  constructor(scope: Construct, id: string, props: SecureAgentProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const { fleet, agent } = props;
    const labels = agentLabels(fleet, agent);

    new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: agent.namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });

    new ApiObject(this, 'service-account', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: agent.name, namespace: agent.namespace, labels },
      automountServiceAccountToken: false,
    });
  }
}
