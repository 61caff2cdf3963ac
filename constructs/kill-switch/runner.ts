import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { Agent, Fleet } from '../../lib/fleet/schema';
import { fleetLabels, LABELS } from '../../lib/naming';
import { AGENT_UID, containerResources, hardenedContainerSecurity, quantity, TMP_SIZE_LIMIT } from '../pod';
import { killPlan, type KillPlan } from './plan';
import { runnerRbac, type RunnerRbac, type RunnerRule } from './rbac';
import { renderScript, scriptFileName } from './script';

export interface RunnerResources {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

export interface AgentKillSwitchProps {
  /** The validated fleet (runner namespace and image from `spec.killSwitch`, Vault from `spec.vault`). */
  readonly fleet: Fleet;
  /** The agent this switch stops. Its `killSwitch.state` is never read: the emergency path is the same armed or engaged. */
  readonly agent: Agent;
  /**
   * Requests and limits of the runner container (kubectl and curl).
   * @default requests 50m CPU and 64Mi, limits 500m CPU and 256Mi
   */
  readonly resources?: RunnerResources;
  /**
   * A run is stopped after this many seconds.
   * @default 300
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Retries of a failed run; the script is idempotent, so a retry redoes only what did not stick.
   * @default 2
   */
  readonly backoffLimit?: number;
}

/** Mount point of the projected API token, where kubectl's in-cluster configuration looks for it. */
export const API_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SCRIPT_DIR = '/etc/agentguard';
/** Projected API tokens expire after 10 minutes; a run takes seconds. */
const API_TOKEN_EXPIRY_SECONDS = 600;
/** A schedule that never fires in practice; the CronJob is suspended anyway and only run by hand. */
export const NEVER_SCHEDULE = '0 0 1 1 *';

const DEFAULT_RESOURCES: RunnerResources = {
  cpuRequest: '50m',
  cpuLimit: '500m',
  memoryRequest: '64Mi',
  memoryLimit: '256Mi',
};

/** Names of one agent's runner objects; `agentguard:` cannot collide with an agent's own `agentguard-<name>` Role. */
export const runnerName = (agent: Pick<Agent, 'name'>): string => `kill-${agent.name}`;
/** Cluster-scoped (the ClusterRole), so it carries the fleet's name: fleets sharing a cluster never collide. */
export const runnerRbacName = (fleetName: string, agent: Pick<Agent, 'name'>): string =>
  `agentguard:${fleetName}:kill-${agent.name}`;
/** The Secret the operator provisions with a Vault token carrying the agent's kill-switch operator policy. */
export const runnerVaultSecret = (agent: Pick<Agent, 'name'>): string => `kill-${agent.name}-vault`;

/**
 * The emergency path of one agent's kill switch (I6), for when a Git round trip is too slow: a
 * runbook script (`script`, written to `kill-switch/kill-<agent>.sh`) and, when the fleet names a
 * runner image, an in-cluster runner: a suspended CronJob in `spec.killSwitch.namespace` (never the
 * agent's own namespace: the agent must not reach its own stop button, I2) with its own
 * ServiceAccount and RBAC scoped to exactly what the script does, the script mounted read-only from a
 * ConfigMap. Run it with `kubectl create job --from=cronjob/kill-<agent> <job> -n <namespace>`.
 */
export class AgentKillSwitch extends Construct {
  readonly plan: KillPlan;
  readonly script: string;
  readonly scriptFile: string;
  readonly rbac: RunnerRbac;

  constructor(scope: Construct, id: string, props: AgentKillSwitchProps) {
    super(scope, id);
    const { fleet, agent } = props;
    const deadline = props.activeDeadlineSeconds ?? 300;
    const backoff = props.backoffLimit ?? 2;
    if (!Number.isInteger(deadline) || deadline < 30 || deadline > 3600) {
      throw new Error(
        `AgentKillSwitch "${agent.name}": activeDeadlineSeconds must be a whole number from 30 to 3600, got ${deadline}; leave it out for 300`,
      );
    }
    if (!Number.isInteger(backoff) || backoff < 0 || backoff > 10) {
      throw new Error(
        `AgentKillSwitch "${agent.name}": backoffLimit must be a whole number from 0 to 10, got ${backoff}; leave it out for 2`,
      );
    }
    this.plan = killPlan(fleet, agent);
    this.script = renderScript(this.plan, fleet.metadata.name);
    this.scriptFile = scriptFileName(agent.name);
    this.rbac = runnerRbac(fleet.metadata.name, agent);
    const image = fleet.spec.killSwitch.runnerImage;
    if (image === undefined) return; // scripts only: the fleet names no runner image
    this.runner(fleet, agent, image, props.resources ?? DEFAULT_RESOURCES, deadline, backoff);
  }

