/**
 * Red-team findings against the admission pack (issue: red team of object exemptions, staged rollout
 * and signed attribution). Each `describe` is one finding: a request a policy should deny, evaluated
 * through the real engines (WASM via PackChecker on a fleet from defineFleet, and gator where cheap).
 * Tests named "FINDING" assert the CURRENT, WRONG verdict (allowed where a deny is expected), so the
 * suite passes today and fails once the hole is closed: flip the assertion then.
 */
import { App } from 'cdk8s';
import type { FleetInput } from '../../lib/fleet/schema';
import { defineFleet, validateFleet } from '../../lib/fleet/validate';
import { agentUsername } from '../../lib/naming';
import { PackChecker, type CheckResult } from '../../policies/check';
import { PolicyConstraints } from '../../policies/policy-pack';
import { validFleet, type Loose } from '../support/fleets';
import { gatorFailures, gatorVerify, type GatorCase } from '../support/gator';
import { hardenedPodSpec, KINDS, request, SCALE_KIND } from '../support/reviews';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const SHOP_IMG = `registry.example.com/shop/web@${DIGEST}`;
const BATCH_IMG = `registry.example.com/batch/worker@${DIGEST}`;
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const WRITER = agentUsername({ name: 'writer', namespace: 'agents-writer' });
const NEWBIE = agentUsername({ name: 'newbie', namespace: 'agents-newbie' });
const BATCH = agentUsername({ name: 'batch', namespace: 'agents-batch' });

/** Attribution as an authenticating proxy sets it: AG301 passes for every operation and subresource. */
const ATTRIBUTED = {
  'agentguard.dev/initiator': ['alice@example.com'],
  'agentguard.dev/traceparent': [TRACE],
};

/**
 * The test fleet, widened so the attacks are inside RBAC: writer (supervised) may create and update
 * Deployments, StatefulSets, ConfigMaps and Pods in shop; newbie is a second supervised agent in shop
 * with a cap of 1; batch (autonomous) creates Jobs in jobs.
 */
function baseFleet(mutate: (f: Loose) => void = () => undefined): FleetInput {
  const f: Loose = structuredClone(validFleet());
  f.metadata.name = 'redteam';
  const writer = f.spec.agents.find((a: Loose) => a.name === 'writer');
  writer.targets = [
    {
      namespace: 'shop',
      kinds: ['Deployment', 'StatefulSet', 'ConfigMap', 'Pod'],
      create: true,
      pods: { registries: ['registry.example.com/shop'] },
    },
  ];
  writer.limits = { maxReplicas: 3 };
  f.spec.agents.push({
    name: 'newbie',
    namespace: 'agents-newbie',
    image: `registry.example.com/agents/newbie@${DIGEST}`,
    phase: 'supervised',
    targets: [
      { namespace: 'shop', kinds: ['Deployment'], pods: { registries: ['registry.example.com/shop'] } },
    ],
    limits: { maxReplicas: 1 },
    attribution: { initiators: ['*@example.com'] },
  });
  const batch = f.spec.agents.find((a: Loose) => a.name === 'batch');
  batch.targets[0].pods = { registries: ['registry.example.com/batch'] };
  mutate(f);
  return f;
}

async function check(fleet: FleetInput, review: Record<string, unknown>): Promise<CheckResult> {
  return new PackChecker(defineFleet(fleet)).check({ file: 'redteam', document: 1, request: review });
}

const ids = (r: CheckResult) => [...new Set(r.violations.map((v) => v.policy))].sort();

function deploymentObject(name: string, replicas: number, namespace = 'shop') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: hardenedPodSpec(SHOP_IMG) },
    },
  };
}

// -------------------------------------------------------------------------------------------------
// F1 (High): AG202 enumerates one PVC name per StatefulSet ordinal: cost O(spec.replicas), which the
// agent sets (int32, up to 2^31-1). One request makes Gatekeeper's Rego run for hours and allocate
// hundreds of GB: webhook timeout (3 s default) for that request, OOM-kill of the Gatekeeper pods.
// With failurePolicy Ignore (Gatekeeper's Helm default) every request in the cluster is admitted
// unchecked while Gatekeeper is down; with the README's failurePolicy Fail every write in the cluster
// is refused, including the kill switch's emergency path (it patches constraints and deletes
// RoleBindings through the same API server).
// -------------------------------------------------------------------------------------------------

