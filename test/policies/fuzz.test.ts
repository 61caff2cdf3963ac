/**
 * 10,000 random admission requests per policy through the WASM modules: no evaluation error, every
 * message led by the policy ID, and each policy's invariant holds on every request. Requests carry
 * delegation tokens of every kind (test/support/delegation.ts, delegationPool), evaluated with the
 * clock pinned at the pool's anchor, so tokens exactly at exp or at the skew are exactly there.
 */
import fc from 'fast-check';
import { policyCatalog } from '../../policies/catalog';
import type { PackParameters, PodAllowance } from '../../policies/parameters';
import { admissionRequests } from '../support/arbitraries';
import { delegationPool, seconds, type PooledDelegation } from '../support/delegation';
import { AGENTS, exampleParameters } from '../support/reviews';
import type { Violation } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';

const { evaluate } = regoPack;

const RUNS = 10_000;
/** The pinned clock: the delegation pool's anchor (2027-01-15T08:00:00Z). */
const ANCHOR = 1_800_000_000;
const at = () => seconds(ANCHOR);
/** Pooled delegations by token, for the AG301 invariant. */
let pool = new Map<string, PooledDelegation>();
let admissionRequest: ReturnType<typeof admissionRequests>;
beforeAll(async () => {
  const delegations = await delegationPool(ANCHOR);
  pool = new Map(delegations.map((d) => [d.token, d]));
  admissionRequest = admissionRequests({ delegations: delegations.map((d) => d.token) });
});
const agentNames = new Set<string>(Object.values(AGENTS));

interface Req {
  operation: string;
  userInfo: { username: string; extra?: Record<string, string[]> };
  resource: { group: string; resource: string };
  subResource?: string;
  namespace?: string;
  dryRun: boolean;
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
}

type Invariant = (req: Req, violations: readonly Violation[]) => boolean;
const isAgent = (req: Req) => agentNames.has(req.userInfo.username);
const mutation = (req: Req) => ['CREATE', 'UPDATE', 'DELETE'].includes(req.operation);
const key = (req: Req) =>
  (req.resource.group ? `${req.resource.resource}.${req.resource.group}` : req.resource.resource) +
  (req.subResource ? `/${req.subResource}` : '');
const denied = (violations: readonly Violation[]) => violations.length > 0;
const params = exampleParameters();
/** The pod spec an object carries, found the way a reader of the Kubernetes API would. */
function podOf(object: Record<string, unknown> | null): Record<string, unknown> | undefined {
  const spec = object?.spec as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (object?.kind === 'Pod') return spec;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}
const agentParams = <F extends keyof PackParameters>(folder: F, req: Req) =>
  (params[folder] as unknown as { agents: Record<string, Record<string, unknown>> }).agents[
    req.userInfo.username
  ];

