/**
 * AG202 under attack: an agent that may write workloads tries every route by which a pod reaches
 * more than the fleet gave it (another ServiceAccount, a Secret, a token, the host, an image of its
 * choosing), on every kind that carries a pod, by CREATE and by UPDATE. Each route must be denied
 * with a message naming the field; the hardened pod that uses only what the fleet names must pass.
 */
import { celAsRego } from '../../policies/cel';
import { CelPackEvaluator } from '../../policies/cel-eval';
import { regoPack } from '../../policies/wasm-build';
import { messages } from '../../policies/wasm';
import {
  AGENTS,
  HUMAN,
  SHOP_IMAGE,
  attributed,
  exampleParameters,
  hardenedPodSpec,
  request,
  type KindRef,
} from '../support/reviews';

const params = exampleParameters()['agent-pods'];
const cel = new CelPackEvaluator(regoPack);
/**
 * The Rego's messages; every route is also put to AG202's CEL (the K8sNativeValidation block and
 * the ValidatingAdmissionPolicy), which must say the same once its joined messages are split.
 */
const evaluateWith = async (parameters: unknown, review: Record<string, unknown>) => {
  const rego = messages(await regoPack.evaluate('agent-pods', review, parameters));
  expect(celAsRego(messages(await cel.evaluate('agent-pods', review, parameters)))).toEqual(
    [...new Set(rego)].sort(),
  );
  return rego;
};
const evaluate = (review: Record<string, unknown>) => evaluateWith(params, review);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const DIGEST = '@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const GOOD_IMAGE = SHOP_IMAGE;

type Pod = Record<string, unknown> & { containers: Record<string, unknown>[] };

/** A hardened pod that uses only what release-bot's target shop allows: web, web-tls. */
function hardenedPod(): Pod {
  const pod = hardenedPodSpec(GOOD_IMAGE);
  pod.serviceAccountName = 'web';
  pod.containers[0].env = [{ name: 'TLS', valueFrom: { secretKeyRef: { name: 'web-tls', key: 'tls.key' } } }];
  pod.volumes = [
    { name: 'tmp', emptyDir: {} },
    { name: 'tls', secret: { secretName: 'web-tls' } },
  ];
  return pod;
}

interface Carrier {
  readonly kind: KindRef;
  /** The object carrying the pod, as the API server passes it to admission. */
  readonly wrap: (pod: Pod) => Record<string, unknown>;
}

const k = (group: string, version: string, kind: string, resource: string): KindRef => ({
  group,
  version,
  kind,
  resource,
});
const withTemplate = (kind: KindRef) => (pod: Pod) => ({
  apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
  kind: kind.kind,
  metadata: attributed('web', 'shop'),
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { spec: pod } },
});

/** Every kind an agent could use to run a pod, built-in and custom. */
const CARRIERS: Record<string, Carrier> = Object.fromEntries(
  [
    k('', 'v1', 'ReplicationController', 'replicationcontrollers'),
    k('apps', 'v1', 'Deployment', 'deployments'),
    k('apps', 'v1', 'StatefulSet', 'statefulsets'),
    k('apps', 'v1', 'DaemonSet', 'daemonsets'),
    k('apps', 'v1', 'ReplicaSet', 'replicasets'),
    k('batch', 'v1', 'Job', 'jobs'),
    k('argoproj.io', 'v1alpha1', 'Rollout', 'rollouts'),
  ]
    .map((kind): [string, Carrier] => [kind.kind, { kind, wrap: withTemplate(kind) }])
    .concat([
      [
        'Pod',
        {
          kind: k('', 'v1', 'Pod', 'pods'),
          wrap: (pod) => ({ apiVersion: 'v1', kind: 'Pod', metadata: attributed('web', 'shop'), spec: pod }),
        },
      ],
      [
        'CronJob',
        {
          kind: k('batch', 'v1', 'CronJob', 'cronjobs'),
          wrap: (pod) => ({
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            metadata: attributed('web', 'shop'),
            spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: pod } } } },
          }),
        },
      ],
      [
        'PodTemplate',
        {
          kind: k('', 'v1', 'PodTemplate', 'podtemplates'),
          wrap: (pod) => ({
            apiVersion: 'v1',
            kind: 'PodTemplate',
            metadata: attributed('web', 'shop'),
            template: { spec: pod },
          }),
        },
      ],
    ]),
);

