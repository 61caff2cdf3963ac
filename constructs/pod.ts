/**
 * The hardened pod every agent runs in (I7): Pod Security Standards `restricted`, a read-only root
 * filesystem with a size-limited /tmp, requests and limits, no automounted token, and, when the
 * agent uses Vault, a short-lived projected token for Vault's audience instead.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { agentPodLabels } from '../lib/naming';

/** Fixed non-root identity; images must not rely on a named user. */
export const AGENT_UID = 65532;
/** Projected Vault tokens expire after 10 minutes; the kubelet refreshes them before that. */
export const VAULT_TOKEN_EXPIRY_SECONDS = 600;
export const VAULT_TOKEN_DIR = '/var/run/secrets/vault';
export const TMP_SIZE_LIMIT = '64Mi';

export function usesVault(agent: Agent): boolean {
  return agent.vault.secrets.length > 0;
}

/** OpenTelemetry resource attributes, so every span the agent emits names agent, phase and fleet. */
export function otelEnv(fleet: Fleet, agent: Agent): Array<{ name: string; value: string }> {
  const attributes = [
    `service.namespace=${agent.namespace}`,
    `agentguard.agent.id=${agent.name}`,
    `agentguard.agent.phase=${agent.phase}`,
    `agentguard.fleet=${fleet.metadata.name}`,
  ].join(',');
  return [
    { name: 'OTEL_SERVICE_NAME', value: agent.name },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: attributes },
  ];
}

/** The container security context of every pod agentguard runs (I7, PSS restricted and more). */
export function hardenedContainerSecurity(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: AGENT_UID,
    runAsGroup: AGENT_UID,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Requests and limits as the typed API expects them (Quantity serializes to the same string). */
export function containerResources(r: {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}): k8s.ResourceRequirements {
  return {
    requests: { cpu: quantity(r.cpuRequest), memory: quantity(r.memoryRequest) },
    limits: { cpu: quantity(r.cpuLimit), memory: quantity(r.memoryLimit) },
  };
}

export const quantity = (value: string): k8s.Quantity => k8s.Quantity.fromString(value);

export function podTemplate(
  fleet: Fleet,
  agent: Agent,
  restartPolicy: 'Always' | 'Never',
): k8s.PodTemplateSpec {
  const vault = usesVault(agent);
  const { resources } = agent.workload;
  const volumes: k8s.Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: quantity(TMP_SIZE_LIMIT) } }];
  const mounts: k8s.VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (vault) {
    volumes.push({
      name: 'vault-token',
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: fleet.spec.vault.audience,
              expirationSeconds: VAULT_TOKEN_EXPIRY_SECONDS,
              path: 'token',
            },
          },
        ],
      },
    });
    mounts.push({ name: 'vault-token', mountPath: VAULT_TOKEN_DIR, readOnly: true });
  }
  return {
    metadata: { labels: agentPodLabels(fleet, agent) },
    spec: {
      serviceAccountName: agent.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: AGENT_UID,
        runAsGroup: AGENT_UID,
        fsGroup: AGENT_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'agent',
          image: agent.image,
          imagePullPolicy: 'IfNotPresent',
          env: [
            ...otelEnv(fleet, agent),
            ...(vault ? [{ name: 'VAULT_TOKEN_PATH', value: `${VAULT_TOKEN_DIR}/token` }] : []),
          ],
          resources: containerResources(resources),
          securityContext: hardenedContainerSecurity(),
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}
