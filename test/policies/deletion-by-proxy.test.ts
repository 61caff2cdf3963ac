/**
 * AG102 (I1, deletes by proxy), tried as an attacker who controls the agent's prompt would: every way
 * to make Kubernetes delete an object for the agent through ordinary fields, each with the control
 * that must stay allowed, against the WASM policy with the example fleet's constraints. Then the same
 * through `agentguard check`, the report, and RBAC (which never grants pods/eviction).
 */
import { delegated, SAMPLE_NOW } from '../support/delegation';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { App } from 'cdk8s';
import { SecureAgent } from '../../constructs';
import { assertAllowed, FORBIDDEN_RESOURCES } from '../../lib/rbac';
import { loadFleetFile } from '../../lib/fleet/load';
import type { DeletionByProxyParameters } from '../../policies/parameters';
import { regoPack } from '../../policies/wasm-build';
import { agentguardInProcess, EXAMPLE_FLEET } from '../support/cli';
import {
  AGENTS,
  CONTROLLER,
  HUMAN,
  KINDS,
  OTHER_TRACEPARENT,
  admissionReview,
  attributed,
  deployment,
  exampleParameters,
  request,
  type KindRef,
  type RequestSpec,
} from '../support/reviews';

const FOLDER = 'deletion-by-proxy';
const params = (): DeletionByProxyParameters => exampleParameters()[FOLDER];
const evaluate = (review: Record<string, unknown>, parameters: unknown = params()) =>
  regoPack.evaluate(FOLDER, review, parameters);

const GONE = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: 'gone',
  uid: '6f1d3c9e-0000-4000-8000-00000000dead',
};
const OWNER = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web',
  uid: '0b7e2f4a-1111-4000-8000-000000000001',
};
const PENDING = '2026-05-01T10:00:00Z';
const TRACE = {
  'agentguard.dev/initiator': ['platform-team@shop.example'],
  'agentguard.dev/traceparent': ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
};

