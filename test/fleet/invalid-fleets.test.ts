/**
 * Invalid fleets: each case asserts the exact list of errors (path and message), so a loader that
 * stops at the first error, loses a path, or swallows a typo fails here.
 */
import { validateFleet } from '../../lib/fleet/validate';
import { DIGEST, mutated } from '../support/fleets';

type Case = [title: string, fleet: unknown, expected: Array<[path: string, message: string]>];

const PHASES = 'shadow, advisory, supervised, autonomous';
const KINDS =
  'ConfigMap, CronJob, Deployment, HorizontalPodAutoscaler, Ingress, Job, PersistentVolumeClaim, Pod, PodDisruptionBudget, ReplicaSet, Service, StatefulSet';

const cases: Case[] = [
  ['not a mapping', 'just a string', [['(root)', '"just a string" is not a mapping']]],
  [
    'wrong apiVersion and kind',
    mutated((f) => {
      f.apiVersion = 'v1';
      f.kind = 'Fleet';
    }),
    [
      ['apiVersion', '"v1" must be "agentguard.dev/v1alpha1"'],
      ['kind', '"Fleet" must be "AgentFleet"'],
    ],
  ],
  ['missing metadata', mutated((f) => delete f.metadata), [['metadata', 'is required (a mapping)']]],
  ['no agents', mutated((f) => (f.spec.agents = [])), [['spec.agents', 'must list at least 1 item']]],
  [
    'unknown admission engine',
    mutated((f) => (f.spec.engine = 'kyverno')),
    [['spec.engine', '"kyverno" is not one of gatekeeper, vap, both']],
  ],
  [
    'misspelled phase',
    mutated((f) => (f.spec.agents[2].phase = 'autonmous')),
    [['spec.agents[2].phase', `"autonmous" is not one of ${PHASES}`]],
  ],
  [
    'unknown key with a near miss',
    mutated((f) => {
      f.spec.agents[0].imagee = f.spec.agents[0].image;
    }),
    [['spec.agents[0].imagee', 'unknown key; did you mean "image"?']],
  ],
  [
    'unknown key without a near miss',
    mutated((f) => (f.spec.agents[0].vault = { secrets: [], colour: 'red' })),
    [['spec.agents[0].vault.colour', 'unknown key; allowed keys: maxTtl, secrets, ttl']],
  ],
  [
    'unknown top-level spec key',
    mutated((f) => (f.spec.agentz = [])),
    [['spec.agentz', 'unknown key; did you mean "agents"?']],
  ],
  [
    'missing image',
    mutated((f) => delete f.spec.agents[1].image),
    [['spec.agents[1].image', 'is required (a string)']],
  ],
  [
    'tag-only image',
    mutated((f) => (f.spec.agents[0].image = 'registry.example.com/agents/reader:1.4.2')),
    [
      [
        'spec.agents[0].image',
        '"registry.example.com/agents/reader:1.4.2" is not pinned by digest; pin it (image@sha256:<digest>) or add "registry.example.com" to spec.imagePolicy.allowTagsFrom',
      ],
    ],
  ],
  [
    'Docker Hub image without tag or digest',
    mutated((f) => (f.spec.agents[0].image = 'busybox')),
    [
      [
        'spec.agents[0].image',
        '"busybox" is not pinned by digest; pin it (image@sha256:<digest>) or add "docker.io" to spec.imagePolicy.allowTagsFrom',
      ],
    ],
  ],
  [
    'malformed image reference',
    mutated((f) => (f.spec.agents[0].image = 'Registry/App@sha256:xyz')),
    [
      [
        'spec.agents[0].image',
        '"Registry/App@sha256:xyz" must be an image reference such as registry.example.com/team/app@sha256:<64 hex>',
      ],
    ],
  ],
  [
    'bad agent name',
    mutated((f) => (f.spec.agents[0].name = 'Reader_1')),
    [
      [
        'spec.agents[0].name',
        '"Reader_1" must be a lowercase RFC 1123 label (a-z, 0-9, \'-\'), naming the agent',
      ],
    ],
  ],
  [
    'duplicate agent names',
    mutated((f) => (f.spec.agents[2].name = 'reader')),
    [['spec.agents[2].name', '"reader" is already the name of spec.agents[0]; agent names must be unique']],
  ],
  [
    'target namespace equal to its own',
    mutated((f) => (f.spec.agents[1].targets[0].namespace = 'agents-writer')),
    [
      [
        'spec.agents[1].targets[0].namespace',
        '"agents-writer" is the agent\'s own namespace; an agent may not manage its own guardrails (I2, see docs/design.md#i2)',
      ],
    ],
  ],
  [
    'target namespace of another agent',
    mutated((f) => (f.spec.agents[1].targets[0].namespace = 'agents-batch')),
    [
      [
        'spec.agents[1].targets[0].namespace',
        '"agents-batch" is the namespace of agent "batch"; agents may not act in agent namespaces (I2, see docs/design.md#i2)',
      ],
    ],
  ],
  [
    'agent in kube-system',
    mutated((f) => (f.spec.agents[0].namespace = 'kube-system')),
    [
      [
        'spec.agents[0].namespace',
        '"kube-system" is reserved (system, Gatekeeper or Vault); run the agent in a namespace of its own',
      ],
    ],
  ],
  [
    'target in the Vault namespace',
    mutated((f) => (f.spec.agents[0].targets[0].namespace = 'vault')),
    [
      [
        'spec.agents[0].targets[0].namespace',
        '"vault" is reserved (system, Gatekeeper or Vault); agents may not act there',
      ],
    ],
  ],
  [
    'agent in the kill-switch runners namespace',
    mutated((f) => {
      f.spec.killSwitch = { namespace: 'stop-buttons' };
      f.spec.agents[0].namespace = 'stop-buttons';
    }),
    [
      [
        'spec.agents[0].namespace',
        `"stop-buttons" is the kill-switch runners' namespace (spec.killSwitch.namespace); an agent must not reach its own stop button (I2, see docs/design.md#i2), so pick another namespace`,
      ],
    ],
  ],
  [
    'target in the default kill-switch runners namespace',
    mutated((f) => (f.spec.agents[1].targets[0].namespace = 'agentguard-system')),
    [
      [
        'spec.agents[1].targets[0].namespace',
        `"agentguard-system" is the kill-switch runners' namespace (spec.killSwitch.namespace); an agent must not reach its own stop button (I2, see docs/design.md#i2), so pick another namespace`,
      ],
    ],
  ],
  [
    'kill-switch runner image by tag, even from an allowed registry',
    mutated((f) => {
      f.spec.imagePolicy = { allowTagsFrom: ['registry.example.com'] };
      f.spec.killSwitch = { runnerImage: 'registry.example.com/tools/kubectl:1.28' };
    }),
    [
      [
        'spec.killSwitch.runnerImage',
        '"registry.example.com/tools/kubectl:1.28" must be pinned by digest (image@sha256:<64 hex>), whatever spec.imagePolicy allows: the runner can stop every agent, so it never runs a tag that can move; pin the digest your registry reports',
      ],
    ],
  ],
  [
    'same target twice',
    mutated((f) => f.spec.agents[0].targets.push({ namespace: 'shop', kinds: ['ConfigMap'] })),
    [
      [
        'spec.agents[0].targets[1].namespace',
        '"shop" is already listed in targets[0]; merge the two entries',
      ],
    ],
  ],
  [
    'unknown kind and a guardrail kind',
    mutated((f) => (f.spec.agents[1].targets[0].kinds = ['Deploymnt', 'Secret'])),
    [
      ['spec.agents[1].targets[0].kinds[0]', `"Deploymnt" is not one of ${KINDS}`],
      [
        'spec.agents[1].targets[0].kinds[1]',
        '"Secret" is a guardrail kind that no agent may be given (I2, see docs/design.md#i2)',
      ],
    ],
  ],
  [
    'delete by a supervised agent',
    mutated((f) => (f.spec.agents[1].targets[0].deleteKinds = ['ConfigMap'])),
    [
      [
        'spec.agents[1].targets[0].deleteKinds',
        'only autonomous agents may delete (phase is supervised); remove deleteKinds or promote the agent',
      ],
    ],
  ],
  [
    'pod allowances where the agent writes no pods, and default listed',
    mutated((f) => {
      f.spec.agents[1].targets[0] = {
        namespace: 'shop',
        kinds: ['ConfigMap', 'Service'],
        pods: { secrets: ['db'], serviceAccounts: ['default'] },
      };
    }),
    [
      [
        'spec.agents[1].targets[0].pods.serviceAccounts[0]',
        '"default" is always allowed; list only the other ServiceAccounts pods may use',
      ],
      [
        'spec.agents[1].targets[0].pods',
        'has no effect: none of kinds (ConfigMap, Service) runs pods; remove pods.serviceAccounts, pods.secrets or add a workload kind such as Deployment',
      ],
    ],
  ],
  [
    'malformed pod allowances',
    mutated((f) => {
      f.spec.agents[1].targets[0].pods = {
        registries: ['https://registry.example.com'],
        secrets: ['Payments_DB'],
        sercets: [],
      };
    }),
    [
      [
        'spec.agents[1].targets[0].pods.registries[0]',
        '"https://registry.example.com" must be a registry such as registry.example.com/team',
      ],
      [
        'spec.agents[1].targets[0].pods.secrets[0]',
        '"Payments_DB" must be a Kubernetes object name (RFC 1123 subdomain) of a Secret',
      ],
      ['spec.agents[1].targets[0].pods.sercets', 'unknown key; did you mean "secrets"?'],
    ],
  ],
  [
    'malformed exposure allowances (AG203)',
    mutated((f) => {
      f.spec.agents[1].targets[0].kinds.push('Service', 'Ingress');
      f.spec.agents[1].targets[0].exposure = {
        serviceTypes: ['ClusterIP', 'Nodeport'],
        loadBalancerSourceRanges: ['0.0.0.0'],
        ingressClasses: ['Nginx'],
        tlsSecrets: ['Web_TLS'],
        defaultBackend: 'yes',
        externalIPs: ['8.8.8.8'],
      };
    }),
    [
      [
        'spec.agents[1].targets[0].exposure.serviceTypes[0]',
        '"ClusterIP" is not one of NodePort, LoadBalancer, ExternalName',
      ],
      [
        'spec.agents[1].targets[0].exposure.serviceTypes[1]',
        '"Nodeport" is not one of NodePort, LoadBalancer, ExternalName',
      ],
      [
        'spec.agents[1].targets[0].exposure.loadBalancerSourceRanges[0]',
        '"0.0.0.0" must be an IPv4 CIDR such as 203.0.113.0/24',
      ],
      [
        'spec.agents[1].targets[0].exposure.ingressClasses[0]',
        '"Nginx" must be a Kubernetes object name (RFC 1123 subdomain) of an IngressClass',
      ],
      [
        'spec.agents[1].targets[0].exposure.tlsSecrets[0]',
        '"Web_TLS" must be a Kubernetes object name (RFC 1123 subdomain) of a Secret',
      ],
      ['spec.agents[1].targets[0].exposure.defaultBackend', '"yes" is not true or false'],
      [
        'spec.agents[1].targets[0].exposure.externalIPs',
        'unknown key; allowed keys: defaultBackend, ingressClasses, loadBalancerSourceRanges, serviceTypes, tlsSecrets',
      ],
    ],
  ],
  [
    'LoadBalancer source ranges without LoadBalancer in serviceTypes (AG203)',
    mutated((f) => {
      f.spec.agents[1].targets[0].exposure = {
        serviceTypes: ['NodePort'],
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        ingressClasses: ['nginx'],
        tlsSecrets: ['web-tls'],
        defaultBackend: true,
      };
    }),
    [
      [
        'spec.agents[1].targets[0].exposure.loadBalancerSourceRanges',
        'only means something with LoadBalancer in serviceTypes; add it there or remove the ranges',
      ],
    ],
  ],
  [
    'exposure allowances without the kinds they widen (AG203)',
    mutated((f) => {
      f.spec.agents[1].targets[0].exposure = {
        serviceTypes: ['LoadBalancer'],
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        ingressClasses: ['nginx'],
        tlsSecrets: ['web-tls'],
        defaultBackend: true,
      };
    }),
    [
      [
        'spec.agents[1].targets[0].exposure.serviceTypes',
        'has no effect: kinds (Deployment, ConfigMap) has no Service; remove exposure.serviceTypes or add Service to kinds',
      ],
      [
        'spec.agents[1].targets[0].exposure.loadBalancerSourceRanges',
        'has no effect: kinds (Deployment, ConfigMap) has no Service; remove exposure.loadBalancerSourceRanges or add Service to kinds',
      ],
      [
        'spec.agents[1].targets[0].exposure.ingressClasses',
        'has no effect: kinds (Deployment, ConfigMap) has no Ingress; remove exposure.ingressClasses or add Ingress to kinds',
      ],
      [
        'spec.agents[1].targets[0].exposure.tlsSecrets',
        'has no effect: kinds (Deployment, ConfigMap) has no Ingress; remove exposure.tlsSecrets or add Ingress to kinds',
      ],
      [
        'spec.agents[1].targets[0].exposure.defaultBackend',
        'has no effect: kinds (Deployment, ConfigMap) has no Ingress; remove exposure.defaultBackend or add Ingress to kinds',
      ],
    ],
  ],
  [
    'AG203 relaxed to warn (network exposure is always deny)',
    mutated((f) => {
      f.spec.enforcement = { action: 'deny', policies: { AG203: 'warn' } };
    }),
    [
      [
        'spec.enforcement.policies.AG203',
        '"warn": network exposure an agent writes (AG203) is always deny; a Service or Ingress that is only reported already takes over traffic, exposes pods or runs configuration in the ingress controller (I2, see docs/design.md#i2)',
      ],
    ],
  ],
  [
    'AG203 exempted (network exposure is never exempted)',
    mutated((f) => {
      f.spec.exemptions = [
        {
          policies: ['AG203'],
          namespaces: ['shop'],
          reason: 'legacy ingress',
          approvedBy: 'alice@example.com',
        },
      ];
    }),
    [
      [
        'spec.exemptions[0].policies[0]',
        '"AG203" (network exposure an agent writes) cannot be exempted: the agent could then take over traffic to any IP, expose pods outside the cluster or run configuration in the ingress controller there (I2, see docs/design.md#i2); list what may be exposed in targets[].exposure instead',
      ],
    ],
  ],
  [
    'delete of a kind not in kinds',
    mutated((f) => (f.spec.agents[2].targets[0].deleteKinds = ['Job', 'Deployment'])),
    [
      [
        'spec.agents[2].targets[0].deleteKinds[1]',
        '"Deployment" is not in kinds of this target; list it in kinds too',
      ],
    ],
  ],
  [
    'TTL above max TTL',
    mutated((f) => (f.spec.agents[1].vault.ttl = '90m')),
    [['spec.agents[1].vault.ttl', '"1h30m" is above maxTtl "1h"; lower ttl or raise maxTtl']],
  ],
  [
    'max TTL above the phase ceiling, and TTL default above it',
    mutated((f) => (f.spec.agents[0].vault = { maxTtl: '8h' })),
    [['spec.agents[0].vault.maxTtl', '"8h" is above the 1h ceiling of phase shadow']],
  ],
  [
    'Vault TTLs below the 10m Kubernetes token minimum, for an agent with targets',
    mutated((f) => (f.spec.agents[1].vault = { ...f.spec.agents[1].vault, ttl: '5m', maxTtl: '9m59s' })),
    [
      [
        'spec.agents[1].vault.ttl',
        '"5m" is below 10m, the shortest token Kubernetes issues (TokenRequest), so Vault could never issue this agent\'s Kubernetes credentials; raise it to at least 10m',
      ],
      [
        'spec.agents[1].vault.maxTtl',
        '"9m59s" is below 10m, the shortest token Kubernetes issues (TokenRequest), so Vault could never issue this agent\'s Kubernetes credentials; raise it to at least 10m',
      ],
    ],
  ],
  [
    'TTL that is not a duration',
    mutated((f) => (f.spec.agents[1].vault.ttl = '30 minutes')),
    [['spec.agents[1].vault.ttl', '"30 minutes" must be a duration such as 90s, 15m or 1h30m']],
  ],
  [
    'zero TTL',
    mutated((f) => (f.spec.agents[1].vault.ttl = '0s')),
    [['spec.agents[1].vault.ttl', '"0s" is not allowed; Vault would apply its own, longer default']],
  ],
  [
    'Vault path under sys/',
    mutated((f) => (f.spec.agents[1].vault.secrets = [{ path: 'sys/policies/acl/*' }])),
    [
      [
        'spec.agents[1].vault.secrets[0].path',
        '"sys/policies/acl/*" is under sys/, which no agent may reach; use a path of the agent\'s own secrets',
      ],
    ],
  ],
  [
    'Vault glob in the middle',
    mutated((f) => (f.spec.agents[1].vault.secrets = [{ path: 'secret/*/writer' }])),
    [
      [
        'spec.agents[1].vault.secrets[0].path',
        '"secret/*/writer" has a * before its end; Vault allows * only as the last character',
      ],
    ],
  ],
  [
    'sudo capability',
    mutated(
      (f) => (f.spec.agents[1].vault.secrets = [{ path: 'secret/data/x', capabilities: ['read', 'sudo'] }]),
    ),
    [
      [
        'spec.agents[1].vault.secrets[0].capabilities[1]',
        '"sudo" is not one of read, list, create, update, patch, delete',
      ],
    ],
  ],
  [
    'supervised agent without initiators',
    mutated((f) => delete f.spec.agents[1].attribution),
    [
      [
        'spec.agents[1].attribution.initiators',
        'must list at least one human identity for phase supervised (I3, see docs/design.md#i3), e.g. "*@example.com"',
      ],
    ],
  ],
  [
    'cronjob without schedule, deployment with one',
    mutated((f) => {
      delete f.spec.agents[2].workload.schedule;
      f.spec.agents[0].workload = { schedule: '0 * * * *' };
    }),
    [
      [
        'spec.agents[0].workload.schedule',
        'is only allowed when workload.kind is cronjob (kind is deployment); remove it or set kind: cronjob',
      ],
      ['spec.agents[2].workload.schedule', 'is required when workload.kind is cronjob'],
    ],
  ],
  [
    'replicas not an integer and above the maximum',
    mutated((f) => {
      f.spec.agents[0].workload = { replicas: 1.5 };
      f.spec.agents[1].limits = { maxReplicas: 1000 };
    }),
    [
      ['spec.agents[0].workload.replicas', '1.5 is not an integer'],
      ['spec.agents[1].limits.maxReplicas', '1000 is above the maximum 100'],
    ],
  ],
  [
    'engaged kill switch without who and why',
    mutated((f) => (f.spec.agents[0].killSwitch = { state: 'engaged' })),
    [
      ['spec.agents[0].killSwitch.engagedBy', 'is required when the kill switch is engaged: who engaged it'],
      ['spec.agents[0].killSwitch.reason', 'is required when the kill switch is engaged: why'],
    ],
  ],
  [
    'kill switch state misspelled',
    mutated((f) => (f.spec.agents[0].killSwitch = { state: 'off' })),
    [['spec.agents[0].killSwitch.state', '"off" is not one of armed, engaged']],
  ],
  [
    'egress with both namespace and cidr, and a bad port',
    mutated(
      (f) =>
        (f.spec.agents[1].egress = [
          { namespace: 'db', cidr: '10.0.0.0/8', ports: [443] },
          { cidr: '10.1.0.0/16', ports: [70000] },
        ]),
    ),
    [
      ['spec.agents[1].egress[0]', 'must set exactly one of namespace or cidr'],
      ['spec.agents[1].egress[1].ports[0]', '70000 is above the maximum 65535'],
    ],
  ],
  [
    'egress CIDR malformed',
    mutated((f) => (f.spec.agents[1].egress = [{ cidr: '10.0.0.0/33', ports: [443] }])),
    [['spec.agents[1].egress[0].cidr', '"10.0.0.0/33" must be an IPv4 CIDR such as 10.20.0.0/16']],
  ],
  [
    'wrong types everywhere in one agent: every error reported at once',
    mutated((f) => {
      f.spec.agents[1].phase = 3;
      f.spec.agents[1].targets = 'shop';
      f.spec.agents[1].attribution = { initiators: ['bob smith'] };
      f.spec.agents[1].image = `registry.example.com/agents/writer:2@${DIGEST}`;
    }),
    [
      ['spec.agents[1].phase', `3 is not one of ${PHASES}`],
      ['spec.agents[1].targets', '"shop" is not a list'],
      [
        'spec.agents[1].attribution.initiators[0]',
        '"bob smith" must be a username or a pattern with * wildcards',
      ],
    ],
  ],
];

describe('invalid fleets report every error with its path', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', (_title, fleet, expected) => {
    const result = validateFleet(fleet);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(expected);
  });

  it('accepts the unmutated base fleet', () => {
    expect(validateFleet(mutated(() => undefined))).toMatchObject({ ok: true });
  });

  it('accepts Vault TTLs under 10m for an agent without targets (no Kubernetes credentials)', () => {
    const fleet = mutated((f) => {
      f.spec.agents[1].targets = [];
      f.spec.agents[1].vault = { ...f.spec.agents[1].vault, ttl: '5m', maxTtl: '8m' };
    });
    expect(validateFleet(fleet)).toMatchObject({ ok: true });
  });
});