function statefulSetReview(replicas: number) {
  return request({
    operation: 'CREATE',
    user: WRITER,
    kind: KINDS.statefulSet,
    namespace: 'shop',
    name: 'db',
    extra: ATTRIBUTED,
    object: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        replicas,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: hardenedPodSpec(SHOP_IMG) },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    },
  });
}

/** gator verify against the red-team fleet's deny constraints; `cases` per policy folder. */
function gatorAgrees(cases: ReadonlyMap<string, readonly GatorCase[]>, input = baseFleet()): void {
  const fleet = defineFleet(input);
  const run = gatorVerify(cases, {
    name: fleet.metadata.name,
    constraints: new PolicyConstraints(new App(), 'c', { fleet }),
  });
  expect(gatorFailures(run, /FAIL/)).toEqual([]);
  expect(run.status).toBe(0);
}

describe("F1 (fixed): AG202 checks StatefulSet claims up to the agent's cap, whatever spec.replicas says", () => {
  it('replicas 1 and 2147483647 get the same verdict, naming the claims up to the cap (3), in WASM and gator', async () => {
    const expected = [
      '[AG202] agent writer may not write statefulsets.apps shop/db: spec.volumeClaimTemplates["data"] makes claims data-db-0, data-db-1, data-db-2, which would take over existing claims of those names; list them in spec.agents[writer].targets[shop].pods.persistentVolumeClaims (allowed: none)',
    ];
    const fleet = baseFleet();
    for (const replicas of [1, 2147483647]) {
      const found = await check(fleet, statefulSetReview(replicas));
      expect(found.violations.filter((v) => v.policy === 'AG202').map((v) => v.message)).toEqual(expected);
    }
    gatorAgrees(
      new Map([
        [
          'agent-pods',
          [1, 2147483647].map((replicas) => ({
            name: `replicas ${replicas}`,
            request: statefulSetReview(replicas),
            messages: expected,
          })),
        ],
      ]),
    );
  }, 120_000);
});

// -------------------------------------------------------------------------------------------------
// F2 (Medium): staged rollout relaxes AG202 (and AG201), which exemptions refuse for exactly this
// reason. An agent in `enforcement.action: warn` (the README's pattern for a new agent) may run any
// image, as any ServiceAccount, with any Secret and a hostPath, in every target namespace: AG701
// covers only agent namespaces, so nothing denies it.
// -------------------------------------------------------------------------------------------------

describe('F2 (fixed): AG202 and AG201 are always deny, like the kill switch', () => {
  const relaxed = baseFleet((f) => {
    const writer = f.spec.agents.find((a: Loose) => a.name === 'writer');
    writer.enforcement = { action: 'warn', until: '2027-01-01', reason: 'new agent, first week' };
  });
  const escalatingPod = request({
    operation: 'CREATE',
    user: WRITER,
    kind: KINDS.pod,
    namespace: 'shop',
    name: 'debug',
    extra: ATTRIBUTED,
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'debug', namespace: 'shop' },
      spec: {
        serviceAccountName: 'shop-admin',
        hostPID: true,
        nodeName: 'node-1',
        containers: [
          {
            name: 'x',
            image: 'attacker.example/x:latest',
            securityContext: { privileged: true },
            envFrom: [{ secretRef: { name: 'payments-db' } }],
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      },
    },
  });

  it('fixed: warn for the whole agent leaves AG202 in deny; naming AG202 or AG201 in warn is refused', async () => {
    expect(validateFleet(relaxed).ok).toBe(true);
    const result = await check(relaxed, escalatingPod);
    expect(result.allowed).toBe(false);
    expect(ids(result)).toEqual(['AG202']);
    for (const id of ['AG201', 'AG202']) {
      const named = validateFleet(
        baseFleet((f) => {
          f.spec.enforcement = { policies: { [id]: 'warn' }, until: '2027-01-01', reason: 'x' };
        }),
      );
      expect(named.ok ? [] : named.errors.map((e) => e.path)).toEqual([`spec.enforcement.policies.${id}`]);
    }
  });
});