/** What each policy promises, stated independently of its Rego. */
const INVARIANTS: Record<keyof PackParameters, Invariant> = {
  // I1: any DELETE by an agent of something not on its delete list is denied.
  'destructive-verbs': (req, v) => {
    if (!isAgent(req) || req.operation !== 'DELETE') return !denied(v);
    const deletable = (agentParams('destructive-verbs', req)?.deletable ?? {}) as Record<string, string[]>;
    return denied(v) === !(deletable[req.namespace ?? ''] ?? []).includes(key(req));
  },
  // I1 by proxy: an agent's CREATE or UPDATE that changes owner references, or an eviction, is denied
  // unless the fleet lets it delete that resource there; one that touches nothing Kubernetes deletes
  // by is allowed; nobody else and no DELETE is ever denied.
  'deletion-by-proxy': (req, v) => {
    if (!isAgent(req) || !['CREATE', 'UPDATE'].includes(req.operation)) return !denied(v);
    const deletable = (agentParams('deletion-by-proxy', req)?.deletable ?? {}) as Record<string, string[]>;
    const mayDelete = (resource: string) => (deletable[req.namespace ?? ''] ?? []).includes(resource);
    const meta = (o: Record<string, unknown> | null) =>
      (o?.metadata ?? {}) as {
        ownerReferences?: unknown[];
        finalizers?: unknown[];
        deletionTimestamp?: string;
      };
    const owners = (o: Record<string, unknown> | null) =>
      (meta(o).ownerReferences ?? [])
        .map((r) => JSON.stringify(r))
        .sort()
        .join('\n');
    if (key(req) === 'pods/eviction') return denied(v) === !mayDelete('pods');
    if (
      owners(req.object) !== owners(req.operation === 'UPDATE' ? req.oldObject : null) &&
      !mayDelete(key(req))
    )
      return denied(v);
    if (req.operation === 'CREATE') return true;
    const watched = (o: Record<string, unknown> | null) =>
      JSON.stringify([
        owners(o),
        [...(meta(o).finalizers ?? [])].sort(),
        (o?.spec as Record<string, unknown> | undefined)?.ttlSecondsAfterFinished,
        (o?.spec as Record<string, unknown> | undefined)?.revisionHistoryLimit,
        (o?.spec as Record<string, unknown> | undefined)?.successfulJobsHistoryLimit,
      ]);
    return watched(req.object) !== watched(req.oldObject) || !denied(v);
  },
  // I2: an agent writing RBAC, network policies, gatekeeper or webhook objects, or anything in its own namespace, is denied.
  'no-self-escalation': (req, v) => {
    if (!isAgent(req) || !mutation(req)) return !denied(v);
    const own = agentParams('no-self-escalation', req)?.namespace;
    const guarded =
      /^(rbac\.authorization\.k8s\.io|admissionregistration\.k8s\.io|.*gatekeeper\.sh)$/.test(
        req.resource.group,
      ) ||
      req.resource.resource.endsWith('networkpolicies') ||
      ['exec', 'ephemeralcontainers'].includes(req.subResource ?? '') ||
      req.namespace === own;
    return !guarded || denied(v);
  },
  // I3: an agent mutation with no attribution at all is denied; so is a signed-mode agent's mutation
  // unless every delegation it carries where admission reads one (the annotation only on a request
  // with a body of its own, userInfo.extra always) is one the pool says can pass, and there is one.
  attribution: (req, v) => {
    if (!isAgent(req) || !mutation(req)) return !denied(v);
    const annotations = ((req.object?.metadata as { annotations?: object } | undefined)?.annotations ??
      {}) as Record<string, string>;
    const unattributed = Object.keys(annotations).length === 0 && !req.userInfo.extra;
    if (unattributed) return denied(v);
    if (agentParams('attribution', req)?.mode !== 'signed') return true;
    const usable = req.operation !== 'DELETE' && !req.subResource;
    const tokens = [
      ...(usable && annotations['agentguard.dev/delegation']
        ? [annotations['agentguard.dev/delegation']]
        : []),
      ...(req.userInfo.extra?.['agentguard.dev/delegation'] ?? []),
    ];
    const mayPass = tokens.length > 0 && tokens.every((t) => pool.get(t)?.verdict === 'passes');
    return mayPass || denied(v);
  },
  // I4: over-cap increases are denied; lowering never is.
  'replica-limits': (req, v) => {
    if (!isAgent(req) || !['CREATE', 'UPDATE'].includes(req.operation)) return !denied(v);
    const cap = agentParams('replica-limits', req)?.maxReplicas as number;
    const spec = (req.object?.spec ?? {}) as { replicas?: unknown; maxReplicas?: unknown };
    const oldSpec = (req.oldObject?.spec ?? {}) as { replicas?: unknown; maxReplicas?: unknown };
    const value = spec.replicas ?? spec.maxReplicas;
    const old = oldSpec.replicas ?? oldSpec.maxReplicas;
    const whole = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (whole(value) && whole(old) && req.operation === 'UPDATE' && value <= old) return !denied(v);
    if (whole(value) && value > cap && req.operation === 'CREATE') return denied(v);
    return true;
  },
  // I5: shadow never mutates; advisory only as dry-run.
  'trust-phase': (req, v) => {
    if (!isAgent(req) || !mutation(req)) return !denied(v);
    const phase = agentParams('trust-phase', req)?.phase;
    if (phase === 'shadow' || (phase === 'advisory' && !req.dryRun)) return denied(v);
    return true;
  },
  // I6: an engaged agent is denied everything; everyone else is untouched.
  'kill-switch': (req, v) => denied(v) === (req.userInfo.username === AGENTS.capacityReport),
  // I2: a pod an agent writes that runs as an unlisted ServiceAccount, reaches an unlisted Secret,
  // projects a token, uses the host network or runs an image from outside its target's registries
  // is denied; nobody else's requests, and no DELETE, are touched.
  'agent-pods': (req, v) => {
    if (!isAgent(req) || !['CREATE', 'UPDATE'].includes(req.operation)) return !denied(v);
    const pod = podOf(req.object);
    if (!pod) return !denied(v);
    const allowance = ((agentParams('agent-pods', req)?.namespaces ?? {}) as Record<string, PodAllowance>)[
      req.namespace ?? ''
    ];
    const allowed = (field: keyof PodAllowance, value: string) => allowance?.[field].includes(value) ?? false;
    const containers = (pod.containers ?? []) as Record<string, unknown>[];
    const secretNames = [
      ...containers.flatMap((c) =>
        ((c.env ?? []) as { valueFrom?: { secretKeyRef?: { name: string } } }[]).flatMap((e) =>
          e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [],
        ),
      ),
      ...containers.flatMap((c) =>
        ((c.envFrom ?? []) as { secretRef?: { name: string } }[]).flatMap((e) =>
          e.secretRef ? [e.secretRef.name] : [],
        ),
      ),
      ...((pod.volumes ?? []) as { secret?: { secretName: string } }[]).flatMap((vol) =>
        vol.secret ? [vol.secret.secretName] : [],
      ),
    ];
    const account = pod.serviceAccountName as string | undefined;
    const escalates =
      secretNames.some((name) => !allowed('secrets', name)) ||
      (account !== undefined && !['', 'default'].includes(account) && !allowed('serviceAccounts', account)) ||
      JSON.stringify(pod.volumes ?? []).includes('serviceAccountToken') ||
      pod.hostNetwork === true ||
      containers.some(
        (c) =>
          !(allowance?.registries ?? []).some((r) => String(c.image).startsWith(`${r}/`)) ||
          (c.securityContext as { privileged?: boolean } | undefined)?.privileged === true,
      );
    return !escalates || denied(v);
  },
  // I7: a pod running as root or with privilege escalation is denied, whoever sends it.
  'hardened-pods': (req, v) => {
    if (req.operation === 'DELETE' || req.resource.resource !== 'pods' || req.subResource) return true;
    const containers = ((req.object?.spec as { containers?: { securityContext?: Record<string, unknown> }[] })
      ?.containers ?? []) as { securityContext?: Record<string, unknown> }[];
    const bad = containers.some(
      (c) => c.securityContext?.runAsUser === 0 || c.securityContext?.allowPrivilegeEscalation !== false,
    );
    return !bad || denied(v);
  },
};

