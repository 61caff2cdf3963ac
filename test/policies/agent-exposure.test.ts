/**
 * AG203 under attack: an agent that may write Services and Ingresses tries every route by which
 * one exposes more than the fleet gave it (external IPs, a LoadBalancer or NodePort, an
 * ExternalName, ingress-controller snippets and auth/mirror URLs under any controller prefix, a TLS
 * Secret it may not read, a class or default backend nobody chose, status), by CREATE and UPDATE.
 * Each route must be denied with a message naming the field and the fleet field that would allow it;
 * the Service and Ingress the fleet allows must pass. Every review is evaluated in WASM and by the
 * policy's CEL (offline, its joined messages split), and, at the end of the file, by gator (the real
 * Gatekeeper engine) with its Rego and with its CEL, message for message.
 */
import { App } from 'cdk8s';
import { celAsRego } from '../../policies/cel';
import { CelPackEvaluator } from '../../policies/cel-eval';
import { defineFleet } from '../../lib/fleet/validate';
import { policyParameters } from '../../policies/parameters';
import { PolicyConstraints } from '../../policies/policy-pack';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { EXPOSURE_WRITER, exposureFleet } from '../support/fleets';
import { gatorFailures, gatorVerify, type GatorCase } from '../support/gator';
import {
  AGENTS,
  CONTROLLER,
  HUMAN,
  attributed,
  exampleParameters,
  request,
  type KindRef,
} from '../support/reviews';

const SERVICE: KindRef = { group: '', version: 'v1', kind: 'Service', resource: 'services' };
const INGRESS: KindRef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  resource: 'ingresses',
};
const LEGACY_INGRESS: KindRef = {
  group: 'extensions',
  version: 'v1beta1',
  kind: 'Ingress',
  resource: 'ingresses',
};

const WRITER = EXPOSURE_WRITER;
const EXPOSURE_FLEET = defineFleet(exposureFleet());
const EXPOSURE_CONSTRAINTS = new PolicyConstraints(new App(), 'exposure', { fleet: EXPOSURE_FLEET });

type FleetName = 'example' | 'exposure';
const PARAMS: Record<FleetName, unknown> = {
  example: exampleParameters()['agent-exposure'],
  exposure: policyParameters(EXPOSURE_FLEET, 'agent-exposure'),
};
/** Every review evaluated here, with its WASM messages: gator must give the same at the end. */
const seen: Record<FleetName, GatorCase[]> = { example: [], exposure: [] };
/** The same reviews with the offline CEL evaluator's messages (joined ones as they come). */
const seenCel: Record<FleetName, GatorCase[]> = { example: [], exposure: [] };
const cel = new CelPackEvaluator(regoPack);