// -------------------------------------------------------------------------------------------------
// F3 (Medium): a namespace exemption also exempts the Namespace object itself. Gatekeeper's
// excludedNamespaces treats a Namespace as being in itself, so UPDATE/DELETE of Namespace `legacy`
// by an agent skips AG201, AG501 and AG101. `agentguard check` (policies/match.ts) disagrees and
// reports a denial. RBAC never grants namespaces, so today this is defence-in-depth only.
// -------------------------------------------------------------------------------------------------

describe('F3 (fixed): a namespace exemption covers its Namespace object in check as in Gatekeeper; AG201 is never exempt', () => {
  const exempting = baseFleet((f) => {
    f.spec.exemptions = [
      {
        policies: ['AG101', 'AG501'],
        namespaces: ['legacy'],
        reason: 'legacy batch system (TICKET-1)',
        approvedBy: 'alice@example.com',
      },
    ];
  });
  const ns = (labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'legacy', labels },
  });
  const relabel = request({
    operation: 'UPDATE',
    user: WRITER,
    kind: KINDS.namespace,
    name: 'legacy',
    extra: ATTRIBUTED,
    object: ns({ 'pod-security.kubernetes.io/enforce': 'privileged' }),
    oldObject: ns({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
  });
  const remove = request({
    operation: 'DELETE',
    user: WRITER,
    kind: KINDS.namespace,
    name: 'legacy',
    extra: ATTRIBUTED,
    oldObject: ns({}),
  });

  it('an exemption naming AG201 is refused', () => {
    const result = validateFleet(
      baseFleet((f) => {
        f.spec.exemptions = [
          { policies: ['AG201'], namespaces: ['legacy'], reason: 'x', approvedBy: 'alice@example.com' },
        ];
      }),
    );
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['spec.exemptions[0].policies[0]']);
  });

  it('WASM and gator agree: AG201 still denies both, the exempted AG101 and AG501 say nothing', async () => {
    const fleet = defineFleet(exempting);
    const checked = [await check(exempting, relabel), await check(exempting, remove)];
    expect(checked.map(ids)).toEqual([['AG201'], ['AG201']]);
    const messagesOf = (r: CheckResult) => r.violations.map((v) => v.message);
    const suites = new Map<string, GatorCase[]>([
      ['destructive-verbs', [{ name: 'delete namespace', request: remove, messages: [] }]],
      [
        'no-self-escalation',
        [
          { name: 'relabel namespace', request: relabel, messages: messagesOf(checked[0]) },
          { name: 'delete namespace', request: remove, messages: messagesOf(checked[1]) },
        ],
      ],
      [
        'trust-phase',
        [
          { name: 'relabel namespace', request: relabel, messages: [] },
          { name: 'delete namespace', request: remove, messages: [] },
        ],
      ],
    ]);
    const run = gatorVerify(suites, {
      name: fleet.metadata.name,
      constraints: new PolicyConstraints(new App(), 'c', { fleet }),
    });
    expect(gatorFailures(run, /FAIL/)).toEqual([]);
    expect(run.status).toBe(0);
  }, 120_000);
});

// -------------------------------------------------------------------------------------------------
// F4 (Medium): AG401 caps spec.replicas and HPA maxReplicas, not Job parallelism. An agent capped at
// 3 runs 10,000 pods at once through one Job (or a CronJob's jobTemplate).
// -------------------------------------------------------------------------------------------------

