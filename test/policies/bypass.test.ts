/**
 * Bypass attempts, written as an attacker would try them, against the WASM policies with the example
 * fleet's constraints. Each row names the trick and the policy that must still deny it (or, for the
 * controls, must stay silent).
 */
import { RELEASE_BOT_TOKENS, SAMPLE_NOW, seconds } from '../support/delegation';
import type { PackParameters } from '../../policies/parameters';
import {
  AGENTS,
  CONTROLLER,
  HUMAN,
  KINDS,
  OTHER_TRACEPARENT,
  SCALE_KIND,
  TRACEPARENT,
  attributed,
  deployment,
  exampleParameters,
  request,
  scale,
  type KindRef,
} from '../support/reviews';
import { celAsRego } from '../../policies/cel';
import { CelPackEvaluator } from '../../policies/cel-eval';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';

const cel = new CelPackEvaluator(regoPack);
/**
 * The Rego's violations; every trick is also put to the policy's CEL where it has some (the
 * K8sNativeValidation block, the ValidatingAdmissionPolicy), which must give the same messages.
 */
const evaluate: typeof regoPack.evaluate = async (folder, review, parameters, clock) => {
  const violations = await regoPack.evaluate(folder, review, parameters, clock);
  if (CelPackEvaluator.hasCel(folder)) {
    const fromCel = celAsRego(messages(await cel.evaluate(folder, review, parameters)));
    expect({ folder, messages: fromCel }).toEqual({
      folder,
      messages: [...new Set(messages(violations))].sort(),
    });
  }
  return violations;
};

type Folder = keyof PackParameters;
type Row = [trick: string, folder: Folder, review: Record<string, unknown>, denied: boolean];

const job = (namespace: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j', namespace },
});
const evilJob: KindRef = { group: 'evil.example', version: 'v1', kind: 'Job', resource: 'jobs' };
const np = (group: string, resource: string, kind: string): KindRef => ({
  group,
  version: 'v1',
  kind,
  resource,
});
const cm = (meta: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta });
const proxy = (initiator: string, trace = TRACEPARENT) => ({
  'agentguard.dev/initiator': [initiator],
  'agentguard.dev/traceparent': [trace],
});
const update = (
  user: string,
  kind: KindRef,
  ns: string,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown>,
  extra: Partial<Parameters<typeof request>[0]> = {},
) => request({ operation: 'UPDATE', user, kind, namespace: ns, name: 'web', object, oldObject, ...extra });
const hpa = (max: number) => ({
  apiVersion: 'autoscaling/v1',
  kind: 'HorizontalPodAutoscaler',
  metadata: attributed('w', 'batch', 'platform-team@shop.example', OTHER_TRACEPARENT),
  spec: { maxReplicas: max, scaleTargetRef: { kind: 'Deployment', name: 'w' } },
});
const HPA_V1: KindRef = {
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
};
const rollout: KindRef = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', resource: 'rollouts' };

