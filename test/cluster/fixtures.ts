/**
 * What the real-cluster suites act on: the agents' images, a hardened pod and one that passes Pod
 * Security Standards restricted but not I7, and the objects an admin creates first (the shop's
 * workloads and some RBAC drift), shared by the webhook suite and the ValidatingAdmissionPolicy suite
 * so both engines meet the same cluster.
 */
import { hardenedPodSpec } from '../support/reviews';

export const IMAGE =
  'registry.shop.example/agents/release-bot@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const SHOP_IMAGE = `registry.shop.example/shop/web@sha256:${'d'.repeat(64)}`;
export const BATCH_IMAGE = `registry.shop.example/batch/worker@sha256:${'c'.repeat(64)}`;

export const HARDENED_POD = `
apiVersion: v1
kind: Pod
metadata: { name: probe, namespace: agents-release }
spec:
  serviceAccountName: release-bot
  automountServiceAccountToken: false
  securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: agent
      image: ${IMAGE}
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: 500m, memory: 512Mi } }
`;

/**
 * Passes Pod Security Standards restricted (the namespace enforces it, and the API server's own
 * PodSecurity admission would refuse first), but an image by tag, a writable root filesystem and no
 * resources are agentguard's additions (I7).
 */
export const UNHARDENED_POD = `
apiVersion: v1
kind: Pod
metadata: { name: probe, namespace: agents-release }
spec:
  serviceAccountName: release-bot
  automountServiceAccountToken: false
  securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: agent
      image: busybox:latest
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
`;

/**
 * A one-replica Deployment in shop running `spec`, as JSON for `kubectl create -f -`; `annotations`
 * for the webhook suite, whose agent requests carry attribution.
 */
export const shopDeployment = (
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec },
    },
  });

/** What the tests act on, created by the admin as a user's cluster has it, and the RBAC drift. */
export const FIXTURES = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: default, namespace: shop }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: ${JSON.stringify(hardenedPodSpec(SHOP_IMAGE))}
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config, namespace: shop }
data: { mode: normal }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: agentguard-guardrail, namespace: shop, labels: { app.kubernetes.io/managed-by: agentguard } }
data: { x: x }
---
apiVersion: v1
kind: Pod
metadata: { name: debug-target, namespace: shop }
spec: ${JSON.stringify(hardenedPodSpec(SHOP_IMAGE))}
---
apiVersion: batch/v1
kind: Job
metadata: { name: nightly-report, namespace: batch }
spec:
  template:
    spec: { restartPolicy: Never, containers: [{ name: r, image: 'registry.shop.example/batch/report@sha256:${'e'.repeat(64)}' }] }
---
# Drift: not from the fleet. Grants what agentguard's RBAC never would, so admission is tested alone.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: drift, namespace: shop }
rules:
  - { apiGroups: [''], resources: [configmaps], verbs: [get, delete, patch, update] }
  - { apiGroups: [''], resources: [pods], verbs: [get] }
  - { apiGroups: [''], resources: [pods/ephemeralcontainers], verbs: [get, patch, update] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: drift, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: drift }
subjects:
  - { kind: ServiceAccount, name: release-bot, namespace: agents-release }
---
# Drift: a write binding restored by hand for the agent whose kill switch is engaged.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: drift-writes, namespace: shop }
rules:
  - { apiGroups: [''], resources: [configmaps], verbs: [get, patch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: drift-writes, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: drift-writes }
subjects:
  - { kind: ServiceAccount, name: capacity-report, namespace: agents-reports }
`;