describe('F4 (fixed): AG401 caps Job and CronJob parallelism', () => {
  const job = (parallelism: number) =>
    request({
      operation: 'CREATE',
      user: BATCH,
      kind: KINDS.job,
      namespace: 'jobs',
      name: 'burst',
      extra: { ...ATTRIBUTED, 'agentguard.dev/initiator': ['platform@example.com'] },
      object: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'burst', namespace: 'jobs' },
        spec: {
          parallelism,
          completions: parallelism,
          template: { spec: { ...hardenedPodSpec(BATCH_IMG), restartPolicy: 'Never' } },
        },
      },
    });

  it('fixed: batch (maxReplicas 3) may not create a Job with parallelism 10000, in WASM and gator', async () => {
    const result = await check(baseFleet(), job(10_000));
    expect(ids(result)).toEqual(['AG401']);
    expect(result.violations[0].message).toContain(
      'may not set spec.parallelism of jobs.batch jobs/burst to 10000',
    );
    expect((await check(baseFleet(), job(3))).violations).toEqual([]);
    gatorAgrees(
      new Map([
        [
          'replica-limits',
          [
            { name: 'job 10000', request: job(10_000), messages: result.violations.map((v) => v.message) },
            { name: 'job 3', request: job(3), messages: [] },
          ],
        ],
      ]),
    );
  }, 120_000);
});

// -------------------------------------------------------------------------------------------------
// F5 (Low/Medium): "CREATE is never exempt, so an agent cannot make an exempt object by choosing its
// name" holds for one request only. When the exempt object does not exist (before the sale, after
// it was retired or deleted), the agent creates a compliant object of that name, then UPDATEs it:
// the UPDATE is exempt. Exemptions are by name, not by the object's identity (metadata.uid).
// -------------------------------------------------------------------------------------------------

const flashSale = (f: Loose) => {
  f.spec.exemptions = [
    {
      policies: ['AG401'],
      objects: ['Deployment/shop/flash-sale'],
      reason: 'runs at 60 replicas during the sale week (SHOP-88)',
      approvedBy: 'alice@example.com',
    },
  ];
};

describe('F5 (fixed): an object an agent may create cannot be exempted', () => {
  it('the flash-sale exemption is refused while writer may create Deployments in shop', () => {
    const result = validateFleet(baseFleet(flashSale));
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([
      [
        'spec.exemptions[0].objects[0]',
        'agent "writer" may create Deployment objects in shop (targets[].create), so it could create "flash-sale" itself and then change it unchecked; exempt only objects no agent may create, or fix the object',
      ],
    ]);
  });
});

// -------------------------------------------------------------------------------------------------
// F6 (Low/Medium, design): an exemption lifts the policy for every agent of the fleet, with no
// ceiling. The README's own example (flash-sale at 60 replicas) lets newbie, capped at 1 and never
// mentioned by the exemption, scale flash-sale to 100,000 with `kubectl scale`.
// -------------------------------------------------------------------------------------------------

describe('F6 (documented): an exemption lifts the policies for every agent of the fleet', () => {
  it('newbie (cap 1) may scale the exempt flash-sale past its cap: the README says exemptions are per object, not per agent', async () => {
    const scale = request({
      operation: 'UPDATE',
      user: NEWBIE,
      kind: KINDS.deployment,
      subResource: 'scale',
      subResourceKind: SCALE_KIND,
      namespace: 'shop',
      name: 'flash-sale',
      extra: ATTRIBUTED,
      object: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'flash-sale', namespace: 'shop' },
        spec: { replicas: 100_000 },
      },
      oldObject: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'flash-sale', namespace: 'shop' },
        spec: { replicas: 60 },
      },
    });
    expect(ids(await check(baseFleet(), scale))).toEqual(['AG401']);
    const noCreate = (f: Loose) => {
      flashSale(f);
      f.spec.agents[1].targets[0].create = false;
    };
    expect((await check(baseFleet(noCreate), scale)).violations).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------------
// F7 (Low): exempting a Pod from AG201 and AG501 also lifts AG201's ban on the ephemeralcontainers
// subresource for that pod (the exemption covers every subresource): a debug container sharing the target container's
// process namespace (targetContainerName) is admitted. AG202 still checks hardening and registry;
// RBAC never grants pods/ephemeralcontainers, so today RBAC is the only line.
// -------------------------------------------------------------------------------------------------

