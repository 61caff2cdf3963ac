/**
 * Admission requests as the API server sends them (admission.k8s.io/v1), for the policy tests. The
 * identities are the example fleet's agents, so the constraints `npm run synth` writes for
 * examples/fleet.yaml are the parameters every test evaluates against.
 */
import { App } from 'cdk8s';
import { loadFleetFile } from '../../lib/fleet/load';
import { PolicyConstraints } from '../../policies/policy-pack';
import type { PackParameters } from '../../policies/parameters';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tools/toolchain';

export const AGENTS = {
  /** shadow; reads Deployments and HPAs in shop, Deployments in payments. */
  costAnalyst: 'system:serviceaccount:agents-cost:cost-analyst',
  /** advisory; Deployments and ConfigMaps in shop; initiators *@shop.example. */
  incidentTriage: 'system:serviceaccount:agents-triage:incident-triage',
  /** supervised; Deployments, ConfigMaps, Services in shop with create; cap 6. */
  releaseBot: 'system:serviceaccount:agents-release:release-bot',
  /** autonomous; Deployments, Jobs, HPAs in batch with create, may delete Jobs; cap 10. */
  batchScaler: 'system:serviceaccount:agents-batch:batch-scaler',
  /** shadow, kill switch engaged. */
  capacityReport: 'system:serviceaccount:agents-reports:capacity-report',
} as const;

export const HUMAN = 'alice@shop.example';
export const CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';
export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
export const OTHER_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** metadata.name of examples/fleet.yaml, which its constraint names carry. */
export const EXAMPLE_FLEET_NAME = 'shop-platform';

let cached: PolicyConstraints | undefined;
/** The constraints synthesized from examples/fleet.yaml, built once per test file. */
export function exampleConstraints(): PolicyConstraints {
  cached ??= new PolicyConstraints(new App(), 'constraints', {
    fleet: loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml')),
  });
  return cached;
}

/** Their typed parameters, by policy folder. */
export const exampleParameters = (): PackParameters => exampleConstraints().parameters;

export interface KindRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
}

export const KINDS = {
  deployment: { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments' },
  statefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets' },
  replicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets' },
  job: { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs' },
  cronJob: { group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs' },
  hpa: {
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
  },
  configMap: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps' },
  service: { group: '', version: 'v1', kind: 'Service', resource: 'services' },
  pod: { group: '', version: 'v1', kind: 'Pod', resource: 'pods' },
  secret: { group: '', version: 'v1', kind: 'Secret', resource: 'secrets' },
  serviceAccount: { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts' },
  namespace: { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces' },
  role: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', resource: 'roles' },
  roleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    resource: 'rolebindings',
  },
  clusterRoleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    resource: 'clusterrolebindings',
  },
  networkPolicy: {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    resource: 'networkpolicies',
  },
} as const satisfies Record<string, KindRef>;

/** The autoscaling/v1 Scale that `kubectl scale` sends to a workload's scale subresource. */
export const SCALE_KIND = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;

export interface RequestSpec {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly user: string;
  readonly kind: KindRef;
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: Record<string, unknown>;
  readonly oldObject?: Record<string, unknown>;
  /** A subresource such as scale; the request's kind becomes the subresource's own kind. */
  readonly subResource?: string;
  readonly subResourceKind?: { group: string; version: string; kind: string };
  readonly dryRun?: boolean;
  readonly extra?: Record<string, string[]>;
}

let serial = 0;

/** An AdmissionRequest with the fields the API server fills in. */
export function request(spec: RequestSpec): Record<string, unknown> {
  serial += 1;
  const { group, version, kind, resource } = spec.kind;
  const reviewKind = spec.subResourceKind ?? { group, version, kind };
  return {
    uid: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    kind: reviewKind,
    resource: { group, version, resource },
    ...(spec.subResource ? { subResource: spec.subResource } : {}),
    requestKind: reviewKind,
    requestResource: { group, version, resource },
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
    operation: spec.operation,
    userInfo: {
      username: spec.user,
      ...(spec.extra ? { extra: spec.extra } : {}),
    },
    object: spec.operation === 'DELETE' ? null : (spec.object ?? null),
    oldObject: spec.oldObject ?? null,
    dryRun: spec.dryRun ?? false,
  };
}

export function admissionReview(req: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req };
}

/** Metadata with the attribution an agent's write must carry (I3). */
export function attributed(
  name: string,
  namespace: string | undefined,
  initiator = 'release-manager-bob@shop.example',
  traceparent = TRACEPARENT,
): Record<string, unknown> {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    annotations: { 'agentguard.dev/initiator': initiator, 'agentguard.dev/traceparent': traceparent },
  };
}

/** An image from the registry the example fleet allows for shop, pinned by digest. */
export const SHOP_IMAGE =
  'registry.shop.example/shop/web@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** A pod spec that meets every hardening rule (AG701, AG202) and uses nothing but `default`. */
export function hardenedPodSpec(image = SHOP_IMAGE): Record<string, unknown> & {
  containers: Record<string, unknown>[];
} {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'app',
        image,
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '10m', memory: '16Mi' } },
      },
    ],
  };
}

/** A Deployment as a release agent sends it: its pod hardened, its image from shop's registry. */
export function deployment(
  metadata: Record<string, unknown>,
  replicas?: number | string | null,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      selector: { matchLabels: { app: String(metadata.name) } },
      template: {
        metadata: { labels: { app: String(metadata.name) } },
        spec: hardenedPodSpec(),
      },
    },
  };
}

export function scale(name: string, namespace: string, replicas: number): Record<string, unknown> {
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas } };
}
