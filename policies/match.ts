/**
 * Which constraints of the pack apply to an admission request. Gatekeeper applies a constraint's
 * `match` before any Rego runs, so evaluating the Rego alone says nothing about requests the
 * constraint does not select; the differential test and `agentguard check` both decide it here.
 *
 * Supported `match` fields (Gatekeeper's semantics): `scope` (`*`, `Cluster`, `Namespaced`),
 * `namespaces` and `excludedNamespaces` (exact names or a trailing `*` prefix glob; they filter only
 * requests that name a namespace, and a Namespace object by its own name), and `kinds` (`apiGroups` and `kinds`, `*` for any). Any other
 * field is refused rather than ignored, so a pack that starts using one cannot be silently misjudged.
 */
import { strictest } from '../lib/enforcement';
import { ENFORCEMENT_ACTIONS, type EnforcementAction } from '../lib/fleet/schema';
import type { PolicyConstraints } from './policy-pack';
import { policyCatalog, type PolicyEntry } from './catalog';

export interface KindMatch {
  readonly apiGroups: readonly string[];
  readonly kinds: readonly string[];
}

export interface ConstraintMatch {
  readonly scope?: string;
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
  readonly kinds?: readonly KindMatch[];
}

/** The fields of an AdmissionRequest that `match` looks at. */
export interface MatchedRequest {
  readonly namespace?: unknown;
  readonly name?: unknown;
  readonly kind?: unknown;
}

const SUPPORTED = new Set(['scope', 'namespaces', 'excludedNamespaces', 'kinds']);

const globMatches = (patterns: readonly string[], value: string): boolean =>
  patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : p === value));

const listed = (values: readonly string[], value: string): boolean =>
  values.includes('*') || values.includes(value);

/** Whether a constraint with this `match` selects the request. */
export function constraintMatches(match: ConstraintMatch, request: MatchedRequest): boolean {
  for (const field of Object.keys(match)) {
    if (!SUPPORTED.has(field)) throw new Error(`constraint match field "${field}" is not supported`);
  }
  const kind = (request.kind ?? {}) as { group?: string; kind?: string };
  const namespace =
    typeof request.namespace === 'string' && request.namespace !== '' ? request.namespace : undefined;
  // Gatekeeper matches a Namespace object's own name against namespaces and excludedNamespaces, so
  // an exempted namespace exempts its Namespace object too; scope still sees it as cluster-scoped.
  const ownName =
    (kind.group ?? '') === '' && kind.kind === 'Namespace' && typeof request.name === 'string'
      ? request.name
      : undefined;
  const listedAs = namespace ?? (ownName !== '' ? ownName : undefined);
  if (match.scope === 'Namespaced' && namespace === undefined) return false;
  if (match.scope === 'Cluster' && namespace !== undefined) return false;
  if (listedAs !== undefined) {
    if (match.namespaces && !globMatches(match.namespaces, listedAs)) return false;
    if (match.excludedNamespaces && globMatches(match.excludedNamespaces, listedAs)) return false;
  }
  return (
    !match.kinds ||
    match.kinds.some((k) => listed(k.apiGroups, kind.group ?? '') && listed(k.kinds, kind.kind ?? ''))
  );
}

/** One synthesized Constraint, as Gatekeeper would read it. */
export interface AppliedConstraint {
  readonly policy: PolicyEntry;
  readonly name: string;
  readonly match: ConstraintMatch;
  readonly parameters: unknown;
  /** What Gatekeeper's webhook does with its violations: deny, warn or dryrun (audit only); see webhookAction. */
  readonly enforcementAction: EnforcementAction;
}

interface ConstraintShape {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly match?: ConstraintMatch;
    readonly parameters?: unknown;
    readonly enforcementAction?: string;
    readonly scopedEnforcementActions?: readonly ScopedEnforcementAction[];
  };
}

interface ScopedEnforcementAction {
  readonly action: string;
  readonly enforcementPoints: readonly { readonly name: string }[];
}

/** Gatekeeper's validating webhook, as a scoped enforcement action names it. */
const WEBHOOK = 'validation.gatekeeper.sh';

/**
 * What Gatekeeper's webhook does with a violation of the constraint: its `enforcementAction`
 * (`deny` when absent), or for `scoped` the strictest action listed for the webhook (or `*`);
 * undefined when the webhook does not enforce the constraint at all.
 */
export function webhookAction(spec: ConstraintShape['spec'], name: string): EnforcementAction | undefined {
  const known = (action: string): EnforcementAction => {
    if ((ENFORCEMENT_ACTIONS as readonly string[]).includes(action)) return action as EnforcementAction;
    throw new Error(
      `constraint ${name}: enforcement action "${action}" is not one of ${ENFORCEMENT_ACTIONS.join(', ')}, scoped`,
    );
  };
  const action = spec.enforcementAction ?? 'deny';
  if (action !== 'scoped') return known(action);
  const actions = (spec.scopedEnforcementActions ?? [])
    .filter((s) => s.enforcementPoints.some((p) => p.name === WEBHOOK || p.name === '*'))
    .map((s) => known(s.action));
  return actions.length === 0 ? undefined : strictest(actions);
}

/** The constraints of a synthesized chart, each with its policy, read from the objects themselves. */
export function appliedConstraints(chart: PolicyConstraints): AppliedConstraint[] {
  const byKind = new Map(policyCatalog().map((p) => [p.kind, p]));
  return (chart.toJson() as ConstraintShape[]).flatMap((constraint) => {
    const policy = byKind.get(constraint.kind);
    if (!policy) throw new Error(`constraint kind ${constraint.kind} has no policy in the catalog`);
    const enforcementAction = webhookAction(constraint.spec, constraint.metadata.name);
    if (enforcementAction === undefined) return [];
    return [
      {
        policy,
        name: constraint.metadata.name,
        match: constraint.spec.match ?? {},
        parameters: constraint.spec.parameters ?? {},
        enforcementAction,
      },
    ];
  });
}