describe('F7 (fixed): an object exemption covers the object and its scale, no other subresource', () => {
  it('UPDATE pods/ephemeralcontainers on an exempt pod is still denied by AG201 and AG501', async () => {
    const fleet = baseFleet((f) => {
      f.spec.agents[1].targets[0].create = false;
      f.spec.exemptions = [
        {
          policies: ['AG501'],
          objects: ['Pod/shop/legacy-worker'],
          reason: 'legacy pod carries a kind outside the allowlist',
          approvedBy: 'alice@example.com',
        },
      ];
    });
    const pod = (ephemeral: unknown[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'legacy-worker', namespace: 'shop' },
      spec: { ...hardenedPodSpec(SHOP_IMG), ephemeralContainers: ephemeral },
    });
    const debug = {
      name: 'debug',
      image: SHOP_IMG,
      targetContainerName: 'app',
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
    };
    const review = request({
      operation: 'UPDATE',
      user: WRITER,
      kind: KINDS.pod,
      subResource: 'ephemeralcontainers',
      namespace: 'shop',
      name: 'legacy-worker',
      extra: ATTRIBUTED,
      object: pod([debug]),
      oldObject: pod([]),
    });
    expect(ids(await check(baseFleet(), review))).toEqual(['AG201', 'AG501']);
    expect(ids(await check(fleet, review))).toEqual(['AG201', 'AG501']);
  });
});

// -------------------------------------------------------------------------------------------------
// F8 (Medium, fixed by AG203): objects that act with someone else's privileges were not policed.
// Service and Ingress are manageable kinds (release-bot has Service create in the example fleet),
// and no policy looked at what they do: a Service with externalIPs intercepts traffic to that IP
// from every pod and node of the cluster (CVE-2020-8554, unfixed in Kubernetes by design), a
// LoadBalancer/NodePort exposes the namespace's pods outside the cluster, and an ingress-nginx
// snippet annotation runs configuration in the ingress controller, which reads every Secret of the
// cluster. AG203 (rego/agent-exposure) now denies each; test/policies/agent-exposure.test.ts has
// every route.
// -------------------------------------------------------------------------------------------------

describe('F8 (Medium, fixed by AG203): Service externalIPs and Ingress snippet annotations are denied', () => {
  const fleet = baseFleet((f) => {
    const writer = f.spec.agents.find((a: Loose) => a.name === 'writer');
    writer.targets[0].kinds.push('Service', 'Ingress');
  });

  const externalIpService = () =>
    request({
      operation: 'CREATE',
      user: WRITER,
      kind: KINDS.service,
      namespace: 'shop',
      name: 'dns-mitm',
      extra: ATTRIBUTED,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'dns-mitm', namespace: 'shop' },
        spec: {
          type: 'LoadBalancer',
          externalIPs: ['8.8.8.8'],
          selector: { app: 'web' },
          ports: [{ port: 53, protocol: 'UDP' }],
        },
      },
    });

  const snippetIngress = () =>
    request({
      operation: 'CREATE',
      user: WRITER,
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses' },
      namespace: 'shop',
      name: 'snippet',
      extra: ATTRIBUTED,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: 'snippet',
          namespace: 'shop',
          annotations: {
            'nginx.ingress.kubernetes.io/configuration-snippet':
              'content_by_lua_block { ngx.say(io.open("/var/run/secrets/kubernetes.io/serviceaccount/token"):read("*a")) }',
          },
        },
        spec: {
          rules: [
            {
              host: 'checkout.shop.example',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    });

  const SERVICE_MESSAGES = [
    '[AG203] agent writer may not write services shop/dns-mitm: spec.externalIPs ["8.8.8.8"] may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it',
    '[AG203] agent writer may not write services shop/dns-mitm: spec.loadBalancerSourceRanges must list the clients a LoadBalancer admits, each one of spec.agents[writer].targets[shop].exposure.loadBalancerSourceRanges (allowed: none); without it the whole internet reaches the pods',
    '[AG203] agent writer may not write services shop/dns-mitm: spec.type "LoadBalancer" is not allowed: use ClusterIP or a type listed in spec.agents[writer].targets[shop].exposure.serviceTypes (allowed: none)',
  ];
  const INGRESS_MESSAGES = [
    '[AG203] agent writer may not write ingresses.networking.k8s.io shop/snippet: metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"] is not allowed: it has the ingress controller, which reads every Secret of the cluster, run configuration or send requests elsewhere; no fleet field allows it',
  ];

  it('fixed: a Service with externalIPs 8.8.8.8 (cluster-wide MITM of that IP) is denied by AG203 alone', async () => {
    const result = await check(fleet, externalIpService());
    expect(ids(result)).toEqual(['AG203']);
    expect(result.violations.map((v) => v.message).sort()).toEqual(SERVICE_MESSAGES);
  });

  it('fixed: an Ingress with an ingress-nginx configuration-snippet is denied by AG203 alone', async () => {
    const result = await check(fleet, snippetIngress());
    expect(ids(result)).toEqual(['AG203']);
    expect(result.violations.map((v) => v.message)).toEqual(INGRESS_MESSAGES);
  });

  it('fixed (gator): the real engine denies both with the same messages', () => {
    const defined = defineFleet(fleet);
    const run = gatorVerify(
      new Map<string, GatorCase[]>([
        [
          'agent-exposure',
          [
            { name: 'external-ips', request: externalIpService(), messages: SERVICE_MESSAGES },
            { name: 'snippet', request: snippetIngress(), messages: INGRESS_MESSAGES },
          ],
        ],
      ]),
      { name: defined.metadata.name, constraints: new PolicyConstraints(new App(), 'c', { fleet: defined }) },
    );
    expect(gatorFailures(run, /FAIL/)).toEqual([]);
    expect(run.status).toBe(0);
  }, 120_000);

  it('fixed: AG203 cannot be exempted, so the hole cannot be reopened per namespace or object', () => {
    const exempting = baseFleet((f) => {
      f.spec.exemptions = [
        { policies: ['AG203'], namespaces: ['shop'], reason: 'legacy edge', approvedBy: 'alice@example.com' },
      ];
    });
    const result = validateFleet(exempting);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(['spec.exemptions[0].policies[0]']);
    expect(result.errors[0].message).toMatch(
      /"AG203" \(network exposure an agent writes\) cannot be exempted/,
    );
  });
});

