/**
 * Random admission requests for fuzzing and the WASM-versus-gator differential test: every field an
 * attacker controls varies (identity, operation, API group, subresource, namespace, replicas,
 * attribution, pod security, the Secrets, ServiceAccounts and images a pod uses), while the request stays a valid AdmissionReview so gator accepts it.
 * Given a pool of delegation tokens (test/support/delegation.ts, delegationPool), requests also carry
 * them in the annotation and in userInfo.extra, for signed attribution (AG301).
 */
import fc from 'fast-check';
import {
  AGENTS,
  HUMAN,
  KINDS,
  OTHER_TRACEPARENT,
  SCALE_KIND,
  TRACEPARENT,
  request,
  type KindRef,
} from './reviews';

export const IDENTITIES = [
  ...Object.values(AGENTS),
  HUMAN,
  'system:serviceaccount:kube-system:replicaset-controller',
  'system:kube-controller-manager',
  // Look-alikes: not agents, because usernames are exact and case-sensitive.
  'System:ServiceAccount:agents-release:release-bot',
  'system:serviceaccount:agents-release:release-bot ',
  'system:serviceaccount:agents-release',
  '',
];

const EXTRA_KINDS: KindRef[] = [
  { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs' },
  { group: 'evil.example', version: 'v1', kind: 'Job', resource: 'jobs' },
  { group: 'extensions', version: 'v1beta1', kind: 'NetworkPolicy', resource: 'networkpolicies' },
  { group: 'cilium.io', version: 'v2', kind: 'CiliumNetworkPolicy', resource: 'ciliumnetworkpolicies' },
  {
    group: 'templates.gatekeeper.sh',
    version: 'v1',
    kind: 'ConstraintTemplate',
    resource: 'constrainttemplates',
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingWebhookConfiguration',
    resource: 'validatingwebhookconfigurations',
  },
  { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', resource: 'rollouts' },
  {
    group: 'autoscaling',
    version: 'v1',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
  },
  { group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses' },
  { group: 'extensions', version: 'v1beta1', kind: 'Ingress', resource: 'ingresses' },
];
export const ALL_KINDS: KindRef[] = [...Object.values(KINDS), ...EXTRA_KINDS];
export const NAMESPACES = [
  'shop',
  'batch',
  'payments',
  'agents-release',
  'agents-batch',
  'kube-system',
  undefined,
];

const replicas = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 2.5, '7', null, true, 1e6) },
);
const traceparent = fc.constantFrom(
  TRACEPARENT,
  OTHER_TRACEPARENT,
  '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
  '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
  'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'not-a-trace',
);
const initiator = fc.constantFrom(
  'release-manager-bob@shop.example',
  'oncall@shop.example',
  'platform-team@shop.example',
  'sre@shop.example',
  'release-manager-x@shop.example.evil.net',
  'mallory@evil.example',
  '',
);
const DELEGATION = 'agentguard.dev/delegation';

/** Annotations of one side of a request; with tokens, the delegation annotation among them. */
const annotationsWith = (delegations: readonly string[]) =>
  fc.record(
    {
      'agentguard.dev/initiator': initiator,
      'agentguard.dev/traceparent': traceparent,
      ...(delegations.length > 0 ? { [DELEGATION]: fc.constantFrom(...delegations) } : {}),
    },
    { requiredKeys: [] },
  );