const ROWS: Row[] = [
  // I1
  [
    'DELETE of a look-alike Job kind from another API group',
    'destructive-verbs',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: evilJob,
      namespace: 'batch',
      name: 'j',
      oldObject: job('batch'),
    }),
    true,
  ],
  [
    'DELETE of an allowed kind through a subresource',
    'destructive-verbs',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: KINDS.job,
      subResource: 'status',
      namespace: 'batch',
      name: 'j',
      oldObject: job('batch'),
    }),
    true,
  ],
  [
    'DELETE with a request that names no namespace',
    'destructive-verbs',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: KINDS.job,
      name: 'j',
      oldObject: job('batch'),
    }),
    true,
  ],
  [
    'DELETE by a supervised agent of a kind it may create',
    'destructive-verbs',
    request({
      operation: 'DELETE',
      user: AGENTS.releaseBot,
      kind: KINDS.configMap,
      namespace: 'shop',
      name: 'c',
      oldObject: cm({ name: 'c' }),
    }),
    true,
  ],
  [
    'control: the same DELETE by a human',
    'destructive-verbs',
    request({
      operation: 'DELETE',
      user: HUMAN,
      kind: KINDS.job,
      namespace: 'shop',
      name: 'j',
      oldObject: job('shop'),
    }),
    false,
  ],
  // I2
  [
    'NetworkPolicy through the legacy extensions group',
    'no-self-escalation',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: np('extensions', 'networkpolicies', 'NetworkPolicy'),
      namespace: 'shop',
      name: 'open',
      object: cm(attributed('open', 'shop')),
    }),
    true,
  ],
  [
    'CiliumNetworkPolicy from another vendor group',
    'no-self-escalation',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: np('cilium.io', 'ciliumnetworkpolicies', 'CiliumNetworkPolicy'),
      namespace: 'shop',
      name: 'open',
      object: cm(attributed('open', 'shop')),
    }),
    true,
  ],
  [
    'ClusterRoleBinding (cluster-scoped)',
    'no-self-escalation',
    request({
      operation: 'CREATE',
      user: AGENTS.batchScaler,
      kind: KINDS.clusterRoleBinding,
      name: 'x',
      object: cm(attributed('x', undefined)),
    }),
    true,
  ],
  [
    'RoleBinding with generateName and no name',
    'no-self-escalation',
    request({
      operation: 'CREATE',
      user: AGENTS.batchScaler,
      kind: KINDS.roleBinding,
      namespace: 'batch',
      object: cm({ generateName: 'rb-' }),
    }),
    true,
  ],
  [
    'ConstraintTemplate (templates.gatekeeper.sh)',
    'no-self-escalation',
    request({
      operation: 'UPDATE',
      user: AGENTS.batchScaler,
      kind: np('templates.gatekeeper.sh', 'constrainttemplates', 'ConstraintTemplate'),
      name: 'agentguardkillswitch',
      object: cm({ name: 'x' }),
      oldObject: cm({ name: 'x' }),
    }),
    true,
  ],
  [
    'Gatekeeper Config (config.gatekeeper.sh) to exempt its namespace',
    'no-self-escalation',
    request({
      operation: 'UPDATE',
      user: AGENTS.batchScaler,
      kind: np('config.gatekeeper.sh', 'configs', 'Config'),
      namespace: 'gatekeeper-system',
      name: 'config',
      object: cm({ name: 'config' }),
      oldObject: cm({ name: 'config' }),
    }),
    true,
  ],
  [
    'a Secret in a target namespace',
    'no-self-escalation',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: KINDS.secret,
      namespace: 'shop',
      name: 's',
      object: cm(attributed('s', 'shop')),
    }),
    true,
  ],
  [
    'an ephemeral debug container injected into a target pod',
    'no-self-escalation',
    request({
      operation: 'UPDATE',
      user: AGENTS.releaseBot,
      kind: KINDS.pod,
      subResource: 'ephemeralcontainers',
      namespace: 'shop',
      name: 'web-1',
      object: cm({ name: 'web-1' }),
      oldObject: cm({ name: 'web-1' }),
    }),
    true,
  ],
  [
    'stripping the agentguard label off a guardrail in the same update',
    'no-self-escalation',
    update(
      AGENTS.releaseBot,
      KINDS.configMap,
      'shop',
      cm({ name: 'web' }),
      cm({ name: 'web', labels: { 'agentguard.dev/agent': 'release-bot' } }),
    ),
    true,
  ],
  [
    'anything in its own namespace, even a ConfigMap',
    'no-self-escalation',
    update(AGENTS.releaseBot, KINDS.configMap, 'agents-release', cm({ name: 'web' }), cm({ name: 'web' })),
    true,
  ],
  [
    'control: a human edits the agent namespace',
    'no-self-escalation',
    update(HUMAN, KINDS.networkPolicy, 'agents-release', cm({ name: 'web' }), cm({ name: 'web' })),
    false,
  ],
  // I3
  [
    'initiator that only looks like an allowed pattern (suffix added)',
    'attribution',
    update(
      AGENTS.releaseBot,
      KINDS.configMap,
      'shop',
      cm(attributed('web', 'shop', 'release-manager-x@shop.example.evil.net', OTHER_TRACEPARENT)),
      cm({ name: 'web' }),
    ),
    true,
  ],
  [
    'traceparent in upper case',
    'attribution',
    update(
      AGENTS.releaseBot,
      KINDS.configMap,
      'shop',
      cm(attributed('web', 'shop', 'oncall@shop.example', TRACEPARENT.toUpperCase())),
      cm({ name: 'web' }),
    ),
    true,
  ],
  [
    'traceparent with an all-zero trace id',
    'attribution',
    update(
      AGENTS.releaseBot,
      KINDS.configMap,
      'shop',
      cm(
        attributed(
          'web',
          'shop',
          'oncall@shop.example',
          '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
        ),
      ),
      cm({ name: 'web' }),
    ),
    true,
  ],
  [
    'annotation and proxy name different initiators',
    'attribution',
    update(
      AGENTS.releaseBot,
      KINDS.configMap,
      'shop',
      cm(attributed('web', 'shop', 'oncall@shop.example', OTHER_TRACEPARENT)),
      cm({ name: 'web' }),
      { extra: proxy('release-manager-bob@shop.example', OTHER_TRACEPARENT) },
    ),
    true,
  ],
  [
    'two initiators in userInfo.extra',
    'attribution',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: KINDS.job,
      namespace: 'batch',
      name: 'j',
      oldObject: job('batch'),
      extra: {
        'agentguard.dev/initiator': ['platform-team@shop.example', 'mallory@evil.example'],
        'agentguard.dev/traceparent': [TRACEPARENT],
      },
    }),
    true,
  ],
  [
    'DELETE relying on the old object annotations',
    'attribution',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: KINDS.job,
      namespace: 'batch',
      name: 'j',
      oldObject: { ...job('batch'), metadata: attributed('j', 'batch', 'platform-team@shop.example') },
    }),
    true,
  ],
  [
    'kubectl scale with annotations on nothing',
    'attribution',
    update(AGENTS.releaseBot, KINDS.deployment, 'shop', scale('web', 'shop', 2), scale('web', 'shop', 3), {
      subResource: 'scale',
      subResourceKind: SCALE_KIND,
    }),
    true,
  ],
  [
    'missing userInfo.extra values list (empty)',
    'attribution',
    update(AGENTS.releaseBot, KINDS.deployment, 'shop', scale('web', 'shop', 2), scale('web', 'shop', 3), {
      subResource: 'scale',
      subResourceKind: SCALE_KIND,
      extra: { 'agentguard.dev/initiator': [], 'agentguard.dev/traceparent': [] },
    }),
    true,
  ],
  [
    'control: kubectl scale attributed through the proxy',
    'attribution',
    update(AGENTS.releaseBot, KINDS.deployment, 'shop', scale('web', 'shop', 2), scale('web', 'shop', 3), {
      subResource: 'scale',
      subResourceKind: SCALE_KIND,
      // release-bot is in signed mode: the proxy also forwards the portal's delegation.
      extra: {
        ...proxy('release-manager-bob@shop.example'),
        'agentguard.dev/delegation': [RELEASE_BOT_TOKENS[TRACEPARENT.split('-')[1]]],
      },
    }),
    false,
  ],
  // I4
  [
    'StatefulSet above the cap',
    'replica-limits',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: KINDS.statefulSet,
      namespace: 'shop',
      name: 'db',
      object: { ...deployment({ name: 'db' }, 7), kind: 'StatefulSet' },
    }),
    true,
  ],
  [
    'custom workload (Argo Rollout) above the cap',
    'replica-limits',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: rollout,
      namespace: 'shop',
      name: 'r',
      object: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'r' },
        spec: { replicas: 50 },
      },
    }),
    true,
  ],
  [
    'HPA through autoscaling/v1',
    'replica-limits',
    request({
      operation: 'CREATE',
      user: AGENTS.batchScaler,
      kind: HPA_V1,
      namespace: 'batch',
      name: 'w',
      object: hpa(11),
    }),
    true,
  ],
  [
    'replicas as a string',
    'replica-limits',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, '100'),
      deployment({ name: 'web' }, 3),
    ),
    true,
  ],
  [
    'replicas as a fraction',
    'replica-limits',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, 6.5),
      deployment({ name: 'web' }, 3),
    ),
    true,
  ],
  [
    'raising a count that was already above the cap',
    'replica-limits',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, 21),
      deployment({ name: 'web' }, 20),
    ),
    true,
  ],
  [
    'old object with a string count to fake a scale-down',
    'replica-limits',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, 9),
      deployment({ name: 'web' }, '99'),
    ),
    true,
  ],
  [
    'control: lowering from far above the cap',
    'replica-limits',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, 15),
      deployment({ name: 'web' }, 20),
    ),
    false,
  ],
  [
    'control: a Deployment without replicas (defaults to 1)',
    'replica-limits',
    request({
      operation: 'CREATE',
      user: AGENTS.releaseBot,
      kind: KINDS.deployment,
      namespace: 'shop',
      name: 'web',
      object: deployment({ name: 'web' }),
    }),
    false,
  ],
  // I5
  [
    'shadow agent sending a dry-run',
    'trust-phase',
    update(
      AGENTS.costAnalyst,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }, 2),
      deployment({ name: 'web' }, 3),
      { dryRun: true },
    ),
    true,
  ],
  [
    'advisory dry-run CREATE where the fleet grants no create',
    'trust-phase',
    request({
      operation: 'CREATE',
      user: AGENTS.incidentTriage,
      kind: KINDS.configMap,
      namespace: 'shop',
      name: 'c',
      dryRun: true,
      object: cm({ name: 'c' }),
    }),
    true,
  ],
  [
    'supervised update of the status subresource',
    'trust-phase',
    update(
      AGENTS.releaseBot,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }),
      deployment({ name: 'web' }),
      { subResource: 'status' },
    ),
    true,
  ],
  [
    'a same-named kind in another API group',
    'trust-phase',
    update(
      AGENTS.releaseBot,
      { group: 'evil.example', version: 'v1', kind: 'Deployment', resource: 'deployments' },
      'shop',
      deployment({ name: 'web' }),
      deployment({ name: 'web' }),
    ),
    true,
  ],
  [
    'a cluster-scoped write',
    'trust-phase',
    request({
      operation: 'CREATE',
      user: AGENTS.batchScaler,
      kind: KINDS.namespace,
      name: 'batch-2',
      object: cm({ name: 'batch-2' }),
    }),
    true,
  ],
  [
    'control: autonomous delete of an allowed Job',
    'trust-phase',
    request({
      operation: 'DELETE',
      user: AGENTS.batchScaler,
      kind: KINDS.job,
      namespace: 'batch',
      name: 'j',
      oldObject: job('batch'),
    }),
    false,
  ],
  // I6
  [
    'engaged agent sending only a dry-run',
    'kill-switch',
    update(
      AGENTS.capacityReport,
      KINDS.deployment,
      'shop',
      deployment({ name: 'web' }),
      deployment({ name: 'web' }),
      { dryRun: true },
    ),
    true,
  ],
  [
    'engaged agent with full attribution',
    'kill-switch',
    update(
      AGENTS.capacityReport,
      KINDS.configMap,
      'shop',
      cm(attributed('web', 'shop', HUMAN, OTHER_TRACEPARENT)),
      cm({ name: 'web' }),
    ),
    true,
  ],
  [
    'control: a controller acting for the engaged agent namespace',
    'kill-switch',
    update(
      CONTROLLER,
      KINDS.replicaSet,
      'agents-reports',
      deployment({ name: 'x' }, 0),
      deployment({ name: 'x' }, 1),
    ),
    false,
  ],
];

