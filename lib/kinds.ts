/**
 * The Kubernetes kinds the fleet may name, and the guardrail kinds it may never hand to an agent.
 *
 * Fleet files name kinds (what a reviewer reads); RBAC needs resources and API groups. This table is
 * the one place that maps one to the other, so the fleet schema, RBAC and admission agree.
 */
export interface KindInfo {
  /** API group; "" is the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name, as RBAC and admission reviews spell it. */
  readonly resource: string;
  /** Workloads whose replica count I4 caps. */
  readonly scalable: boolean;
}

function kind(
  group: string,
  version: string,
  kindName: string,
  resource: string,
  scalable = false,
): KindInfo {
  return { group, version, kind: kindName, resource, scalable };
}

/** Kinds an agent may be allowed to change in a target namespace. */
export const MANAGEABLE_KINDS: Readonly<Record<string, KindInfo>> = Object.freeze(
  Object.fromEntries(
    [
      kind('', 'v1', 'ConfigMap', 'configmaps'),
      kind('', 'v1', 'Service', 'services'),
      kind('', 'v1', 'Pod', 'pods'),
      kind('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
      kind('apps', 'v1', 'Deployment', 'deployments', true),
      kind('apps', 'v1', 'StatefulSet', 'statefulsets', true),
      kind('apps', 'v1', 'ReplicaSet', 'replicasets', true),
      kind('batch', 'v1', 'Job', 'jobs'),
      kind('batch', 'v1', 'CronJob', 'cronjobs'),
      kind('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
      kind('networking.k8s.io', 'v1', 'Ingress', 'ingresses'),
      kind('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
    ].map((k) => [k.kind, k]),
  ),
);

/**
 * Kinds that make up the guardrails themselves or grant access (invariant I2). No fleet setting can
 * hand them to an agent; naming one is an error, not a silent drop.
 */
export const GUARDRAIL_KINDS: readonly string[] = Object.freeze([
  'ClusterRole',
  'ClusterRoleBinding',
  'Config',
  'ConstraintTemplate',
  'CustomResourceDefinition',
  'LimitRange',
  'MutatingWebhookConfiguration',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'Role',
  'RoleBinding',
  'Secret',
  'ServiceAccount',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
]);

/** Manageable kinds whose objects run pods: writing one is writing a pod (AG202). */
export const POD_CARRYING_KINDS: readonly string[] = Object.freeze([
  'CronJob',
  'Deployment',
  'Job',
  'Pod',
  'ReplicaSet',
  'StatefulSet',
]);

export const MANAGEABLE_KIND_NAMES: readonly string[] = Object.freeze(Object.keys(MANAGEABLE_KINDS).sort());