const labels = fc.option(
  fc.constantFrom<Record<string, string>>(
    { 'agentguard.dev/agent': 'release-bot' },
    { 'app.kubernetes.io/managed-by': 'agentguard' },
    { app: 'web' },
  ),
  { nil: undefined },
);
const container = fc.record({
  name: fc.constantFrom('app', 'sidecar'),
  image: fc.constantFrom(
    'registry.shop.example/agents/x@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'registry.shop.example/shop/web@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'registry.shop.example/shop/web:1.2',
    'registry.shop.example/shopping/x@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'busybox:latest',
    'registry.shop.example.evil.net/x:1',
  ),
  env: fc.constantFrom(
    [],
    [{ name: 'TLS', valueFrom: { secretKeyRef: { name: 'web-tls', key: 'k' } } }],
    [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'payments-db', key: 'k' } } }],
    [{ name: 'CM', valueFrom: { configMapKeyRef: { name: 'settings', key: 'k' } } }],
  ),
  envFrom: fc.constantFrom([], [{ secretRef: { name: 'payments-db' } }], [{ configMapRef: { name: 'x' } }]),
  securityContext: fc.record(
    {
      runAsNonRoot: fc.boolean(),
      runAsUser: fc.constantFrom(0, 65532),
      allowPrivilegeEscalation: fc.boolean(),
      readOnlyRootFilesystem: fc.boolean(),
      privileged: fc.boolean(),
      capabilities: fc.record({ drop: fc.constantFrom(['ALL'], [], ['NET_RAW']) }, { requiredKeys: [] }),
      seccompProfile: fc.record({ type: fc.constantFrom('RuntimeDefault', 'Unconfined', 'Localhost') }),
    },
    { requiredKeys: [] },
  ),
  resources: fc.record(
    {
      requests: fc.record({ cpu: fc.constant('100m'), memory: fc.constant('128Mi') }, { requiredKeys: [] }),
      limits: fc.record({ cpu: fc.constant('500m'), memory: fc.constant('512Mi') }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
});
const podSpec = fc.record(
  {
    automountServiceAccountToken: fc.boolean(),
    hostNetwork: fc.boolean(),
    securityContext: fc.record(
      { runAsNonRoot: fc.boolean(), seccompProfile: fc.constant({ type: 'RuntimeDefault' }) },
      { requiredKeys: [] },
    ),
    containers: fc.array(container, { minLength: 1, maxLength: 2 }),
    serviceAccountName: fc.constantFrom('default', 'web', 'shop-admin', ''),
    volumes: fc.constantFrom(
      [],
      [{ name: 'tmp', emptyDir: {} }],
      [{ name: 'host', hostPath: { path: '/' } }],
      [{ name: 'tls', secret: { secretName: 'web-tls' } }],
      [{ name: 'db', secret: { secretName: 'payments-db' } }],
      [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
      [{ name: 'sm', csi: { driver: 'secrets-store.csi.k8s.io' } }],
      [{ name: 'data', persistentVolumeClaim: { claimName: 'payments-data' } }],
    ),
  },
  { requiredKeys: ['containers'] },
);

function body(
  kind: KindRef,
  name: string,
  namespace: string | undefined,
  meta: Record<string, unknown>,
  spec: Record<string, unknown>,
) {
  return {
    apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
    kind: kind.kind,
    metadata: { name, ...(namespace ? { namespace } : {}), ...meta },
    spec,
  };
}

// What makes Kubernetes delete on someone's behalf (AG102): owners, finalizers, a pending deletion
// and retention limits; each side of an UPDATE draws its own, so many UPDATEs change nothing.
const ownerA = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: 'gone',
  uid: '6f1d3c9e-0000-4000-8000-00000000dead',
};
const ownerB = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web',
  uid: '0b7e2f4a-1111-4000-8000-000000000001',
};
const owners = fc.constantFrom<Record<string, unknown>[] | undefined>(
  undefined,
  undefined,
  undefined,
  [],
  [ownerA],
  [ownerA, ownerB],
  [ownerB, ownerA],
  [{ ...ownerB, controller: true, blockOwnerDeletion: true }],
);
const finalizers = fc.constantFrom<string[] | undefined>(
  undefined,
  undefined,
  [],
  ['shop.example/backup'],
  ['shop.example/backup', 'orphan'],
);
const retention = fc.record(
  {
    ttlSecondsAfterFinished: fc.constantFrom(0, 60, 3600),
    revisionHistoryLimit: fc.constantFrom(0, 3, 10, 20),
    successfulJobsHistoryLimit: fc.constantFrom(0, 3, 5),
  },
  { requiredKeys: [] },
);