const web = (meta: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => {
  const d = deployment({ ...attributed('web', 'shop'), ...meta }, 3) as { spec: Record<string, unknown> };
  return { ...d, spec: { ...d.spec, ...spec } };
};
const withMeta = (obj: Record<string, unknown>, meta: Record<string, unknown>) => ({
  ...obj,
  metadata: { ...(obj.metadata as Record<string, unknown>), ...meta },
});
const cm = (meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { ...attributed('web-config', 'shop'), ...meta },
  data: { mode: 'live' },
});
const job = (ns: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { ...attributed('report', ns, 'platform-team@shop.example'), ...meta },
  spec: {
    ...spec,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
  },
});
const cron = (spec: Record<string, unknown>) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: attributed('cleanup', 'shop'),
  spec: {
    schedule: '0 * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [] } } } },
    ...spec,
  },
});
const sts = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: attributed('db', 'shop'),
  spec: { replicas: 1, serviceName: 'db', ...spec },
});
const ROLLOUT: KindRef = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', resource: 'rollouts' };
const WIDGET: KindRef = { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets' };
const DAEMONSET: KindRef = { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets' };

const update = (
  user: string,
  kind: KindRef,
  ns: string | undefined,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown>,
  more: Partial<RequestSpec> = {},
) => request({ operation: 'UPDATE', user, kind, namespace: ns, name: 'web', object, oldObject, ...more });
const create = (
  user: string,
  kind: KindRef,
  ns: string | undefined,
  object: Record<string, unknown>,
  more: Partial<RequestSpec> = {},
) => request({ operation: 'CREATE', user, kind, namespace: ns, name: 'web', object, extra: TRACE, ...more });

type Row = [trick: string, review: Record<string, unknown>, denied: boolean];
const bot = AGENTS.releaseBot;
const scaler = AGENTS.batchScaler;

const ROWS: Row[] = [
  // Owner references: the garbage collector deletes what has no owner left.
  [
    'issue 19: an owner that never existed, set by UPDATE',
    update(bot, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web()),
    true,
  ],
  [
    'an owner added beside an existing one',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [OWNER, GONE] }),
      web({ ownerReferences: [OWNER] }),
    ),
    true,
  ],
  [
    'an owner uid swapped for another',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [{ ...OWNER, uid: GONE.uid }] }),
      web({ ownerReferences: [OWNER] }),
    ),
    true,
  ],
  [
    'an owner removed (any change on UPDATE)',
    update(bot, KINDS.deployment, 'shop', web({ ownerReferences: [] }), web({ ownerReferences: [OWNER] })),
    true,
  ],
  [
    'JSON merge patch ownerReferences: null (admission sees the whole result)',
    update(bot, KINDS.deployment, 'shop', web({ ownerReferences: null }), web({ ownerReferences: [OWNER] })),
    true,
  ],
  [
    'the owner kind spelled differently ("deployment", lower case)',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [{ ...OWNER, kind: 'deployment' }] }),
      web({ ownerReferences: [OWNER] }),
    ),
    true,
  ],
  [
    'controller: true added to an existing owner (adoption, then surplus deleted)',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [{ ...OWNER, controller: true }] }),
      web({ ownerReferences: [OWNER] }),
    ),
    true,
  ],
  [
    'through the status subresource',
    update(bot, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web(), { subResource: 'status' }),
    true,
  ],
  [
    'on a custom resource outside the fleet',
    update(bot, WIDGET, 'shop', withMeta(cm(), { ownerReferences: [GONE] }), cm()),
    true,
  ],
  [
    'on a cluster-scoped object',
    update(scaler, WIDGET, undefined, withMeta(cm(), { ownerReferences: [GONE] }), cm()),
    true,
  ],
  [
    'the body claims another kind than the one routed',
    update(bot, KINDS.deployment, 'shop', { ...web({ ownerReferences: [GONE] }), kind: 'ConfigMap' }, web()),
    true,
  ],
  [
    'CREATE with an owner (none allowed by default)',
    create(bot, KINDS.configMap, 'shop', cm({ ownerReferences: [OWNER] })),
    true,
  ],
  [
    'batch-scaler sets an owner on a Job in batch (deleteKinds: Job)',
    update(scaler, KINDS.job, 'batch', job('batch', {}, { ownerReferences: [GONE] }), job('batch')),
    false,
  ],
  [
    'batch-scaler sets an owner on a Deployment in batch (not in deleteKinds)',
    update(scaler, KINDS.deployment, 'batch', web({ ownerReferences: [GONE] }), web()),
    true,
  ],
  [
    'batch-scaler sets an owner on a Job in shop (deleteKinds is per namespace)',
    update(scaler, KINDS.job, 'shop', job('shop', {}, { ownerReferences: [GONE] }), job('shop')),
    true,
  ],
  [
    'blockOwnerDeletion even where deleteKinds allows the object',
    create(
      scaler,
      KINDS.job,
      'batch',
      job('batch', {}, { ownerReferences: [{ ...OWNER, blockOwnerDeletion: true }] }),
    ),
    true,
  ],
  [
    'control: owner references reordered only',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [GONE, OWNER] }),
      web({ ownerReferences: [OWNER, GONE] }),
      { name: 'web' },
    ),
    false,
  ],
  [
    'control: owner references kept, image changed',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ ownerReferences: [OWNER] }, { minReadySeconds: 5 }),
      web({ ownerReferences: [OWNER] }),
    ),
    false,
  ],
  [
    'control: a human sets an owner',
    update(HUMAN, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web()),
    false,
  ],
  [
    'control: a controller sets an owner',
    update(CONTROLLER, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web()),
    false,
  ],
  // Finalizers
  [
    'finalizer removed from an object whose deletion is pending',
    update(
      bot,
      KINDS.configMap,
      'shop',
      cm({ deletionTimestamp: PENDING, finalizers: [] }),
      cm({ deletionTimestamp: PENDING, finalizers: ['shop.example/backup'] }),
    ),
    true,
  ],
  [
    'finalizers: null on a pending deletion (merge patch)',
    update(
      bot,
      KINDS.configMap,
      'shop',
      cm({ deletionTimestamp: PENDING, finalizers: null }),
      cm({ deletionTimestamp: PENDING, finalizers: ['shop.example/backup'] }),
    ),
    true,
  ],
  [
    'the orphan finalizer removed, so dependents go too',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ deletionTimestamp: PENDING, finalizers: ['a'] }),
      web({ deletionTimestamp: PENDING, finalizers: ['a', 'orphan'] }),
    ),
    true,
  ],
  [
    'finalizer removed through the status subresource',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({ deletionTimestamp: PENDING }),
      web({ deletionTimestamp: PENDING, finalizers: ['a'] }),
      { subResource: 'status' },
    ),
    true,
  ],
  [
    "finalizer added to someone else's object (denial of service)",
    update(bot, KINDS.configMap, 'shop', cm({ finalizers: ['agents.example/hold'] }), cm()),
    true,
  ],
  [
    'foregroundDeletion added',
    update(bot, KINDS.deployment, 'shop', web({ finalizers: ['foregroundDeletion'] }), web()),
    true,
  ],
  [
    'batch-scaler removes a finalizer of a pending Job in batch (deleteKinds: Job)',
    update(
      scaler,
      KINDS.job,
      'batch',
      job('batch', {}, { deletionTimestamp: PENDING }),
      job('batch', {}, { deletionTimestamp: PENDING, finalizers: ['x'] }),
    ),
    false,
  ],
  [
    'control: finalizer removed from an object not being deleted',
    update(bot, KINDS.configMap, 'shop', cm({ finalizers: [] }), cm({ finalizers: ['shop.example/backup'] })),
    false,
  ],
  [
    'control: finalizers on CREATE (its own new object)',
    create(bot, KINDS.configMap, 'shop', cm({ finalizers: ['shop.example/backup'] })),
    false,
  ],
  [
    'control: finalizers reordered on a pending deletion',
    update(
      bot,
      KINDS.configMap,
      'shop',
      cm({ deletionTimestamp: PENDING, finalizers: ['b', 'a'] }),
      cm({ deletionTimestamp: PENDING, finalizers: ['a', 'b'] }),
    ),
    false,
  ],
  // Retention limits
  [
    'Job ttlSecondsAfterFinished set where it was unset (never deleted)',
    update(bot, KINDS.job, 'shop', job('shop', { ttlSecondsAfterFinished: 3600 }), job('shop')),
    true,
  ],
  [
    'Job ttlSecondsAfterFinished lowered to 0',
    update(
      bot,
      KINDS.job,
      'shop',
      job('shop', { ttlSecondsAfterFinished: 0 }),
      job('shop', { ttlSecondsAfterFinished: 86400 }),
    ),
    true,
  ],
  [
    'Job ttlSecondsAfterFinished as a string',
    update(
      bot,
      KINDS.job,
      'shop',
      job('shop', { ttlSecondsAfterFinished: '0' }),
      job('shop', { ttlSecondsAfterFinished: 86400 }),
    ),
    true,
  ],
  [
    'CronJob successfulJobsHistoryLimit below the default 3',
    update(bot, KINDS.cronJob, 'shop', cron({ successfulJobsHistoryLimit: 1 }), cron({})),
    true,
  ],
  [
    'CronJob failedJobsHistoryLimit 0 (default 1)',
    update(bot, KINDS.cronJob, 'shop', cron({ failedJobsHistoryLimit: 0 }), cron({})),
    true,
  ],
  [
    'CronJob job template TTL set',
    update(
      bot,
      KINDS.cronJob,
      'shop',
      cron({ jobTemplate: { spec: { ttlSecondsAfterFinished: 0 } } }),
      cron({}),
    ),
    true,
  ],
  [
    'Deployment revisionHistoryLimit 0 (rollback deleted)',
    update(bot, KINDS.deployment, 'shop', web({}, { revisionHistoryLimit: 0 }), web()),
    true,
  ],
  [
    'Deployment revisionHistoryLimit unset from 20 (back to the default 10)',
    update(bot, KINDS.deployment, 'shop', web(), web({}, { revisionHistoryLimit: 20 })),
    true,
  ],
  [
    'StatefulSet revisionHistoryLimit lowered',
    update(bot, KINDS.statefulSet, 'shop', sts({ revisionHistoryLimit: 1 }), sts({})),
    true,
  ],
  [
    'DaemonSet revisionHistoryLimit lowered',
    update(bot, DAEMONSET, 'shop', sts({ revisionHistoryLimit: 2 }), sts({ revisionHistoryLimit: 5 })),
    true,
  ],
  [
    'a custom resource (Argo Rollout) revisionHistoryLimit set from unset',
    update(bot, ROLLOUT, 'shop', web({}, { revisionHistoryLimit: 10 }), web()),
    true,
  ],
  [
    'batch-scaler lowers a Job TTL in batch (deleteKinds: Job)',
    update(
      scaler,
      KINDS.job,
      'batch',
      job('batch', { ttlSecondsAfterFinished: 0 }),
      job('batch', { ttlSecondsAfterFinished: 60 }),
    ),
    false,
  ],
  [
    'batch-scaler lowers revisionHistoryLimit in batch (ReplicaSets not in deleteKinds)',
    update(scaler, KINDS.deployment, 'batch', web({}, { revisionHistoryLimit: 0 }), web()),
    true,
  ],
  [
    'control: Job created with ttlSecondsAfterFinished 0 (deletes only itself)',
    create(bot, KINDS.job, 'shop', job('shop', { ttlSecondsAfterFinished: 0 })),
    false,
  ],
  [
    'control: Deployment created with revisionHistoryLimit 0 (no history yet)',
    create(bot, KINDS.deployment, 'shop', web({}, { revisionHistoryLimit: 0 })),
    false,
  ],
  [
    'control: Job TTL raised',
    update(
      bot,
      KINDS.job,
      'shop',
      job('shop', { ttlSecondsAfterFinished: 7200 }),
      job('shop', { ttlSecondsAfterFinished: 60 }),
    ),
    false,
  ],
  [
    'control: Job TTL removed (never deleted)',
    update(bot, KINDS.job, 'shop', job('shop'), job('shop', { ttlSecondsAfterFinished: 60 })),
    false,
  ],
  [
    'control: CronJob history limit set to its default',
    update(bot, KINDS.cronJob, 'shop', cron({ successfulJobsHistoryLimit: 3 }), cron({})),
    false,
  ],
  [
    'control: revisionHistoryLimit unchanged at 0',
    update(
      bot,
      KINDS.deployment,
      'shop',
      web({}, { revisionHistoryLimit: 0 }),
      web({}, { revisionHistoryLimit: 0 }),
    ),
    false,
  ],
  // PersistentVolumeClaim retention
  [
    'StatefulSet PVC retention whenScaled: Delete',
    update(
      bot,
      KINDS.statefulSet,
      'shop',
      sts({ persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } }),
      sts({}),
    ),
    true,
  ],
  [
    'StatefulSet created with whenDeleted: Delete (takes over existing claims)',
    create(
      bot,
      KINDS.statefulSet,
      'shop',
      sts({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } }),
    ),
    true,
  ],
  [
    'control: StatefulSet PVC retention explicitly Retain',
    update(
      bot,
      KINDS.statefulSet,
      'shop',
      sts({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } }),
      sts({}),
    ),
    false,
  ],
  // Eviction
  [
    'an Eviction (pods/eviction) of a pod',
    create(
      bot,
      KINDS.pod,
      'shop',
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'shop' } },
      { subResource: 'eviction', subResourceKind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
    ),
    true,
  ],
  [
    'an Eviction through the old policy/v1beta1 kind',
    create(
      scaler,
      KINDS.pod,
      'batch',
      { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'w-1' } },
      { subResource: 'eviction', subResourceKind: { group: 'policy', version: 'v1beta1', kind: 'Eviction' } },
    ),
    true,
  ],
  [
    'control: an Eviction by a human (kubectl drain)',
    create(
      HUMAN,
      KINDS.pod,
      'shop',
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' } },
      { subResource: 'eviction', subResourceKind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
    ),
    false,
  ],
  // DELETE is AG101's, and propagationPolicy lives on a DELETE's options, never on an object.
  [
    'control: a DELETE with propagationPolicy (AG101 denies it, not AG102)',
    {
      ...request({
        operation: 'DELETE',
        user: bot,
        kind: KINDS.deployment,
        namespace: 'shop',
        name: 'web',
        oldObject: web(),
      }),
      options: { propagationPolicy: 'Background' },
    },
    false,
  ],
];

