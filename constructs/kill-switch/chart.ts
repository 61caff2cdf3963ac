import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { Fleet } from '../../lib/fleet/schema';
import { fleetLabels } from '../../lib/naming';
import { AgentKillSwitch } from './runner';

export interface KillSwitchChartProps extends ChartProps {
  /** The validated fleet: one kill switch per agent. */
  readonly fleet: Fleet;
}

/**
 * The emergency path of every agent's kill switch: the runners' namespace (Pod Security Standards
 * `restricted`) and one `AgentKillSwitch` per agent. Without `spec.killSwitch.runnerImage` it holds
 * no objects, only the scripts (`switches[].script`).
 */
export class KillSwitchChart extends Chart {
  readonly switches: readonly AgentKillSwitch[];

  constructor(scope: Construct, id: string, props: KillSwitchChartProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const { fleet } = props;
    if (fleet.spec.killSwitch.runnerImage !== undefined) {
      new k8s.KubeNamespace(this, 'namespace', {
        metadata: {
          name: fleet.spec.killSwitch.namespace,
          labels: {
            ...fleetLabels(fleet),
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
    }
    this.switches = fleet.spec.agents.map(
      (agent) => new AgentKillSwitch(this, `kill-${agent.name}`, { fleet, agent }),
    );
  }
}