// What a Service or Ingress exposes (AG203): types, external IPs, source ranges, controller
// annotations, IngressClasses, TLS Secrets, default and resource backends, some malformed, some
// with several problems of one kind (which AG203's CEL joins into one message).
const serviceSpec = fc.record(
  {
    type: fc.constantFrom<unknown>('ClusterIP', 'LoadBalancer', 'NodePort', 'ExternalName', 5, null),
    externalIPs: fc.constantFrom<unknown>([], ['8.8.8.8'], '8.8.8.8', ['8.8.8.8', '1.1.1.1'], null),
    loadBalancerSourceRanges: fc.constantFrom<unknown>(
      [],
      ['0.0.0.0/0'],
      ['203.0.113.0/24'],
      ['203.0.113.0/24', '0.0.0.0/0', '198.51.100.0/24'],
      '203.0.113.0/24',
      null,
    ),
  },
  { requiredKeys: [] },
);
const ingressAnnotations = fc.constantFrom<Record<string, string>>(
  {},
  {},
  { 'nginx.ingress.kubernetes.io/rewrite-target': '/' },
  { 'nginx.ingress.kubernetes.io/configuration-snippet': 'return 200;' },
  { 'nginx.org/server-snippets': 'return 200;' },
  { 'other.example/auth-url': 'http://collector.example/' },
  {
    'nginx.ingress.kubernetes.io/server-snippet': 'return 200;',
    'haproxy.org/Backend-Config-Snippet': 'x',
    'nginx.ingress.kubernetes.io/mirror-target': 'http://collector.example/',
  },
  { 'kubernetes.io/ingress.class': 'nginx' },
  { 'kubernetes.io/ingress.class': 'internet' },
);
const serviceBackend = { service: { name: 'web', port: { number: 80 } } };
const resourceBackend = { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } };
const ingressSpec = fc.record(
  {
    ingressClassName: fc.constantFrom<unknown>('nginx', 'public', null, 7),
    tls: fc.constantFrom<unknown>(
      [],
      [{ secretName: 'web-tls' }],
      [{ secretName: 'payments-tls' }],
      [
        { secretName: 'web-tls' },
        { secretName: 'payments-tls' },
        { hosts: ['x'] },
        { secretName: 'other-tls' },
      ],
      'x',
    ),
    defaultBackend: fc.constantFrom<unknown>(serviceBackend, resourceBackend, null),
    backend: fc.constantFrom<unknown>({ serviceName: 'web', servicePort: 80 }, resourceBackend),
    rules: fc.constantFrom<unknown>(
      [],
      [{ host: 'web.shop.example', http: { paths: [{ path: '/', backend: serviceBackend }] } }],
      [
        {
          http: {
            paths: [
              { path: '/', backend: serviceBackend },
              { path: '/a', backend: resourceBackend },
            ],
          },
        },
      ],
    ),
  },
  { requiredKeys: [] },
);

export interface RequestOptions {
  /** Delegation tokens to carry (none: the corpus is exactly that of earlier versions). */
  readonly delegations?: readonly string[];
  /** Who sends the requests; default every identity of IDENTITIES. */
  readonly users?: readonly string[];
  /** What they send; default every kind of ALL_KINDS. */
  readonly kinds?: readonly KindRef[];
  /** Where; default every namespace of NAMESPACES (undefined: a cluster-scoped request). */
  readonly namespaces?: readonly (string | undefined)[];
}