const first = (pod: Pod) => pod.containers[0];
const securityOf = (pod: Pod) => first(pod).securityContext as Record<string, unknown>;

/** Each route: how it changes the pod, and the field its message must name. */
const ROUTES: [route: string, change: (pod: Pod) => void, field: RegExp][] = [
  [
    'serviceAccountName of another account',
    (p) => (p.serviceAccountName = 'shop-admin'),
    /serviceAccountName "shop-admin"/,
  ],
  [
    'deprecated serviceAccount field',
    (p) => (p.serviceAccount = 'shop-admin'),
    /\.serviceAccount "shop-admin"/,
  ],
  [
    'env secretKeyRef to another Secret',
    (p) => (first(p).env = [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'payments-db', key: 'pw' } } }]),
    /env\["DB"\]\.valueFrom\.secretKeyRef uses Secret "payments-db"/,
  ],
  [
    'envFrom secretRef',
    (p) => (first(p).envFrom = [{ secretRef: { name: 'payments-db' } }]),
    /envFrom\[\]\.secretRef uses Secret "payments-db"/,
  ],
  [
    'secret volume',
    (p) => (p.volumes = [{ name: 'db', secret: { secretName: 'payments-db' } }]),
    /volumes\["db"\]\.secret uses Secret "payments-db"/,
  ],
  [
    'projected secret source',
    (p) => (p.volumes = [{ name: 'all', projected: { sources: [{ secret: { name: 'payments-db' } }] } }]),
    /projected\.sources\[\]\.secret uses Secret "payments-db"/,
  ],
  [
    'projected service-account token',
    (p) =>
      (p.volumes = [
        { name: 't', projected: { sources: [{ serviceAccountToken: { path: 't', audience: 'sts' } }] } },
      ]),
    /volumes\["t"\] projects a service-account token/,
  ],
  [
    'CSI secrets-store volume',
    (p) => (p.volumes = [{ name: 'sm', csi: { driver: 'secrets-store.csi.k8s.io' } }]),
    /uses CSI driver "secrets-store\.csi\.k8s\.io"/,
  ],
  [
    'CSI node-publish secret',
    (p) => (p.volumes = [{ name: 'c', csi: { driver: 'x', nodePublishSecretRef: { name: 'payments-db' } } }]),
    /csi\.nodePublishSecretRef uses Secret "payments-db"/,
  ],
  [
    'image pull secret',
    (p) => (p.imagePullSecrets = [{ name: 'registry-admin' }]),
    /imagePullSecrets\[\] uses Secret "registry-admin"/,
  ],
  [
    'another workload’s PersistentVolumeClaim',
    (p) => (p.volumes = [{ name: 'd', persistentVolumeClaim: { claimName: 'payments-data' } }]),
    /mounts PersistentVolumeClaim "payments-data"/,
  ],
  [
    'ephemeral volume bound to an existing PersistentVolume',
    (p) =>
      (p.volumes = [
        {
          name: 'd',
          ephemeral: {
            volumeClaimTemplate: { spec: { volumeName: 'pv-payments-db', storageClassName: '' } },
          },
        },
      ]),
    /volumeClaimTemplate\.spec\.volumeName may not be set/,
  ],
  [
    'ephemeral volume selecting existing PersistentVolumes',
    (p) =>
      (p.volumes = [
        {
          name: 'd',
          ephemeral: { volumeClaimTemplate: { spec: { selector: { matchLabels: { app: 'pay' } } } } },
        },
      ]),
    /volumeClaimTemplate\.spec\.selector may not be set/,
  ],
  [
    'liveness probe sent to the node’s metadata service',
    (p) => (first(p).livenessProbe = { httpGet: { host: '169.254.169.254', port: 80, path: '/' } }),
    /livenessProbe\.httpGet\.host must not be set/,
  ],
  [
    'postStart hook to the kubelet port',
    (p) => (first(p).lifecycle = { postStart: { tcpSocket: { host: '127.0.0.1', port: 10250 } } }),
    /lifecycle\.postStart\.tcpSocket\.host must not be set/,
  ],
  [
    'pod-level seccomp Unconfined under container overrides',
    (p) => (p.securityContext = { ...(p.securityContext as object), seccompProfile: { type: 'Unconfined' } }),
    /securityContext\.seccompProfile .* is not allowed/,
  ],
  [
    'pod-level root user under a container override',
    (p) => {
      p.securityContext = { ...(p.securityContext as object), runAsUser: 0 };
      securityOf(p).runAsUser = 1000;
    },
    /securityContext\.runAsUser 0 is not allowed/,
  ],
  ['pinned to a node', (p) => (p.nodeName = 'control-plane-1'), /nodeName may not be set/],
  [
    'shared ResourceClaim',
    (p) => (p.resourceClaims = [{ name: 'gpu', resourceClaimName: 'payments-gpu' }]),
    /resourceClaims may not be set/,
  ],
  [
    'projected pod certificate',
    (p) =>
      (p.volumes = [
        {
          name: 'cert',
          projected: { sources: [{ podCertificate: { signerName: 'x/y', keyType: 'ED25519' } }] },
        },
      ]),
    /projects a pod certificate/,
  ],
  [
    'clone of a listed claim name from another namespace',
    (p) =>
      (p.volumes = [
        {
          name: 'copy',
          ephemeral: {
            volumeClaimTemplate: {
              spec: {
                dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'web-data', namespace: 'payments' },
              },
            },
          },
        },
      ]),
    /clones PersistentVolumeClaim "web-data"/,
  ],
  [
    'automounted token',
    (p) => (p.automountServiceAccountToken = true),
    /automountServiceAccountToken: false/,
  ],
  [
    'hostPath volume',
    (p) => (p.volumes = [{ name: 'root', hostPath: { path: '/' } }]),
    /volumes\["root"\] uses hostPath/,
  ],
  ['hostNetwork', (p) => (p.hostNetwork = true), /hostNetwork must not be true/],
  ['hostPID', (p) => (p.hostPID = true), /hostPID must not be true/],
  ['hostIPC', (p) => (p.hostIPC = true), /hostIPC must not be true/],
  [
    'shareProcessNamespace',
    (p) => (p.shareProcessNamespace = true),
    /shareProcessNamespace must not be true/,
  ],
  ['privileged container', (p) => (securityOf(p).privileged = true), /must not be privileged/],
  [
    'added capability',
    (p) => (securityOf(p).capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] }),
    /must not add capabilities/,
  ],
  ['unmasked procMount', (p) => (securityOf(p).procMount = 'Unmasked'), /procMount/],
  [
    'unsafe sysctl',
    (p) =>
      (p.securityContext = {
        ...(p.securityContext as object),
        sysctls: [{ name: 'kernel.core_pattern', value: '|/x' }],
      }),
    /sysctls sets "kernel\.core_pattern"/,
  ],
  ['root user', (p) => (securityOf(p).runAsUser = 0), /must not run as uid 0/],
  ['hostPort', (p) => (first(p).ports = [{ containerPort: 80, hostPort: 80 }]), /hostPort/],
  [
    'attacker image by tag',
    (p) => (first(p).image = 'attacker.example/x:latest'),
    /image "attacker\.example\/x:latest" must come from a registry in spec\.agents\[release-bot\]\.targets\[shop\]\.pods\.registries/,
  ],
  [
    'attacker image pinned by digest',
    (p) => (first(p).image = `attacker.example/x${DIGEST}`),
    /must come from a registry/,
  ],
  [
    'registry look-alike sharing a prefix',
    (p) => (first(p).image = `registry.shop.example/shopping/x${DIGEST}`),
    /must come from a registry/,
  ],
  [
    'allowed registry by tag',
    (p) => (first(p).image = 'registry.shop.example/shop/web:latest'),
    /must be pinned by digest/,
  ],
  [
    'init container from an attacker image',
    (p) => (p.initContainers = [{ ...first(p), name: 'init', image: 'attacker.example/x:1' }]),
    /initContainers\["init"\] image "attacker\.example\/x:1"/,
  ],
];