/** WASM's messages, after checking that the CEL gives the same once its joined messages are split. */
async function evaluate(review: Record<string, unknown>, fleet: FleetName = 'example'): Promise<string[]> {
  const found = messages(await regoPack.evaluate('agent-exposure', review, PARAMS[fleet]));
  const celFound = messages(await cel.evaluate('agent-exposure', review, PARAMS[fleet]));
  expect(celAsRego(celFound)).toEqual([...new Set(found)].sort());
  const name = `case-${seen[fleet].length}`;
  seen[fleet].push({ name, request: review, messages: found });
  seenCel[fleet].push({ name, request: review, messages: celFound });
  return found;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function service(spec: Obj = {}, name = 'web', namespace = 'shop'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: attributed(name, namespace),
    spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

function ingress(spec: Obj = {}, annotations: Record<string, string> = {}, namespace = 'shop'): Obj {
  const metadata = attributed('web', namespace) as Obj;
  metadata.annotations = { ...metadata.annotations, ...annotations };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      rules: [
        {
          host: 'web.shop.example',
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
      ...spec,
    },
  };
}

interface Write {
  readonly operation: 'CREATE' | 'UPDATE';
  readonly kind: KindRef;
  readonly object: Obj;
  readonly oldObject?: Obj;
  readonly user?: string;
  readonly namespace?: string;
  readonly subResource?: string;
}

function write({ operation, kind, object, oldObject, user, namespace, subResource }: Write) {
  const ns = namespace ?? 'shop';
  return request({
    operation,
    user: user ?? AGENTS.releaseBot,
    kind,
    namespace: ns,
    name: String(object.metadata.name),
    object,
    ...(subResource ? { subResource } : {}),
    ...(operation === 'UPDATE'
      ? {
          oldObject:
            oldObject ??
            (kind.kind === 'Service' ? service({}, object.metadata.name, ns) : ingress({}, {}, ns)),
        }
      : {}),
  });
}

const OPERATIONS = ['CREATE', 'UPDATE'] as const;
const PREFIX_SERVICE = '[AG203] agent release-bot may not write services shop/web: ';
const PREFIX_INGRESS = '[AG203] agent release-bot may not write ingresses.networking.k8s.io shop/web: ';
const FIELD = (field: string) => `spec.agents[release-bot].targets[shop].exposure.${field}`;

/** Service routes against the example fleet (release-bot: Service in shop, nothing exposed). */
const SERVICE_ROUTES: [route: string, spec: Obj, expected: string[]][] = [
  [
    'externalIPs on a ClusterIP (CVE-2020-8554)',
    { externalIPs: ['8.8.8.8'] },
    [
      'spec.externalIPs ["8.8.8.8"] may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it',
    ],
  ],
  [
    'type LoadBalancer',
    { type: 'LoadBalancer', loadBalancerSourceRanges: ['0.0.0.0/0'] },
    [
      `spec.loadBalancerSourceRanges "0.0.0.0/0" is not allowed: each range must be listed in ${FIELD('loadBalancerSourceRanges')} (allowed: none)`,
      `spec.type "LoadBalancer" is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
  [
    'type NodePort',
    { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
    [
      `spec.type "NodePort" is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
  [
    'type ExternalName',
    {
      type: 'ExternalName',
      externalName: 'collector.attacker.example',
      selector: undefined,
      ports: undefined,
    },
    [
      `spec.type "ExternalName" is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
  [
    'externalIPs that are not a list',
    { externalIPs: '8.8.8.8' },
    [
      'spec.externalIPs "8.8.8.8" may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it',
    ],
  ],
  [
    'externalIPs as a mapping',
    { externalIPs: { ip: '8.8.8.8' } },
    [
      'spec.externalIPs {"ip":"8.8.8.8"} may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it',
    ],
  ],
  [
    'a type that is not a string',
    { type: 5 },
    [
      `spec.type 5 is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
  [
    'a type that is a list',
    { type: ['LoadBalancer'] },
    [
      `spec.type ["LoadBalancer"] is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
  [
    'a type of the wrong case',
    { type: 'clusterip' },
    [
      `spec.type "clusterip" is not allowed: use ClusterIP or a type listed in ${FIELD('serviceTypes')} (allowed: none)`,
    ],
  ],
];

describe('AG203 on Services an agent writes', () => {
  describe.each(OPERATIONS)('%s', (operation) => {
    it.each(SERVICE_ROUTES)('%s is denied, naming the field', async (_route, spec, expected) => {
      const found = await evaluate(write({ operation, kind: SERVICE, object: service(spec) }));
      expect(found).toEqual(expected.map((m) => PREFIX_SERVICE + m).sort());
    });

    it('a plain ClusterIP Service, a headless one and one without a type pass', async () => {
      for (const spec of [
        {},
        { clusterIP: 'None' },
        { type: undefined },
        { type: null },
        { externalIPs: [] },
      ]) {
        expect(await evaluate(write({ operation, kind: SERVICE, object: service(spec) }))).toEqual([]);
      }
    });
  });

  it('checks the whole new object on UPDATE: externalIPs already there are still denied', async () => {
    const bad = service({ externalIPs: ['8.8.8.8'] });
    const relabelled = structuredClone(bad);
    relabelled.metadata.labels = { tier: 'front' };
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: SERVICE, object: relabelled, oldObject: bad })),
    ).toEqual([expect.stringContaining('spec.externalIPs ["8.8.8.8"] may not be set')]);
    // Removing them is allowed.
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: SERVICE, object: service(), oldObject: bad })),
    ).toEqual([]);
  });

  it('denies an agent writing Service status (a status.loadBalancer IP is routed like an external IP)', async () => {
    const object = service();
    object.status = { loadBalancer: { ingress: [{ ip: '8.8.8.8' }] } };
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: SERVICE, object, subResource: 'status' })),
    ).toEqual([
      `${PREFIX_SERVICE.replace('services shop', 'services/status shop')}status may not be written by an agent: the Service and Ingress controllers report it`,
    ]);
  });
});

/** Ingress annotations that must be denied, under several controllers' prefixes. */
const DENIED_ANNOTATIONS = [
  'nginx.ingress.kubernetes.io/configuration-snippet',
  'nginx.ingress.kubernetes.io/server-snippet',
  'nginx.ingress.kubernetes.io/auth-snippet',
  'nginx.ingress.kubernetes.io/modsecurity-snippet',
  'nginx.ingress.kubernetes.io/stream-snippet',
  'nginx.org/server-snippets',
  'nginx.org/location-snippets',
  'haproxy.org/backend-config-snippet',
  'ingress.kubernetes.io/configuration-snippet',
  'custom.ingress.example/Server-Snippet',
  'configuration-snippet',
  'nginx.ingress.kubernetes.io/auth-url',
  'nginx.ingress.kubernetes.io/auth-signin',
  'nginx.ingress.kubernetes.io/auth-proxy-set-headers',
  'nginx.ingress.kubernetes.io/auth-secret',
  'nginx.ingress.kubernetes.io/auth-tls-secret',
  'nginx.ingress.kubernetes.io/auth-tls-match-cn',
  'nginx.ingress.kubernetes.io/proxy-ssl-secret',
  'nginx.ingress.kubernetes.io/custom-headers',
  'nginx.ingress.kubernetes.io/mirror-target',
  'nginx.ingress.kubernetes.io/mirror-uri',
  'nginx.ingress.kubernetes.io/mirror-host',
  'nginx.ingress.kubernetes.io/default-backend',
  'nginx.ingress.kubernetes.io/server-alias',
  'other-controller.example/auth-url',
];

/** Annotations an Ingress commonly carries that do nothing of the sort. */
const HARMLESS_ANNOTATIONS: Record<string, string> = {
  'nginx.ingress.kubernetes.io/rewrite-target': '/',
  'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
  'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
  'cert-manager.io/cluster-issuer': 'letsencrypt',
  'agentguard.dev/notes': 'no configuration-snippet here',
  'nginx.ingress.kubernetes.io/snippet-free-zone': 'true',
};

const annotationMessage = (key: string) =>
  `metadata.annotations["${key}"] is not allowed: it has the ingress controller, which reads every Secret of the cluster, run configuration or send requests elsewhere; no fleet field allows it`;

describe('AG203 on Ingresses an agent writes', () => {
  describe.each(OPERATIONS)('%s', (operation) => {
    it.each(DENIED_ANNOTATIONS)('annotation %s is denied', async (key) => {
      const object = ingress({}, { [key]: 'return 200 "owned";' });
      expect(await evaluate(write({ operation, kind: INGRESS, object }))).toEqual([
        PREFIX_INGRESS + annotationMessage(key),
      ]);
    });

    it('an Ingress with ordinary annotations, no TLS Secret and no class passes', async () => {
      expect(
        await evaluate(write({ operation, kind: INGRESS, object: ingress({}, HARMLESS_ANNOTATIONS) })),
      ).toEqual([]);
    });

    it('a TLS Secret the target does not list is denied; a tls entry without one passes', async () => {
      const object = ingress({
        tls: [
          { hosts: ['web.shop.example'], secretName: 'payments-tls' },
          { hosts: ['default-cert.shop.example'] },
        ],
      });
      expect(await evaluate(write({ operation, kind: INGRESS, object }))).toEqual([
        `${PREFIX_INGRESS}spec.tls[].secretName "payments-tls" is not allowed: the ingress controller serves that Secret's certificate and key; list it in ${FIELD('tlsSecrets')} (allowed: none)`,
      ]);
    });

    it('spec.tls that is not a list is denied', async () => {
      const object = ingress({ tls: 'payments-tls' });
      expect(await evaluate(write({ operation, kind: INGRESS, object }))).toEqual([
        `${PREFIX_INGRESS}spec.tls must be a list`,
      ]);
    });

    it('a defaultBackend is denied unless the target allows it, and never a resource backend', async () => {
      const object = ingress({
        defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } },
      });
      object.spec.rules[0].http.paths[0].backend = {
        resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' },
      };
      expect(await evaluate(write({ operation, kind: INGRESS, object }))).toEqual([
        `${PREFIX_INGRESS}spec.defaultBackend may not be set: it takes every request no rule matches; set ${FIELD('defaultBackend')}: true to allow it`,
        `${PREFIX_INGRESS}spec.defaultBackend.resource may not be set: the backends of an Ingress an agent writes are Services`,
        `${PREFIX_INGRESS}spec.rules[].http.paths[].backend.resource may not be set: the backends of an Ingress an agent writes are Services`,
      ]);
    });

    it('the extensions/v1beta1 spec.backend is a default backend too', async () => {
      const object = ingress({ backend: { serviceName: 'web', servicePort: 80 } });
      object.apiVersion = 'extensions/v1beta1';
      expect(await evaluate(write({ operation, kind: LEGACY_INGRESS, object }))).toEqual([
        `[AG203] agent release-bot may not write ingresses.extensions shop/web: spec.backend may not be set: it takes every request no rule matches; set ${FIELD('defaultBackend')}: true to allow it`,
      ]);
    });
  });

  it('checks the whole new object on UPDATE: a snippet already there is still denied', async () => {
    const bad = ingress({}, { 'nginx.ingress.kubernetes.io/server-snippet': 'location /x { }' });
    const changed = structuredClone(bad);
    changed.spec.rules[0].host = 'www.shop.example';
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: INGRESS, object: changed, oldObject: bad })),
    ).toEqual([PREFIX_INGRESS + annotationMessage('nginx.ingress.kubernetes.io/server-snippet')]);
  });

  it('denies an agent writing Ingress status', async () => {
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: INGRESS, object: ingress(), subResource: 'status' })),
    ).toEqual([
      `${PREFIX_INGRESS.replace('ingresses.networking.k8s.io shop', 'ingresses.networking.k8s.io/status shop')}status may not be written by an agent: the Service and Ingress controllers report it`,
    ]);
  });
});