const pod = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'agents-release' },
  spec,
});
const secure = {
  name: 'app',
  image: 'registry.shop.example/a@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
  resources: { requests: { cpu: '1', memory: '1Mi' }, limits: { cpu: '1', memory: '1Mi' } },
};
const podBase = {
  automountServiceAccountToken: false,
  securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [secure],
};
const podRows: [string, Record<string, unknown>, boolean][] = [
  ['control: a fully hardened pod', podBase, false],
  [
    'container overrides runAsNonRoot to false',
    {
      ...podBase,
      containers: [{ ...secure, securityContext: { ...secure.securityContext, runAsNonRoot: false } }],
    },
    true,
  ],
  [
    'an insecure init container',
    { ...podBase, initContainers: [{ ...secure, securityContext: { privileged: true } }] },
    true,
  ],
  [
    'an ephemeral container without hardening',
    { ...podBase, ephemeralContainers: [{ name: 'debug', image: secure.image }] },
    true,
  ],
  ['a hostPath volume', { ...podBase, volumes: [{ name: 'root', hostPath: { path: '/' } }] }, true],
  [
    'a hostPort',
    { ...podBase, containers: [{ ...secure, ports: [{ containerPort: 80, hostPort: 80 }] }] },
    true,
  ],
  [
    'a tag from a registry that only starts like an allowed one',
    { ...podBase, containers: [{ ...secure, image: 'registry.shop.example.evil.net/a:1' }] },
    true,
  ],
  [
    'a digest one character short',
    { ...podBase, containers: [{ ...secure, image: `${secure.image.slice(0, -1)}` }] },
    true,
  ],
  [
    'seccomp Unconfined on the container over a safe pod default',
    {
      ...podBase,
      containers: [
        { ...secure, securityContext: { ...secure.securityContext, seccompProfile: { type: 'Unconfined' } } },
      ],
    },
    true,
  ],
  [
    'a container without a name',
    { ...podBase, containers: [{ ...secure, name: undefined, securityContext: {} }] },
    true,
  ],
];