const review = (
  operation: 'CREATE' | 'UPDATE',
  carrier: Carrier,
  pod: Pod,
  options: { user?: string; namespace?: string; old?: Pod } = {},
) =>
  request({
    operation,
    user: options.user ?? AGENTS.releaseBot,
    kind: carrier.kind,
    namespace: options.namespace ?? 'shop',
    name: 'web',
    object: carrier.wrap(pod),
    oldObject: operation === 'UPDATE' ? carrier.wrap(options.old ?? hardenedPod()) : undefined,
  });

const cases = Object.keys(CARRIERS).flatMap((kind) =>
  ROUTES.map(([route, change, field]) => [kind, route, change, field] as const),
);

describe('AG202: the pod the fleet allows', () => {
  it.each(Object.keys(CARRIERS))('passes on %s by CREATE and UPDATE', async (kind) => {
    expect(await evaluate(review('CREATE', CARRIERS[kind], hardenedPod()))).toEqual([]);
    expect(await evaluate(review('UPDATE', CARRIERS[kind], hardenedPod()))).toEqual([]);
  });
});

describe.each(['CREATE', 'UPDATE'] as const)('AG202 denies every escalation route by %s', (operation) => {
  it.each(cases)('%s: %s', async (kind, _route, change, field) => {
    const pod = hardenedPod();
    change(pod);
    const found = await evaluate(review(operation, CARRIERS[kind], pod));
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((m) => m.startsWith('[AG202] agent release-bot may not write '))).toBe(true);
    expect(found.some((m) => field.test(m))).toBe(true);
  });
});

