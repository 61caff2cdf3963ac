/**
 * What an agent can effectively do in Kubernetes: its RBAC (bound Roles) intersected with the verb
 * gates of the admission pack, read from the synthesized constraints the way admission.ts reads them.
 * RBAC says which requests the API server authorizes; Gatekeeper then sees every mutating request:
 * AG601 (kill switch) denies all of them, AG501 (trust phase) allows none in shadow, only server-side
 * dry-runs in advisory and only allowlisted resources per verb, and AG101 denies DELETE except of
 * what is deletable. Reads never reach admission. Which phase mutates how comes from lib/phases.
 *
 * A constraint counts only where it blocks: in deny mode and not exempting the namespace. A warn or
 * dryrun rollout (or an exemption) leaves the RBAC verb effective, with a note that names it.
 */
import { MANAGEABLE_KINDS } from '../../lib/kinds';
import { PHASE_PROFILES } from '../../lib/phases';
import { constraintMatches, type AppliedConstraint } from '../../policies/match';
import type {
  DestructiveVerbsParameters,
  KillSwitchParameters,
  TrustPhaseParameters,
} from '../../policies/parameters';
import type { AccessRow } from './model';

/** How a verb the RBAC grants fares at admission. */
export type EffectiveMode = 'allowed' | 'dry-run only';

export interface EffectiveRow {
  readonly namespace: string;
  readonly mode: EffectiveMode;
  readonly verbs: readonly string[];
  /** As admission names them: `configmaps`, `deployments.apps`, `deployments.apps/scale`. */
  readonly resources: readonly string[];
  /** Admission rules that would narrow this but do not block (warn or dryrun rollout, exemption). */
  readonly notBlockedBy: readonly string[];
}

const OPERATION: Readonly<Record<string, 'create' | 'update' | 'delete' | undefined>> = {
  create: 'create',
  update: 'update',
  patch: 'update', // a patch reaches admission as an UPDATE
  delete: 'delete',
};

/** `deployments/scale` in `apps` → `deployments.apps/scale`, the key AG101 and AG501 list. */
export function resourceKeyOf(apiGroup: string, resource: string): string {
  const [base, ...sub] = resource.split('/');
  return [apiGroup === '' ? base : `${base}.${apiGroup}`, ...sub].join('/');
}

/** A verdict of one gate on one request: undefined when the gate lets it through. */
type Verdict = 'denied' | 'dry-run only' | undefined;
type Gate = (parameters: unknown, username: string, namespace: string, key: string, op: string) => Verdict;

/**
 * The verb gates. Synth writes one constraint per policy and enforcement action, each naming only
 * the agents under that action, so a gate says nothing about an agent its parameters do not name.
 */
const GATES: Readonly<Record<string, Gate>> = {
  'kill-switch': (p, u) => ((p as KillSwitchParameters).agents[u] ? 'denied' : undefined),
  'trust-phase': (p, u, ns, key, op) => {
    const entry = (p as TrustPhaseParameters).agents[u];
    if (!entry) return undefined;
    const mutations = PHASE_PROFILES[entry.phase]?.mutations ?? 'none';
    if (mutations === 'none') return 'denied';
    const allowlist = entry.namespaces[ns]?.[op as 'create' | 'update' | 'delete'] ?? [];
    if (!allowlist.includes(key)) return 'denied';
    return mutations === 'dry-run-only' ? 'dry-run only' : undefined;
  },
  'destructive-verbs': (p, u, ns, key, op) => {
    // An agent absent from this constraint is under another one (its own enforcement action).
    const entry = (p as DestructiveVerbsParameters).agents[u];
    return entry && op === 'delete' && !(entry.deletable[ns] ?? []).includes(key) ? 'denied' : undefined;
  },
};

function requestKind(apiGroup: string, resource: string): { group: string; kind: string } {
  const base = resource.split('/')[0];
  const known = Object.values(MANAGEABLE_KINDS).find((k) => k.group === apiGroup && k.resource === base);
  return { group: apiGroup, kind: known?.kind ?? base };
}

/** Effective rows per namespace, grouped by mode, verbs and notes; unbound Roles grant nothing. */
export function effectiveAccessOf(
  constraints: readonly AppliedConstraint[],
  username: string,
  access: readonly AccessRow[],
): EffectiveRow[] {
  const gates = constraints.filter((c) => GATES[c.policy.folder] !== undefined);
  // namespace → mode → notes → resource → verbs, in the order RBAC lists them
  const cells = new Map<string, { mode: EffectiveMode; notes: string[]; key: string; verbs: string[] }[]>();
  for (const row of access.filter((r) => r.bound)) {
    for (const resource of row.resources) {
      const key = resourceKeyOf(row.apiGroup, resource);
      const kind = requestKind(row.apiGroup, resource);
      for (const verb of row.verbs) {
        const op = OPERATION[verb];
        let mode: EffectiveMode | undefined = 'allowed';
        const notes: string[] = [];
        for (const c of op === undefined ? [] : gates) {
          const verdict = GATES[c.policy.folder](c.parameters, username, row.namespace, key, op as string);
          if (verdict === undefined) continue;
          const applies = constraintMatches(c.match, { namespace: row.namespace, kind });
          if (c.enforcementAction !== 'deny' || !applies) {
            notes.push(`${c.policy.id} ${applies ? c.enforcementAction : 'exempt'}`);
          } else if (verdict === 'denied') {
            mode = undefined;
          } else if (mode !== undefined) {
            mode = verdict;
          }
        }
        if (mode === undefined) continue;
        const list = cells.get(row.namespace) ?? [];
        cells.set(row.namespace, list);
        const sortedNotes = [...new Set(notes)].sort();
        const same = list.find((c) => c.mode === mode && c.key === key && sameList(c.notes, sortedNotes));
        if (same) same.verbs.push(verb);
        else list.push({ mode, notes: sortedNotes, key, verbs: [verb] });
      }
    }
  }
  const rows: EffectiveRow[] = [];
  for (const [namespace, list] of [...cells].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // One row per (mode, verbs, notes), listing every resource that has exactly those.
    for (const c of list) {
      const verbs = [...new Set(c.verbs)];
      const row = rows.find(
        (r) =>
          r.namespace === namespace &&
          r.mode === c.mode &&
          sameList(r.verbs, verbs) &&
          sameList(r.notBlockedBy, c.notes),
      );
      if (row) (row.resources as string[]).push(c.key);
      else rows.push({ namespace, mode: c.mode, verbs, resources: [c.key], notBlockedBy: c.notes });
    }
  }
  return rows.map((r) => ({ ...r, resources: [...new Set(r.resources)].sort() }));
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