describe.each(ROWS.map((r) => [r[0], r[1], r[2], r[3]] as const))(
  '%s (%s)',
  (_, folder, review, shouldDeny) => {
    it(shouldDeny ? 'is denied' : 'is allowed', async () => {
      const violations = await evaluate(folder, review, exampleParameters()[folder], () =>
        seconds(SAMPLE_NOW),
      );
      expect(violations.length > 0).toBe(shouldDeny);
    });
  },
);

describe.each(podRows)('hardened-pods: %s', (_, spec, shouldDeny) => {
  it(shouldDeny ? 'is denied' : 'is allowed', async () => {
    const review = request({
      operation: 'CREATE',
      user: CONTROLLER,
      kind: KINDS.pod,
      namespace: 'agents-release',
      name: 'p',
      object: pod(spec),
    });
    const violations = await evaluate('hardened-pods', review, exampleParameters()['hardened-pods']);
    expect(violations.length > 0).toBe(shouldDeny);
  });

  it('applies the same rules to a CronJob template', async () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { jobTemplate: { spec: { template: { spec } } } },
    };
    const review = request({
      operation: 'CREATE',
      user: HUMAN,
      kind: KINDS.cronJob,
      namespace: 'agents-release',
      name: 'c',
      object: cron,
    });
    expect((await evaluate('hardened-pods', review, exampleParameters()['hardened-pods'])).length > 0).toBe(
      shouldDeny,
    );
  });
});