describe('AG202 on UPDATE checks the new object whole', () => {
  it.each(ROUTES.map(([route, change, field]) => [route, change, field] as const))(
    'an update that keeps an already-bad %s is still denied',
    async (_route, change, field) => {
      const bad = hardenedPod();
      change(bad);
      // The old object had the same problem: nothing "changed", and it must still not pass.
      const found = await evaluate(review('UPDATE', CARRIERS.Deployment, bad, { old: bad }));
      expect(found.some((m) => field.test(m))).toBe(true);
    },
  );

  it('an update that only swaps the ServiceAccount is denied', async () => {
    const pod = hardenedPod();
    pod.serviceAccountName = 'shop-admin';
    expect(await evaluate(review('UPDATE', CARRIERS.Deployment, pod))).toEqual([
      '[AG202] agent release-bot may not write deployments.apps shop/web: spec.template.spec.serviceAccountName "shop-admin" is not allowed: use default or a ServiceAccount listed in spec.agents[release-bot].targets[shop].pods.serviceAccounts (allowed: web)',
    ]);
  });
});

describe('AG202 routes outside the pod spec', () => {
  it('an AppArmor annotation that unconfines a container is denied, runtime/default is not', async () => {
    const withAnnotation = (value: string) => {
      const object = CARRIERS.Deployment.wrap(hardenedPod()) as {
        spec: { template: Record<string, unknown> };
      };
      object.spec.template.metadata = {
        annotations: { 'container.apparmor.security.beta.kubernetes.io/app': value },
      };
      return request({
        operation: 'CREATE',
        user: AGENTS.releaseBot,
        kind: CARRIERS.Deployment.kind,
        namespace: 'shop',
        name: 'web',
        object,
      });
    };
    expect(await evaluate(withAnnotation('unconfined'))).toEqual([
      '[AG202] agent release-bot may not write deployments.apps shop/web: pod not hardened: spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is "unconfined"; AppArmor must be runtime/default or localhost/<profile>',
    ]);
    expect(await evaluate(withAnnotation('runtime/default'))).toEqual([]);
    expect(await evaluate(withAnnotation('localhost/web'))).toEqual([]);
  });

  it('a StatefulSet claim template cloned from an unlisted claim or a snapshot is denied', async () => {
    const statefulSet = (dataSource: Record<string, unknown>) => {
      const object = CARRIERS.StatefulSet.wrap(hardenedPod()) as { spec: Record<string, unknown> };
      object.spec.volumeClaimTemplates = [
        { metadata: { name: 'data' }, spec: { dataSourceRef: dataSource } },
      ];
      return request({
        operation: 'CREATE',
        user: AGENTS.releaseBot,
        kind: CARRIERS.StatefulSet.kind,
        namespace: 'shop',
        name: 'web',
        object,
      });
    };
    for (const source of [
      { kind: 'PersistentVolumeClaim', name: 'payments-data' },
      { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'payments-nightly' },
    ]) {
      expect(await evaluate(statefulSet(source))).toEqual(
        expect.arrayContaining([
          expect.stringContaining(
            `spec.volumeClaimTemplates["data"].spec.dataSourceRef clones ${source.kind} "${source.name}"`,
          ),
        ]),
      );
    }
  });
});