  private runner(
    fleet: Fleet,
    agent: Agent,
    image: string,
    resources: RunnerResources,
    deadline: number,
    backoff: number,
  ): void {
    const namespace = fleet.spec.killSwitch.namespace;
    const name = runnerName(agent);
    const rbacName = runnerRbacName(fleet.metadata.name, agent);
    const labels = { ...fleetLabels(fleet), [LABELS.killSwitchFor]: agent.name };
    const subjects: k8s.Subject[] = [{ kind: 'ServiceAccount', name, namespace }];
    const rules = (list: readonly RunnerRule[]): k8s.PolicyRule[] =>
      list.map((r) => ({
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
        verbs: [...r.verbs],
      }));

    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name, namespace, labels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeConfigMap(this, 'script', {
      metadata: { name, namespace, labels },
      data: { [this.scriptFile]: this.script },
    });

    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: rbacName, labels },
      rules: rules(this.rbac.cluster),
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name: rbacName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacName },
      subjects,
    });
    const grants: Array<[string, readonly RunnerRule[]]> = [
      [agent.namespace, this.rbac.agentNamespace],
      ...[...agent.targets]
        .map((t) => t.namespace)
        .sort()
        .map((ns): [string, readonly RunnerRule[]] => [ns, this.rbac.targetNamespace]),
    ];
    for (const [ns, nsRules] of grants) {
      new k8s.KubeRole(this, `role-${ns}`, {
        metadata: { name: rbacName, namespace: ns, labels },
        rules: rules(nsRules),
      });
      new k8s.KubeRoleBinding(this, `role-binding-${ns}`, {
        metadata: { name: rbacName, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rbacName },
        subjects,
      });
    }

    const usesVault = this.plan.steps.some((s) => s.id === 'vault');
    const env: k8s.EnvVar[] = [
      // Who and why, unless the Job is created with its own (README, "Kill switch").
      {
        name: 'AGENTGUARD_JOB',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } },
      },
      {
        name: 'AGENTGUARD_ENGAGED_BY',
        value: `whoever created Job $(AGENTGUARD_JOB) in ${namespace} (see the API server audit log)`,
      },
      { name: 'AGENTGUARD_REASON', value: 'emergency stop through the in-cluster runner; no reason given' },
      // kubectl keeps its discovery cache under $HOME; the root filesystem is read-only.
      { name: 'HOME', value: '/tmp' },
      ...(usesVault
        ? [
            {
              name: 'VAULT_TOKEN',
              // Optional: without the Secret every other step still runs and the Vault step fails visibly.
              valueFrom: { secretKeyRef: { name: runnerVaultSecret(agent), key: 'token', optional: true } },
            },
          ]
        : []),
    ];
    new k8s.KubeCronJob(this, 'cron-job', {
      metadata: { name, namespace, labels },
      spec: {
        schedule: NEVER_SCHEDULE,
        suspend: true,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: deadline,
            backoffLimit: backoff,
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: name,
                // The one token it needs is projected below, for the API server only.
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                restartPolicy: 'Never',
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: AGENT_UID,
                  runAsGroup: AGENT_UID,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                containers: [
                  {
                    name: 'kill-switch',
                    image,
                    imagePullPolicy: 'IfNotPresent',
                    command: ['/bin/bash', `${SCRIPT_DIR}/${this.scriptFile}`],
                    env,
                    resources: containerResources(resources),
                    securityContext: hardenedContainerSecurity(),
                    volumeMounts: [
                      { name: 'script', mountPath: SCRIPT_DIR, readOnly: true },
                      { name: 'tmp', mountPath: '/tmp' },
                      { name: 'kube-api-access', mountPath: API_TOKEN_DIR, readOnly: true },
                    ],
                  },
                ],
                volumes: [
                  { name: 'script', configMap: { name, defaultMode: 0o444 } },
                  { name: 'tmp', emptyDir: { sizeLimit: quantity(TMP_SIZE_LIMIT) } },
                  {
                    name: 'kube-api-access',
                    projected: {
                      sources: [
                        {
                          serviceAccountToken: { expirationSeconds: API_TOKEN_EXPIRY_SECONDS, path: 'token' },
                        },
                        {
                          configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
                        },
                        {
                          downwardApi: {
                            items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }],
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          },
        },
      },
    });
  }
}