// -------------------------------------------------------------------------------------------------
// F9 (Low): reserved namespaces can be exempted. The loader refuses kube-system, gatekeeper-system and
// the Vault namespace as targets, and refuses exemptions of agent and runner namespaces, but accepts
// an exemption of kube-system, gatekeeper-system (Gatekeeper's Config lives there) or the Vault
// namespace; with F3 the exemption also covers those Namespace objects themselves.
// -------------------------------------------------------------------------------------------------

describe('F9 (fixed): exemptions of reserved namespaces are refused', () => {
  it.each(['kube-system', 'gatekeeper-system', 'vault'])('%s', (ns) => {
    const fleet = baseFleet((f) => {
      f.spec.vault = { namespace: 'vault' };
      f.spec.exemptions = [
        { policies: ['AG501'], namespaces: [ns], reason: 'x', approvedBy: 'alice@example.com' },
      ];
    });
    const result = validateFleet(fleet);
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([
      [
        'spec.exemptions[0].namespaces[0]',
        `"${ns}" is a reserved namespace (system, Gatekeeper or Vault); agents never act there, and its guardrails are never lifted`,
      ],
    ]);
  });
});

// -------------------------------------------------------------------------------------------------
// F10 (Medium): AG202's StatefulSet claim-takeover rule only sees objects with volumeClaimTemplates.
// Create the StatefulSet with replicas 0 (no ordinal, no claim checked), then `kubectl scale` it: the
// Scale carries no templates, so AG202 checks nothing, and the controller binds the retained claims
// data-db-0..2 of a deleted StatefulSet `db` (kept by the default Retain policy) to pods the agent
// wrote, whose command it chooses. An HPA with minReplicas does the same through the HPA controller.
// -------------------------------------------------------------------------------------------------