describe('AG202 on claims the request creates', () => {
  const statefulSet = (spec: Record<string, unknown>) => {
    const object = CARRIERS.StatefulSet.wrap(hardenedPod()) as { spec: Record<string, unknown> };
    Object.assign(object.spec, spec);
    return request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: CARRIERS.StatefulSet.kind,
      namespace: 'shop',
      name: 'web',
      object,
    });
  };

  // release-bot's replica cap is 6 (limits.maxReplicas in the example fleet).
  it('a StatefulSet whose claim names could take over existing claims is denied, every claim up to the cap named', async () => {
    const found = await evaluate(
      statefulSet({
        replicas: 2,
        ordinals: { start: 3 },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
      }),
    );
    expect(found).toEqual([
      expect.stringContaining(
        'spec.volumeClaimTemplates["data"] makes claims data-web-3, data-web-4, data-web-5, data-web-6, data-web-7, data-web-8, which would take over',
      ),
    ]);
  });

  it.each([0, 1, 2147483647, 1e300])(
    'spec.replicas %s changes nothing: the claims up to the cap are checked (scale-up later needs no template), and a huge count costs nothing',
    async (replicas) => {
      const started = Date.now();
      expect(
        await evaluate(
          statefulSet({ replicas, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] }),
        ),
      ).toEqual([
        expect.stringContaining(
          'makes claims data-web-0, data-web-1, data-web-2, data-web-3, data-web-4, data-web-5, which would take over',
        ),
      ]);
      // Not a timing assertion on the machine: two orders of magnitude of slack against the old
      // O(replicas) loop, which ran for hours on 2147483647.
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );

  it('claims the fleet lists up to the cap pass; ordinals that cannot be told are denied', async () => {
    const listed = ['data-web-0', 'data-web-1', 'data-web-2', 'data-web-3', 'data-web-4', 'data-web-5'];
    const params = structuredClone(exampleParameters()['agent-pods']) as Loose;
    params.agents[AGENTS.releaseBot].namespaces.shop.persistentVolumeClaims = listed;
    const templates = { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] };
    expect(await evaluateWith(params, statefulSet({ replicas: 3, ...templates }))).toEqual([]);
    expect(await evaluateWith(params, statefulSet({ ordinals: { start: '1' }, ...templates }))).toEqual([
      expect.stringContaining(
        'spec.volumeClaimTemplates may not be set: spec.ordinals.start "1" is not a whole number',
      ),
    ]);
    delete params.agents[AGENTS.releaseBot].maxReplicas;
    expect(await evaluateWith(params, statefulSet({ replicas: 1, ...templates }))).toEqual([
      expect.stringContaining(
        "spec.volumeClaimTemplates may not be set: the agent's replica cap is missing from the constraint",
      ),
    ]);
  });

  it('a PersistentVolumeClaim the agent writes may not bind a volume or clone an unlisted claim', async () => {
    const pvc = (spec: Record<string, unknown>) =>
      request({
        operation: 'CREATE',
        user: AGENTS.releaseBot,
        kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims' },
        namespace: 'shop',
        name: 'copy',
        object: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: attributed('copy', 'shop'),
          spec,
        },
      });
    expect(await evaluate(pvc({ volumeName: 'pv-payments' }))).toEqual([
      expect.stringContaining('spec.volumeName may not be set'),
    ]);
    expect(
      await evaluate(pvc({ dataSource: { kind: 'PersistentVolumeClaim', name: 'payments-data' } })),
    ).toEqual([expect.stringContaining('spec.dataSource clones PersistentVolumeClaim "payments-data"')]);
    expect(await evaluate(pvc({ resources: { requests: { storage: '1Gi' } } }))).toEqual([]);
  });
});