describe.each(ROWS)('%s', (_, review, shouldDeny) => {
  it(shouldDeny ? 'is denied by AG102' : 'is allowed by AG102', async () => {
    const violations = await evaluate(review);
    expect(violations.length > 0).toBe(shouldDeny);
    for (const v of violations) expect(v.msg.startsWith('[AG102] ')).toBe(true);
  });
});

describe('messages', () => {
  it("name the field, say Kubernetes would delete on the agent's behalf, and name deleteKinds", async () => {
    const [v] = await evaluate(
      update(bot, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web()),
    );
    expect(v.msg).toMatch(
      /^\[AG102\] agent release-bot may not change metadata\.ownerReferences \(deployments\.apps shop\/web\)/,
    );
    expect(v.msg).toContain("make Kubernetes delete objects on the agent's behalf");
    expect(v.msg).toContain('deleteKinds');
    expect(v.msg).toContain('delete deployments.apps in namespace shop');
  });

  it('give the old and new limit', async () => {
    const [v] = await evaluate(
      update(bot, KINDS.job, 'shop', job('shop', { ttlSecondsAfterFinished: 0 }), job('shop')),
    );
    expect(v.msg).toContain('lower spec.ttlSecondsAfterFinished (from unset to 0)');
  });

  it('report each route separately when one request takes several', async () => {
    const review = update(
      bot,
      KINDS.deployment,
      'shop',
      web(
        { ownerReferences: [{ ...GONE, blockOwnerDeletion: true }], finalizers: ['x'] },
        { revisionHistoryLimit: 0 },
      ),
      web(),
    );
    const fields = (await evaluate(review)).map((v) => /may not (\w+ \S+)/.exec(v.msg)?.[1]);
    expect(fields.sort()).toEqual([
      'add finalizers',
      'change metadata.ownerReferences',
      'lower spec.revisionHistoryLimit',
      'set blockOwnerDeletion',
    ]);
  });
});