it('a tag is accepted from a registry the fleet allows, at a path boundary only', async () => {
  const image = (i: string) => pod({ ...podBase, containers: [{ ...secure, image: i }] });
  const params = { allowTagsFrom: ['registry.shop.example'] };
  const review = (i: string) =>
    request({
      operation: 'CREATE',
      user: HUMAN,
      kind: KINDS.pod,
      namespace: 'agents-release',
      name: 'p',
      object: image(i),
    });
  expect(await evaluate('hardened-pods', review('registry.shop.example/a:1.2'), params)).toEqual([]);
  expect((await evaluate('hardened-pods', review('registry.shop.example.evil.net/a:1'), params)).length).toBe(
    1,
  );
});

it('an unknown phase in the parameters denies everything (fail closed)', async () => {
  const review = update(AGENTS.releaseBot, KINDS.configMap, 'shop', cm({ name: 'web' }), cm({ name: 'web' }));
  const params = { agents: { [AGENTS.releaseBot]: { phase: 'trusted', namespaces: {} } } };
  const violations = await evaluate('trust-phase', review, params);
  expect(violations.map((v) => v.msg).join('\n')).toMatch(/"trusted" is not a trust phase/);
});

it('a request with no userInfo at all touches no agent rule', async () => {
  const review = {
    ...request({
      operation: 'DELETE',
      user: 'x',
      kind: KINDS.job,
      namespace: 'batch',
      name: 'j',
      oldObject: job('batch'),
    }),
    userInfo: {},
  };
  for (const folder of [
    'destructive-verbs',
    'no-self-escalation',
    'attribution',
    'replica-limits',
    'trust-phase',
    'kill-switch',
  ] as const) {
    expect(await evaluate(folder, review, exampleParameters()[folder])).toEqual([]);
  }
});
