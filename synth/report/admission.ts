/**
 * What the admission pack enforces for one agent, read from the synthesized constraints: each policy's
 * parameters for the agent's username (and hardened-pods' match), in words a reviewer checks.
 */
import type { AppliedConstraint } from '../../policies/match';
import type {
  AgentPodsParameters,
  AttributionParameters,
  DeletionByProxyParameters,
  DestructiveVerbsParameters,
  KillSwitchParameters,
  NamespaceAllowlist,
  NoSelfEscalationParameters,
  ReplicaLimitsParameters,
  TrustPhaseParameters,
} from '../../policies/parameters';
import type { AdmissionRow } from './model';

const list = (values: readonly string[]) => (values.length === 0 ? 'nothing' : values.join(', '));

function allowlist(namespaces: Record<string, NamespaceAllowlist>): string {
  return Object.entries(namespaces)
    .map(([ns, a]) => `${ns}: create ${list(a.create)}; update ${list(a.update)}; delete ${list(a.delete)}`)
    .join(' / ');
}

type Describe = (
  parameters: unknown,
  username: string,
  namespace: string,
  c: AppliedConstraint,
) => string | undefined;

const DESCRIBE: Readonly<Record<string, Describe>> = {
  'destructive-verbs': (p, u) => {
    const deletable = (p as DestructiveVerbsParameters).agents[u]?.deletable ?? {};
    const allowed = Object.entries(deletable).map(([ns, r]) => `${r.join(', ')} in ${ns}`);
    return allowed.length === 0 ? 'DELETE denied everywhere' : `DELETE denied except ${allowed.join('; ')}`;
  },
  'deletion-by-proxy': (p, u) => {
    const deletable = (p as DeletionByProxyParameters).agents[u]?.deletable ?? {};
    const allowed = Object.entries(deletable).map(([ns, r]) => `${r.join(', ')} in ${ns}`);
    const what =
      'no deletes through Kubernetes (ownerReferences, finalizers, TTL and history limits, PVC retention, evictions)';
    return allowed.length === 0 ? `${what} anywhere` : `${what} except of ${allowed.join('; ')}`;
  },
  'no-self-escalation': (p, u) => {
    const own = (p as NoSelfEscalationParameters).agents[u]?.namespace;
    return own === undefined
      ? undefined
      : `no changes to RBAC, ServiceAccounts and tokens, NetworkPolicies, Namespaces, webhooks, CRDs, Gatekeeper objects, or anything in ${own}`;
  },
  attribution: (p, u) => {
    const entry = (p as AttributionParameters).agents[u];
    if (!entry) return undefined;
    if (entry.initiators.length === 0) return 'every mutation denied: no initiators are listed for it';
    if (entry.mode === 'signed') {
      const issuers = (p as AttributionParameters).issuers;
      const names = entry.issuers.map((n) => `${n} (${issuers[n]?.issuer ?? 'unknown'})`).join(', ');
      return `signed attribution: every mutation needs a delegation signed by ${names} for a human matching ${entry.initiators.join(', ')}, this agent and its W3C traceparent's trace`;
    }
    return `claimed attribution: every mutation needs an initiator (${entry.initiators.join(', ')}) and a W3C traceparent; the agent writes both, so they are claims`;
  },
  'replica-limits': (p, u) => {
    const cap = (p as ReplicaLimitsParameters).agents[u]?.maxReplicas;
    return cap === undefined
      ? undefined
      : `replicas, scale subresource, HPA maxReplicas and Job parallelism capped at ${cap}; scaling down always allowed`;
  },
  'trust-phase': (p, u) => {
    const entry = (p as TrustPhaseParameters).agents[u];
    if (!entry) return undefined;
    const mode =
      entry.phase === 'shadow'
        ? 'no mutations (shadow: read only)'
        : entry.phase === 'advisory'
          ? 'mutations only as server-side dry-run (advisory)'
          : `mutations of allowlisted kinds only (${entry.phase})`;
    const namespaces = allowlist(entry.namespaces);
    return namespaces === '' ? mode : `${mode}; ${namespaces}`;
  },
  'kill-switch': (p, u) => {
    const engaged = (p as KillSwitchParameters).agents[u];
    return engaged
      ? `every request denied: engaged by ${engaged.engagedBy} (${engaged.reason})`
      : 'not engaged: no effect';
  },
  'agent-pods': (p, u) =>
    (p as AgentPodsParameters).agents[u]
      ? 'every pod it writes, anywhere, must be hardened and may use only the ServiceAccounts, Secrets, claims, CSI drivers and registries listed per target (see Pods it writes)'
      : undefined,
  'hardened-pods': (_p, _u, namespace, c) =>
    (c.match.namespaces ?? []).includes(namespace)
      ? `pods and pod templates in ${namespace} must be hardened (restricted PSS, read-only root, limits, no token automount, pinned images)`
      : undefined,
};

export function admissionOf(
  constraints: readonly AppliedConstraint[],
  username: string,
  namespace: string,
): AdmissionRow[] {
  const rows: AdmissionRow[] = [];
  for (const c of constraints) {
    const describe = DESCRIBE[c.policy.folder];
    if (!describe) throw new Error(`the report has no description for policy rego/${c.policy.folder}`);
    const effect = describe(c.parameters, username, namespace, c);
    if (effect === undefined) continue;
    // The mode only when it is not deny, so a reviewer sees at once what does not block.
    const mode =
      c.enforcementAction === 'warn'
        ? 'WARN ONLY (not denied): '
        : c.enforcementAction === 'dryrun'
          ? 'DRYRUN ONLY (audit, not denied): '
          : '';
    const exempt = c.match.excludedNamespaces ?? [];
    const objects = (c.parameters as { exemptObjects?: string[] } | null)?.exemptObjects ?? [];
    const exemptions =
      (exempt.length > 0 ? `; not in exempted namespaces ${exempt.join(', ')}` : '') +
      (objects.length > 0 ? `; not for exempted objects ${objects.join(', ')}` : '');
    rows.push({ policy: c.policy.id, title: c.policy.title, effect: `${mode}${effect}${exemptions}` });
  }
  return rows.sort((a, b) => (a.policy < b.policy ? -1 : 1));
}
