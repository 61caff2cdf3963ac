/**
 * Where an agent's pods may connect, read from the NetworkPolicies of its namespace the way the
 * cluster applies them: only policies whose podSelector selects the pods' labels (lib/selectors.ts)
 * and that govern Egress count; their allowances add up; a selecting policy without rules (the
 * default deny) adds nothing. No selecting Egress policy at all would mean no restriction.
 */
import { selectorMatches, type Labels, type LabelSelector } from '../../lib/selectors';
import type { EgressRow } from './model';

interface Peer {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface NetworkPolicyObject {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes?: readonly string[];
    readonly egress?: readonly {
      readonly to?: readonly Peer[];
      readonly ports?: readonly { readonly protocol?: string; readonly port?: number | string }[];
    }[];
  };
}

const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

function describeSelector(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(
      (e) => `${e.key} ${e.operator} (${(e.values ?? []).join(', ')})`,
    ),
  ];
  return parts.length === 0 ? 'all' : parts.join(', ');
}

function describePeer(peer: Peer): string {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(', ')}` : '';
    return `CIDR ${peer.ipBlock.cidr}${except}`;
  }
  const ns = peer.namespaceSelector;
  const named = ns?.matchLabels?.[NAMESPACE_NAME];
  const where =
    ns === undefined
      ? 'its own namespace'
      : named !== undefined && Object.keys(ns.matchLabels ?? {}).length === 1 && !ns.matchExpressions?.length
        ? `namespace ${named}`
        : `namespaces with ${describeSelector(ns)}`;
  return peer.podSelector ? `pods with ${describeSelector(peer.podSelector)} in ${where}` : where;
}

/** The egress allowances that apply to pods with these labels in this namespace, sorted. */
export function egressOf(
  policies: readonly NetworkPolicyObject[],
  namespace: string,
  podLabels: Labels,
): EgressRow[] {
  const selecting = policies.filter(
    (p) =>
      p.metadata.namespace === namespace &&
      (p.spec.policyTypes ?? ['Ingress']).includes('Egress') &&
      selectorMatches(p.spec.podSelector, podLabels),
  );
  if (selecting.length === 0) {
    return [{ destination: 'anywhere (no NetworkPolicy restricts egress)', ports: 'all', policy: '-' }];
  }
  const rows: EgressRow[] = [];
  for (const policy of selecting) {
    for (const rule of policy.spec.egress ?? []) {
      const ports =
        (rule.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port ?? 'all'}`).join(', ') || 'all';
      const peers = rule.to?.length ? rule.to.map(describePeer) : ['anywhere'];
      for (const destination of peers) rows.push({ destination, ports, policy: policy.metadata.name });
    }
  }
  const key = (r: EgressRow) => `${r.destination}\n${r.ports}\n${r.policy}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
