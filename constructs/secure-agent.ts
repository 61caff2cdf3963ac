import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { agentLabels, LABELS } from '../lib/naming';
import { AgentNetwork } from './agent-network';
import { podTemplate, quantity } from './pod';
import { TrustPhase } from './trust-phase';

export interface SecureAgentProps extends ChartProps {
  /** The validated fleet the agent belongs to (its name labels every object). */
  readonly fleet: Fleet;
  /** The agent, as validated by the fleet loader (defaults filled in). */
  readonly agent: Agent;
  /**
   * Quota for the agent namespace, so a runaway agent cannot exhaust the cluster.
   * @default pods: 2 × replicas + 2; requests and limits: that many pods at the agent's own sizes
   */
  readonly quota?: { readonly pods: number };
}

/**
 * Everything one agent runs in: its namespace (Pod Security Standards `restricted`, a quota and
 * limit range), a ServiceAccount that never automounts a token, the hardened workload the fleet asks
 * for (I7), default-deny networking with an egress allowlist (I8), and its RBAC by phase (I5, I2).
 * An engaged kill switch (I6) scales the workload to zero or suspends it, drops its pods from every
 * allow policy and removes its RoleBindings.
 */
export class SecureAgent extends Chart {
  readonly trustPhase: TrustPhase;

  constructor(scope: Construct, id: string, props: SecureAgentProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const { fleet, agent } = props;
    const labels = agentLabels(fleet, agent);
    const engaged = agent.killSwitch.state === 'engaged';
    const pods = props.quota?.pods ?? 2 * Math.max(agent.workload.replicas, 1) + 2;
    if (!Number.isInteger(pods) || pods < 1) {
      throw new Error(`SecureAgent "${agent.name}": quota.pods must be a positive integer, got ${pods}`);
    }

    new k8s.KubeNamespace(this, 'namespace', {
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

    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: agent.name, namespace: agent.namespace, labels },
      automountServiceAccountToken: false,
    });

    this.workload(fleet, agent, labels, engaged);

    const { resources } = agent.workload;
    new k8s.KubeResourceQuota(this, 'quota', {
      metadata: { name: 'agentguard', namespace: agent.namespace, labels },
      spec: {
        hard: {
          pods: quantity(String(pods)),
          'requests.cpu': quantity(scale(resources.cpuRequest, pods)),
          'requests.memory': quantity(scale(resources.memoryRequest, pods)),
          'limits.cpu': quantity(scale(resources.cpuLimit, pods)),
          'limits.memory': quantity(scale(resources.memoryLimit, pods)),
          services: quantity('0'),
          'services.loadbalancers': quantity('0'),
          'services.nodeports': quantity('0'),
          persistentvolumeclaims: quantity('0'),
        },
      },
    });

    new k8s.KubeLimitRange(this, 'limit-range', {
      metadata: { name: 'agentguard', namespace: agent.namespace, labels },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: quantity(resources.cpuLimit), memory: quantity(resources.memoryLimit) },
            defaultRequest: {
              cpu: quantity(resources.cpuRequest),
              memory: quantity(resources.memoryRequest),
            },
            max: { cpu: quantity(resources.cpuLimit), memory: quantity(resources.memoryLimit) },
          },
        ],
      },
    });

    new AgentNetwork(this, 'network', { fleet, agent });
    this.trustPhase = new TrustPhase(this, 'trust-phase', { fleet, agent });
  }

  private workload(fleet: Fleet, agent: Agent, labels: Record<string, string>, engaged: boolean): void {
    const metadata = { name: agent.name, namespace: agent.namespace, labels };
    const wl = agent.workload;
    const jobSpec: k8s.JobSpec = {
      activeDeadlineSeconds: wl.activeDeadlineSeconds,
      backoffLimit: wl.backoffLimit,
      ttlSecondsAfterFinished: wl.ttlSecondsAfterFinished,
      template: podTemplate(fleet, agent, 'Never'),
    };
    switch (wl.kind) {
      case 'deployment':
        new k8s.KubeDeployment(this, 'workload', {
          metadata,
          spec: {
            replicas: engaged ? 0 : wl.replicas,
            selector: { matchLabels: { [LABELS.agent]: agent.name } },
            strategy: {
              type: 'RollingUpdate',
              rollingUpdate: {
                maxSurge: k8s.IntOrString.fromNumber(1),
                maxUnavailable: k8s.IntOrString.fromNumber(0),
              },
            },
            template: podTemplate(fleet, agent, 'Always'),
          },
        });
        return;
      case 'job':
        // One task per Job; an engaged kill switch suspends it (its pods are deleted).
        new k8s.KubeJob(this, 'workload', {
          metadata,
          spec: { ...jobSpec, suspend: engaged },
        });
        return;
      case 'cronjob':
        // The fleet schema requires it with kind cronjob; only an agent built by hand lacks it.
        if (wl.schedule === undefined)
          throw new Error(`SecureAgent "${agent.name}": a cronjob needs a schedule`);
        new k8s.KubeCronJob(this, 'workload', {
          metadata,
          spec: {
            schedule: wl.schedule,
            concurrencyPolicy: 'Forbid',
            startingDeadlineSeconds: 300,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            suspend: engaged,
            // History limits clean up finished runs; a Job-level TTL would fight them.
            jobTemplate: { metadata: { labels }, spec: { ...jobSpec, ttlSecondsAfterFinished: undefined } },
          },
        });
        return;
    }
  }
}

/** Multiplies a quantity such as "250m" or "128Mi" by a whole number, keeping its unit. */
export function scale(quantity: string, times: number): string {
  const match = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(quantity);
  if (!match) throw new Error(`cannot scale quantity "${quantity}"`);
  const value = Number(match[1]) * times;
  return `${Number.isInteger(value) ? value : value.toFixed(3).replace(/0+$/, '')}${match[2]}`;
}