/** Random, well-formed AdmissionRequests. */
export function admissionRequests(options: RequestOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const delegations = options.delegations ?? [];
  const annotations = annotationsWith(delegations);
  return fc
    .record({
      user: fc.constantFrom(...(options.users ?? IDENTITIES)),
      operation: fc.constantFrom('CREATE', 'UPDATE', 'UPDATE', 'DELETE'),
      kind: fc.constantFrom(...(options.kinds ?? ALL_KINDS)),
      namespace: fc.constantFrom(...(options.namespaces ?? NAMESPACES)),
      subResource: fc.constantFrom(
        undefined,
        undefined,
        undefined,
        'scale',
        'status',
        'exec',
        'ephemeralcontainers',
        'eviction',
      ),
      dryRun: fc.boolean(),
      newReplicas: replicas,
      oldReplicas: replicas,
      newAnnotations: annotations,
      oldAnnotations: annotations,
      newLabels: labels,
      oldLabels: labels,
      pod: podSpec,
      extra: fc.option(
        fc.record(
          {
            'agentguard.dev/initiator': initiator.map((i) => [i]),
            'agentguard.dev/traceparent': traceparent.map((t) => [t]),
            ...(delegations.length > 0
              ? { [DELEGATION]: fc.constantFrom(...delegations).map((t) => [t]) }
              : {}),
          },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
      newOwners: owners,
      oldOwners: owners,
      newFinalizers: finalizers,
      oldFinalizers: finalizers,
      terminating: fc.boolean(),
      newRetention: retention,
      oldRetention: retention,
      service: serviceSpec,
      ingress: ingressSpec,
      ingressAnnotations,
    })
    .map((r) => {
      const name = 'target';
      const isScale = r.subResource === 'scale';
      const isPod = r.kind.kind === 'Pod';
      const spec = (replicas: unknown, kept: Record<string, unknown>) =>
        r.kind.kind === 'Service'
          ? { ...r.service, ...kept }
          : r.kind.kind === 'Ingress'
            ? { ...r.ingress, ...kept }
            : specOf(replicas, kept);
      const specOf = (replicas: unknown, kept: Record<string, unknown>) =>
        isPod
          ? r.pod
          : r.kind.kind === 'HorizontalPodAutoscaler'
            ? { maxReplicas: replicas, minReplicas: 1 }
            : r.kind.kind === 'CronJob'
              ? { jobTemplate: { spec: { template: { spec: r.pod } } }, ...kept }
              : { replicas, template: { spec: r.pod }, ...kept };
      const make = (
        replicas: unknown,
        annotations: Record<string, string>,
        labels: Record<string, string> | undefined,
        side: 'new' | 'old',
      ) => {
        const ownerReferences = side === 'new' ? r.newOwners : r.oldOwners;
        const finalizerList = side === 'new' ? r.newFinalizers : r.oldFinalizers;
        const meta = {
          annotations:
            r.kind.kind === 'Ingress' && side === 'new'
              ? { ...annotations, ...r.ingressAnnotations }
              : annotations,
          ...(labels ? { labels } : {}),
          ...(ownerReferences ? { ownerReferences } : {}),
          ...(finalizerList ? { finalizers: finalizerList } : {}),
          // The API server sets it on both sides of an UPDATE of an object whose deletion is pending.
          ...(r.terminating && r.operation === 'UPDATE' ? { deletionTimestamp: '2026-05-01T10:00:00Z' } : {}),
        };
        return isScale
          ? {
              apiVersion: 'autoscaling/v1',
              kind: 'Scale',
              metadata: { name, ...(r.namespace ? { namespace: r.namespace } : {}) },
              spec: { replicas },
            }
          : body(
              r.kind,
              name,
              r.namespace,
              meta,
              spec(replicas, side === 'new' ? r.newRetention : r.oldRetention),
            );
      };
      const withOld = r.operation !== 'CREATE';
      return request({
        operation: r.operation as 'CREATE' | 'UPDATE' | 'DELETE',
        user: r.user,
        kind: r.kind,
        namespace: r.namespace,
        name,
        subResource: r.subResource,
        subResourceKind: isScale ? SCALE_KIND : undefined,
        dryRun: r.dryRun,
        extra: r.extra as Record<string, string[]> | undefined,
        object: make(r.newReplicas, r.newAnnotations, r.newLabels, 'new'),
        oldObject: withOld ? make(r.oldReplicas, r.oldAnnotations, r.oldLabels, 'old') : undefined,
      });
    });
}

/** A random, well-formed AdmissionRequest, without delegations. */
export const admissionRequest = admissionRequests();