describe('AG203 with a target that allows some exposure (fleet → parameters → policy)', () => {
  const W = '[AG203] agent writer may not write';
  const field = (ns: string, f: string) => `spec.agents[writer].targets[${ns}].exposure.${f}`;
  const as = (w: Omit<Write, 'user'>) => write({ ...w, user: WRITER });

  describe.each(OPERATIONS)('%s', (operation) => {
    it('allows exactly what the target lists', async () => {
      for (const object of [
        service({ type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/24'] }),
        service({ type: 'ExternalName', externalName: 'api.partner.example', selector: undefined }),
        ingress({ ingressClassName: 'nginx', tls: [{ secretName: 'web-tls' }] }),
        ingress(
          { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
          { 'kubernetes.io/ingress.class': 'nginx' },
        ),
      ]) {
        const kind = object.kind === 'Service' ? SERVICE : INGRESS;
        expect(await evaluate(as({ operation, kind, object }), 'exposure')).toEqual([]);
      }
    });

    it('denies a LoadBalancer without source ranges, or with ranges not listed', async () => {
      expect(
        await evaluate(
          as({ operation, kind: SERVICE, object: service({ type: 'LoadBalancer' }) }),
          'exposure',
        ),
      ).toEqual([
        `${W} services shop/web: spec.loadBalancerSourceRanges must list the clients a LoadBalancer admits, each one of ${field('shop', 'loadBalancerSourceRanges')} (allowed: 203.0.113.0/24); without it the whole internet reaches the pods`,
      ]);
      const open = service({
        type: 'LoadBalancer',
        loadBalancerSourceRanges: ['203.0.113.0/24', '0.0.0.0/0'],
      });
      expect(await evaluate(as({ operation, kind: SERVICE, object: open }), 'exposure')).toEqual([
        `${W} services shop/web: spec.loadBalancerSourceRanges "0.0.0.0/0" is not allowed: each range must be listed in ${field('shop', 'loadBalancerSourceRanges')} (allowed: 203.0.113.0/24)`,
      ]);
      const malformed = service({ type: 'LoadBalancer', loadBalancerSourceRanges: '203.0.113.0/24' });
      expect(await evaluate(as({ operation, kind: SERVICE, object: malformed }), 'exposure')).toEqual([
        expect.stringContaining('spec.loadBalancerSourceRanges must list the clients a LoadBalancer admits'),
      ]);
    });

    it('still denies externalIPs and NodePort, which no allowance covers here', async () => {
      const object = service({ type: 'NodePort', externalIPs: ['10.0.0.1'] });
      expect(await evaluate(as({ operation, kind: SERVICE, object }), 'exposure')).toEqual([
        `${W} services shop/web: spec.externalIPs ["10.0.0.1"] may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it`,
        `${W} services shop/web: spec.type "NodePort" is not allowed: use ClusterIP or a type listed in ${field('shop', 'serviceTypes')} (allowed: ExternalName, LoadBalancer)`,
      ]);
    });

    it('denies an IngressClass not listed, by field or annotation, and an Ingress that names none', async () => {
      const other = ingress({ ingressClassName: 'public' }, { 'kubernetes.io/ingress.class': 'internet' });
      expect(await evaluate(as({ operation, kind: INGRESS, object: other }), 'exposure')).toEqual([
        `${W} ingresses.networking.k8s.io shop/web: metadata.annotations["kubernetes.io/ingress.class"] "internet" is not allowed: use an IngressClass listed in ${field('shop', 'ingressClasses')} (allowed: nginx)`,
        `${W} ingresses.networking.k8s.io shop/web: spec.ingressClassName "public" is not allowed: use an IngressClass listed in ${field('shop', 'ingressClasses')} (allowed: nginx)`,
      ]);
      expect(await evaluate(as({ operation, kind: INGRESS, object: ingress() }), 'exposure')).toEqual([
        `${W} ingresses.networking.k8s.io shop/web: spec.ingressClassName must be set: the cluster's default class may be one the fleet did not list in ${field('shop', 'ingressClasses')} (allowed: nginx)`,
      ]);
      const numeric = ingress({ ingressClassName: 7 });
      expect(await evaluate(as({ operation, kind: INGRESS, object: numeric }), 'exposure')).toEqual([
        expect.stringContaining('spec.ingressClassName 7 is not allowed'),
      ]);
    });

    it('does not carry one target’s allowance to another target or namespace', async () => {
      for (const ns of ['catalog', 'payments']) {
        const lb = service({ type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/24'] }, 'web', ns);
        expect(
          await evaluate(as({ operation, kind: SERVICE, object: lb, namespace: ns }), 'exposure'),
        ).toEqual([
          `${W} services ${ns}/web: spec.loadBalancerSourceRanges "203.0.113.0/24" is not allowed: each range must be listed in ${field(ns, 'loadBalancerSourceRanges')} (allowed: none)`,
          `${W} services ${ns}/web: spec.type "LoadBalancer" is not allowed: use ClusterIP or a type listed in ${field(ns, 'serviceTypes')} (allowed: none)`,
        ]);
        const tls = ingress({ tls: [{ secretName: 'web-tls' }] }, {}, ns);
        expect(
          await evaluate(as({ operation, kind: INGRESS, object: tls, namespace: ns }), 'exposure'),
        ).toEqual([
          `${W} ingresses.networking.k8s.io ${ns}/web: spec.tls[].secretName "web-tls" is not allowed: the ingress controller serves that Secret's certificate and key; list it in ${field(ns, 'tlsSecrets')} (allowed: none)`,
        ]);
      }
    });
  });
});

describe('AG203 scope', () => {
  const worst = (): Write[] => [
    {
      operation: 'CREATE',
      kind: SERVICE,
      object: service({ type: 'LoadBalancer', externalIPs: ['8.8.8.8'] }),
    },
    {
      operation: 'UPDATE',
      kind: INGRESS,
      object: ingress(
        {
          tls: [{ secretName: 'payments-tls' }],
          defaultBackend: { service: { name: 'x', port: { number: 1 } } },
        },
        {
          'nginx.ingress.kubernetes.io/configuration-snippet': 'x',
          'nginx.ingress.kubernetes.io/auth-url': 'http://x',
        },
      ),
    },
  ];

  it('leaves people and controllers alone (their own RBAC applies)', async () => {
    for (const user of [HUMAN, CONTROLLER, 'system:serviceaccount:agents-release:release-bot-2']) {
      for (const w of worst()) expect(await evaluate(write({ ...w, user }))).toEqual([]);
    }
  });

  it('holds every agent identity of the fleet, in any namespace, not only release-bot in shop', async () => {
    for (const [user, ns] of [
      [AGENTS.releaseBot, 'payments'],
      [AGENTS.batchScaler, 'batch'],
      [AGENTS.incidentTriage, 'kube-system'],
    ]) {
      const object = service({ externalIPs: ['8.8.8.8'] }, 'web', ns);
      expect(
        await evaluate(write({ operation: 'CREATE', kind: SERVICE, object, user, namespace: ns })),
      ).toEqual([expect.stringContaining(`services ${ns}/web: spec.externalIPs ["8.8.8.8"] may not be set`)]);
    }
  });

  it('lets a DELETE through (AG101 and RBAC own deletes)', async () => {
    for (const [kind, oldObject] of [
      [SERVICE, service({ externalIPs: ['8.8.8.8'] })],
      [INGRESS, ingress({}, { 'nginx.ingress.kubernetes.io/server-snippet': 'x' })],
    ] as const) {
      const del = request({
        operation: 'DELETE',
        user: AGENTS.releaseBot,
        kind,
        namespace: 'shop',
        name: 'web',
        oldObject,
      });
      expect(await evaluate(del)).toEqual([]);
    }
  });

  it('looks only at Services and Ingresses, by the kind the API server routed', async () => {
    const configMap: KindRef = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps' };
    const looksLikeService = service({ externalIPs: ['8.8.8.8'] });
    expect(await evaluate(write({ operation: 'CREATE', kind: configMap, object: looksLikeService }))).toEqual(
      [],
    );
    const snippetConfig = ingress({}, { 'nginx.ingress.kubernetes.io/server-snippet': 'x' });
    expect(await evaluate(write({ operation: 'CREATE', kind: configMap, object: snippetConfig }))).toEqual(
      [],
    );
    // Annotations on a Service are a cloud load balancer's business, not an ingress controller's.
    const annotated = service();
    annotated.metadata.annotations['nginx.ingress.kubernetes.io/server-snippet'] = 'x';
    expect(await evaluate(write({ operation: 'CREATE', kind: SERVICE, object: annotated }))).toEqual([]);
  });
});

describe('AG203 on malformed and unusual objects (what the CEL spells out by hand)', () => {
  const create = (kind: KindRef, object: Obj) => write({ operation: 'CREATE', kind, object });

  it('renders any value as ag.quote does: strings quoted, the rest as JSON', async () => {
    for (const [spec, shown] of [
      [{ externalIPs: [1, true, null, 2.5, 'x', -3] }, 'spec.externalIPs [1,true,null,2.5,"x",-3]'],
      [{ externalIPs: false }, 'spec.externalIPs false'],
      [{ externalIPs: {} }, 'spec.externalIPs {}'],
      [{ externalIPs: ['a"b\\c'] }, 'spec.externalIPs ["a\\"b\\\\c"]'],
      [{ type: 1.5 }, 'spec.type 1.5'],
      [{ type: {} }, 'spec.type {}'],
    ] as const) {
      expect(await evaluate(create(SERVICE, service(spec)))).toEqual([
        expect.stringContaining(`${PREFIX_SERVICE}${shown} `),
      ]);
    }
  });

  it('a LoadBalancer: null ranges are none; each range not listed is named once, whatever its type', async () => {
    expect(
      await evaluate(create(SERVICE, service({ type: 'LoadBalancer', loadBalancerSourceRanges: null }))),
    ).toEqual([
      expect.stringContaining('spec.loadBalancerSourceRanges must list the clients'),
      expect.stringContaining('spec.type "LoadBalancer" is not allowed'),
    ]);
    const ranges = ['0.0.0.0/0', '0.0.0.0/0', 5, '198.51.100.0/24'];
    expect(
      await evaluate(create(SERVICE, service({ type: 'LoadBalancer', loadBalancerSourceRanges: ranges }))),
    ).toEqual([
      expect.stringContaining('spec.loadBalancerSourceRanges "0.0.0.0/0" is not allowed'),
      expect.stringContaining('spec.loadBalancerSourceRanges "198.51.100.0/24" is not allowed'),
      expect.stringContaining('spec.loadBalancerSourceRanges 5 is not allowed'),
      expect.stringContaining('spec.type "LoadBalancer" is not allowed'),
    ]);
  });

  it('matches annotation names as Rego’s lower() does, Unicode included, and names each one', async () => {
    const annotations = {
      'x.example/auth-s\u0130gnin': 'a',
      'x.example/SN\u0130PPET': 'b',
      'x.example/\u212Aey': 'c',
      'a/b/Mirror-Host': 'd',
      'x.example/\u00fc-snippet': 'e',
      'x.example/': 'f',
      'nginx.ingress.kubernetes.io/configuration-snippet': 'g',
    };
    expect(await evaluate(create(INGRESS, ingress({}, annotations)))).toEqual(
      [
        'a/b/Mirror-Host',
        'nginx.ingress.kubernetes.io/configuration-snippet',
        'x.example/SN\u0130PPET',
        'x.example/auth-s\u0130gnin',
        'x.example/\u00fc-snippet',
      ].map((k) => PREFIX_INGRESS + annotationMessage(k)),
    );
    const listed = ingress();
    listed.metadata.annotations = ['nginx.ingress.kubernetes.io/server-snippet'];
    expect(await evaluate(create(INGRESS, listed))).toEqual([]);
  });

  it('reads tls, rules and paths that are maps as Rego’s `some … in` does, and skips entries that are not objects', async () => {
    const tlsMap = ingress({ tls: { a: { secretName: 'payments-tls' }, b: 'x', c: { secretName: null } } });
    expect(await evaluate(create(INGRESS, tlsMap))).toEqual([
      `${PREFIX_INGRESS}spec.tls must be a list`,
      expect.stringContaining('spec.tls[].secretName "payments-tls" is not allowed'),
    ]);
    const tlsList = ingress({
      tls: [{ secretName: 'p' }, { secretName: 'p' }, { secretName: 3 }, { secretName: '' }, 'x'],
    });
    expect(await evaluate(create(INGRESS, tlsList))).toEqual([
      expect.stringContaining('spec.tls[].secretName "p" is not allowed'),
      expect.stringContaining('spec.tls[].secretName 3 is not allowed'),
    ]);
    const rulesMap = ingress({ rules: { a: { http: { paths: { x: { backend: { resource: {} } } } } } } });
    expect(await evaluate(create(INGRESS, rulesMap))).toEqual([
      expect.stringContaining('spec.rules[].http.paths[].backend.resource may not be set'),
    ]);
    const oddRules = ingress({
      tls: null,
      defaultBackend: null,
      rules: [
        { http: { paths: [{ backend: { resource: null } }, { backend: 'x' }, 'y'] } },
        'z',
        { http: null },
      ],
    });
    expect(await evaluate(create(INGRESS, oddRules))).toEqual([]);
    const notAnObject = ingress();
    notAnObject.spec = [{ tls: 'x', externalIPs: ['8.8.8.8'] }];
    expect(await evaluate(create(INGRESS, notAnObject))).toEqual([]);
  });

  it('an extensions/v1beta1 status write with a resource backend: every problem, status first among equals', async () => {
    const object = ingress({ backend: { resource: { kind: 'StorageBucket', name: 'x' } } });
    object.apiVersion = 'extensions/v1beta1';
    expect(
      await evaluate(write({ operation: 'UPDATE', kind: LEGACY_INGRESS, object, subResource: 'status' })),
    ).toEqual(
      [
        'spec.backend may not be set',
        'spec.backend.resource may not be set',
        'status may not be written by an agent',
      ].map((m) =>
        expect.stringContaining(
          `[AG203] agent release-bot may not write ingresses.extensions/status shop/web: ${m}`,
        ),
      ),
    );
  });

  it('a Service without a name yet, or without a namespace, is named as the Rego names it', async () => {
    const nameless = request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: SERVICE,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { generateName: 'web-' },
        spec: { type: 'NodePort' },
      },
    });
    expect(await evaluate(nameless)).toEqual([
      `[AG203] agent release-bot may not write services web-*: spec.type "NodePort" is not allowed: use ClusterIP or a type listed in spec.agents[release-bot].targets[].exposure.serviceTypes (allowed: none)`,
    ]);
  });

  it('with IngressClasses listed, an ingress.class annotation whose value is null is a class not listed', async () => {
    const object = ingress({}, {});
    object.metadata.annotations['kubernetes.io/ingress.class'] = null;
    expect(
      await evaluate(write({ operation: 'CREATE', kind: INGRESS, object, user: WRITER }), 'exposure'),
    ).toEqual([
      expect.stringContaining(
        'metadata.annotations["kubernetes.io/ingress.class"] null is not allowed: use an IngressClass listed in',
      ),
    ]);
  });
});

describe('json.marshal as Gatekeeper (Go) writes it, which the CEL follows and opa-wasm does not', () => {
  // Gatekeeper's OPA sorts object keys and escapes <, > and & (Go's encoding/json); opa-wasm, which
  // `agentguard check` runs, does neither. A malformed Service only: the API server accepts neither
  // value in spec.externalIPs, so only gator and `check` ever see one.
  const cases = (): GatorCase[] =>
    [
      [{ externalIPs: { b: 1, a: 'x', c: null } }, '{"a":"x","b":1,"c":null}'],
      [{ externalIPs: ['x<y>&z', 'tab\there'] }, '["x\\u003cy\\u003e\\u0026z","tab\\there"]'],
    ].map(([spec, shown], i) => ({
      name: `go-json-${i}`,
      request: write({ operation: 'CREATE', kind: SERVICE, object: service(spec as Obj) }),
      messages: [
        `${PREFIX_SERVICE}spec.externalIPs ${shown as string} may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it`,
      ],
    }));

  it('the offline CEL gives Go’s text', async () => {
    for (const c of cases())
      expect(messages(await cel.evaluate('agent-exposure', c.request, PARAMS.example))).toEqual(c.messages);
  });

  it.each(['rego', 'cel'] as const)('gator (%s) gives the same', (engine) => {
    const run = gatorVerify(new Map([['agent-exposure', cases()]]), undefined, engine);
    expect(gatorFailures(run, /FAIL/)).toEqual([]);
    expect(run.status).toBe(0);
  });
});

describe('gator (the real Gatekeeper engine) agrees on every review above', () => {
  const fleetOf = (fleet: FleetName) =>
    fleet === 'example' ? undefined : { name: 'exposure', constraints: EXPOSURE_CONSTRAINTS };

  it.each(['example', 'exposure'] as const)('%s fleet, its Rego with WASM', (fleet) => {
    expect(seen[fleet].length).toBeGreaterThan(10);
    const run = gatorVerify(new Map([['agent-exposure', seen[fleet]]]), fleetOf(fleet));
    expect(gatorFailures(run, /FAIL/)).toEqual([]);
    expect(run.status).toBe(0);
  });

  it.each(['example', 'exposure'] as const)(
    '%s fleet, its CEL (what Gatekeeper runs) with the offline CEL, joined messages and all',
    (fleet) => {
      expect(seenCel[fleet].some((c) => c.messages.some((m) => m.includes('; [AG203] ')))).toBe(
        fleet === 'example',
      );
      const run = gatorVerify(new Map([['agent-exposure', seenCel[fleet]]]), fleetOf(fleet), 'cel');
      expect(gatorFailures(run, /FAIL/)).toEqual([]);
      expect(run.status).toBe(0);
    },
  );
});