describe('F10 (fixed): StatefulSet claim takeover through replicas 0 plus the scale subresource', () => {
  it('CREATE db with replicas 0 already names the claims up to the cap, so a later scale has nothing left to take over', async () => {
    const fleet = baseFleet();
    const atZero = await check(fleet, statefulSetReview(0));
    expect(ids(atZero)).toEqual(['AG202']);
    expect(atZero.violations[0].message).toMatch(/makes claims data-db-0, data-db-1, data-db-2, which/);
    // With the claims listed, the StatefulSet passes and scaling it within the cap reaches only them.
    const listed = baseFleet((f) => {
      f.spec.agents[1].targets[0].pods.persistentVolumeClaims = ['data-db-0', 'data-db-1', 'data-db-2'];
    });
    expect((await check(listed, statefulSetReview(0))).violations).toEqual([]);
    const expected = atZero.violations.map((v) => v.message);
    gatorAgrees(
      new Map([
        ['agent-pods', [{ name: 'create replicas 0', request: statefulSetReview(0), messages: expected }]],
      ]),
    );
  }, 120_000);
});

// -------------------------------------------------------------------------------------------------
// Non-findings: attacks tried that the pack holds (kept as regression tests).
// -------------------------------------------------------------------------------------------------

describe('non-findings (held)', () => {
  const exempting = baseFleet((f) => {
    f.spec.agents[1].targets[0].create = false;
    f.spec.exemptions = [
      {
        policies: ['AG101', 'AG102', 'AG301', 'AG401', 'AG501'],
        objects: ['Pod/shop/legacy-worker', 'Deployment/shop/legacy-api'],
        reason: 'legacy (SHOP-77)',
        approvedBy: 'alice@example.com',
      },
    ];
  });

  it('an Eviction of an exempt pod is a CREATE: not exempt, AG102 denies', async () => {
    const review = request({
      operation: 'CREATE',
      user: WRITER,
      kind: KINDS.pod,
      subResource: 'eviction',
      subResourceKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
      namespace: 'shop',
      name: 'legacy-worker',
      extra: ATTRIBUTED,
      object: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'legacy-worker', namespace: 'shop' },
      },
    });
    expect(ids(await check(exempting, review))).toContain('AG102');
  });

  it('a nameless DELETE (collection) in the exempt namespace/resource is not exempt', async () => {
    const review = request({
      operation: 'DELETE',
      user: WRITER,
      kind: KINDS.deployment,
      namespace: 'shop',
      extra: ATTRIBUTED,
      oldObject: deploymentObject('legacy-api', 1),
    });
    expect(ids(await check(exempting, review))).toContain('AG101');
  });

  it('a ReplicaSet named like the exempt Deployment (its child resource) is not exempt', async () => {
    const review = request({
      operation: 'DELETE',
      user: WRITER,
      kind: KINDS.replicaSet,
      namespace: 'shop',
      name: 'legacy-api',
      extra: ATTRIBUTED,
      oldObject: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'legacy-api', namespace: 'shop' },
      },
    });
    expect(ids(await check(exempting, review))).toContain('AG101');
  });

  it('AG202 still checks a pod template written into an exempt Deployment', async () => {
    const bad = deploymentObject('legacy-api', 1);
    (bad.spec.template.spec as Loose).serviceAccountName = 'shop-admin';
    const review = request({
      operation: 'UPDATE',
      user: WRITER,
      kind: KINDS.deployment,
      namespace: 'shop',
      name: 'legacy-api',
      extra: ATTRIBUTED,
      object: bad,
      oldObject: deploymentObject('legacy-api', 1),
    });
    expect(ids(await check(exempting, review))).toEqual(['AG202']);
  });

  it.each([
    ['an upper-case domain', 'alice@EXAMPLE.com'],
    ['a Cyrillic a in the domain', 'alice@ex\u0430mple.com'],
    ['a second @', 'x@evil.com@example.com'],
    ['a suffix after the domain', 'alice@example.com.evil.com'],
    ['a trailing newline', 'alice@example.com\n'],
  ])('initiator pattern *@example.com refuses %s', async (_what, who) => {
    const review = request({
      operation: 'UPDATE',
      user: WRITER,
      kind: KINDS.configMap,
      namespace: 'shop',
      name: 'settings',
      extra: { ...ATTRIBUTED, 'agentguard.dev/initiator': [who] },
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' } },
      oldObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' } },
    });
    expect(ids(await check(baseFleet(), review))).toEqual(['AG301']);
  });
});