describe('the deleteKinds exception comes from the fleet, not from the policy', () => {
  const review = update(bot, KINDS.deployment, 'shop', web({ ownerReferences: [GONE] }), web());

  it('allows release-bot once its parameters let it delete Deployments in shop', async () => {
    const granted = { agents: { [bot]: { deletable: { shop: ['deployments.apps'] } } } };
    expect(await evaluate(review, granted)).toEqual([]);
  });

  it('still denies with a grant for another namespace or resource spelling', async () => {
    for (const deletable of [
      { batch: ['deployments.apps'] },
      { shop: ['deployments'] },
      { shop: ['Deployment'] },
    ]) {
      expect(await evaluate(review, { agents: { [bot]: { deletable } } })).toHaveLength(1);
    }
  });

  it('is derived from deleteKinds of autonomous agents only (same map as AG101)', () => {
    const p = exampleParameters();
    expect(p[FOLDER]).toEqual(p['destructive-verbs']);
    expect(p[FOLDER].agents[scaler]).toEqual({ deletable: { batch: ['jobs.batch'] } });
    expect(p[FOLDER].agents[bot]).toEqual({ deletable: {} });
  });
});

describe('agentguard check and report pick AG102 up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-ag102-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('check denies the issue 19 UPDATE by release-bot and allows the same without the owner', async () => {
    const attack = join(dir, 'attack.yaml');
    const control = join(dir, 'control.yaml');
    // Attributed and in-cap, with a fresh trace link: only the owner reference is wrong.
    const fresh = delegated(attributed('web', 'shop', 'release-manager-bob@shop.example', OTHER_TRACEPARENT));
    const review = (meta: Record<string, unknown>, spec: Record<string, unknown>) =>
      admissionReview(update(bot, KINDS.deployment, 'shop', web({ ...fresh, ...meta }, spec), web()));
    writeFileSync(attack, stringify(review({ ownerReferences: [GONE] }, {})));
    writeFileSync(control, stringify(review({}, { minReadySeconds: 5 })));
    const denied = await agentguardInProcess([
      'check',
      '--fleet',
      EXAMPLE_FLEET,
      '--at',
      String(SAMPLE_NOW),
      '--output',
      'json',
      attack,
    ]);
    expect(denied.status).toBe(1);
    const result = JSON.parse(denied.stdout) as { violations: { policy: string; message: string }[] };
    expect(result.violations.map((v) => v.policy)).toEqual(['AG102']);
    expect(result.violations[0].message).toContain('metadata.ownerReferences');
    const allowed = await agentguardInProcess([
      'check',
      '--fleet',
      EXAMPLE_FLEET,
      '--at',
      String(SAMPLE_NOW),
      control,
    ]);
    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
  });

  it('report lists AG102 for every agent', async () => {
    const run = await agentguardInProcess(['report', '--fleet', EXAMPLE_FLEET, '--agent', 'batch-scaler']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\| AG102 \| No deletes by proxy \| .*except of jobs\.batch in batch \|/);
  });
});

describe('RBAC never grants pods/eviction', () => {
  const fleet = loadFleetFile(EXAMPLE_FLEET);

  it('no Role synthesized for the example fleet names pods/eviction, pods/* or *', () => {
    const app = new App();
    for (const agent of fleet.spec.agents) new SecureAgent(app, `agent-${agent.name}`, { fleet, agent });
    const roles = app.charts
      .flatMap((c) => c.toJson() as { kind: string; rules?: { resources: string[] }[] }[])
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const rule of role.rules ?? []) {
        for (const resource of rule.resources)
          expect(['pods/eviction', 'pods/*', '*']).not.toContain(resource);
      }
    }
  });

  it('is refused at construction even if a rule asks for it (the guard can fail)', () => {
    expect(FORBIDDEN_RESOURCES).toContain('pods/eviction');
    const [agent] = fleet.spec.agents.filter((a) => a.phase === 'autonomous');
    expect(() =>
      assertAllowed(agent, agent.targets[0], [
        { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      ]),
    ).toThrow(/pods\/eviction/);
  });
});