describe('AG202 scope', () => {
  const sneaky = (): Pod => {
    const pod = hardenedPod();
    pod.serviceAccountName = 'shop-admin';
    pod.hostNetwork = true;
    return pod;
  };

  it('leaves people and controllers to their own RBAC and Pod Security Admission', async () => {
    for (const user of [HUMAN, 'system:serviceaccount:kube-system:replicaset-controller']) {
      expect(await evaluate(review('CREATE', CARRIERS.Deployment, sneaky(), { user }))).toEqual([]);
    }
  });

  it('lets a DELETE through (AG101 and RBAC own deletes)', async () => {
    const del = request({
      operation: 'DELETE',
      user: AGENTS.releaseBot,
      kind: CARRIERS.Deployment.kind,
      namespace: 'shop',
      name: 'web',
      oldObject: CARRIERS.Deployment.wrap(sneaky()),
    });
    expect(await evaluate(del)).toEqual([]);
  });

  it('allows nothing in a namespace outside the agent’s targets, not even the pod shop allows', async () => {
    const found = await evaluate(
      review('CREATE', CARRIERS.Deployment, hardenedPod(), { namespace: 'payments' }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /serviceAccountName "web" is not allowed.*targets\[payments\]\.pods\.serviceAccounts \(allowed: none\)/,
        ),
        expect.stringMatching(/Secret "web-tls".*\(allowed: none\)/),
        expect.stringMatching(
          /must come from a registry in .*targets\[payments\]\.pods\.registries \(allowed: none\)/,
        ),
      ]),
    );
  });

  it('holds every agent to its own target, not another agent’s', async () => {
    // batch-scaler may create Deployments in batch, from the batch registry, with no Secrets.
    const pod = hardenedPod();
    const found = await evaluate(
      review('CREATE', CARRIERS.Deployment, pod, { user: AGENTS.batchScaler, namespace: 'batch' }),
    );
    expect(found.some((m) => m.includes('Secret "web-tls"'))).toBe(true);
    expect(found.some((m) => m.includes('serviceAccountName "web"'))).toBe(true);
    expect(found.some((m) => m.includes('registries (allowed: registry.shop.example/batch)'))).toBe(true);
  });

  it('checks an ephemeral debug container added through pods/ephemeralcontainers', async () => {
    const pod = hardenedPod();
    pod.ephemeralContainers = [
      { name: 'dbg', image: 'busybox:latest', securityContext: { privileged: true } },
    ];
    const found = await evaluate(
      request({
        operation: 'UPDATE',
        user: AGENTS.releaseBot,
        kind: CARRIERS.Pod.kind,
        subResource: 'ephemeralcontainers',
        namespace: 'shop',
        name: 'web',
        object: CARRIERS.Pod.wrap(pod),
        oldObject: CARRIERS.Pod.wrap(hardenedPod()),
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('spec.ephemeralContainers["dbg"] must not be privileged'),
        expect.stringContaining(
          'spec.ephemeralContainers["dbg"] image "busybox:latest" must come from a registry',
        ),
      ]),
    );
  });
});
