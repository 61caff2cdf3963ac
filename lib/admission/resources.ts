/**
 * The plural resource of a kind, as an AdmissionRequest's `resource` spells it. A file of manifests
 * carries kinds, not resources, and offline there is no API discovery to ask, so: the kinds agentguard
 * knows (lib/kinds.ts) and the core kinds with irregular plurals come from a table; any other kind
 * gets the guess Kubernetes itself makes without discovery (`meta.UnsafeGuessKindToResource` in
 * k8s.io/apimachinery): lowercase, then `s` → `ses`, `y` → `ies`, else `+s`.
 */
import { MANAGEABLE_KINDS } from '../kinds';

const IRREGULAR: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  PodSecurityPolicy: 'podsecuritypolicies',
};

const key = (group: string, kind: string) => `${group}/${kind}`;

const KNOWN = new Map<string, string>(
  Object.values(MANAGEABLE_KINDS).map((k) => [key(k.group, k.kind), k.resource]),
);

/** Kubernetes' discovery-free guess (UnsafeGuessKindToResource). */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === '') return '';
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function resourceFor(group: string, kind: string): string {
  return KNOWN.get(key(group, kind)) ?? IRREGULAR[kind] ?? guessResource(kind);
}