describe.each(policyCatalog().map((p) => [p.folder, p.id] as const))('fuzz rego/%s', (folder, id) => {
  it(`holds its invariant over ${RUNS} random reviews, without evaluation errors`, async () => {
    const parameters = params[folder as keyof PackParameters];
    const invariant = INVARIANTS[folder as keyof PackParameters];
    let deniedCount = 0;
    await fc.assert(
      fc.asyncProperty(admissionRequest, async (review) => {
        const violations = await evaluate(folder, review, parameters, at);
        if (violations.length > 0) deniedCount += 1;
        for (const v of violations) expect(v.msg.startsWith(`[${id}] `)).toBe(true);
        expect(invariant(review as unknown as Req, violations)).toBe(true);
      }),
      { numRuns: RUNS, seed: 20261122 },
    );
    // The generator reaches both outcomes; a fuzz run that never denies proves nothing.
    expect(deniedCount).toBeGreaterThan(RUNS / 100);
    expect(deniedCount).toBeLessThan(RUNS);
  }, 120_000);
});

describe('fuzz rego/attribution, signed mode', () => {
  it('sees every pooled delegation on release-bot requests, and some pass', async () => {
    const seen = new Set<string>();
    let allowed = 0;
    const parameters = params.attribution;
    for (const review of fc.sample(admissionRequest, { numRuns: RUNS, seed: 20261203 })) {
      const req = review as unknown as Req;
      if (req.userInfo.username !== AGENTS.releaseBot || !mutation(req)) continue;
      const token = (req.object?.metadata as { annotations?: Record<string, string> } | undefined)
        ?.annotations?.['agentguard.dev/delegation'];
      if (token) seen.add(pool.get(token)!.name);
      if ((await evaluate('attribution', review, parameters, at)).length === 0) allowed += 1;
    }
    expect([...seen].sort()).toEqual([...pool.values()].map((d) => d.name).sort());
    expect(allowed).toBeGreaterThan(0);
  }, 60_000);
});
