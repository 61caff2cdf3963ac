/**
 * A Vault ACL policy as a typed value: path rules with capabilities. `vaultPolicy` normalizes it
 * (one rule per path, paths sorted, capabilities in canonical order) so rendering is deterministic.
 */
import { CAPABILITIES, isCapability, type Capability } from './capabilities';

export interface PathRule {
  /** Vault path; `*` only as the last character, `+` for one whole segment. */
  readonly path: string;
  readonly capabilities: readonly Capability[];
}

export interface VaultPolicy {
  readonly name: string;
  /** One rule per path, sorted by path. */
  readonly rules: readonly PathRule[];
}

const POLICY_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Characters a path may hold; keeps HCL quoting trivial (no `"`, `\`, `${` or `%{`). */
const PATH_CHARS = /^[A-Za-z0-9_.\-/+*]+$/;

export class VaultPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultPolicyError';
  }
}

/** Builds a normalized policy; throws when a name, path or capability is malformed. */
export function vaultPolicy(name: string, rules: readonly PathRule[]): VaultPolicy {
  if (!POLICY_NAME.test(name)) {
    throw new VaultPolicyError(`policy name "${name}" is invalid; use lowercase letters, digits and '-'`);
  }
  const byPath = new Map<string, Set<Capability>>();
  for (const rule of rules) {
    if (!PATH_CHARS.test(rule.path) || rule.path.startsWith('/')) {
      throw new VaultPolicyError(
        `policy "${name}": path "${rule.path}" is invalid; use a relative Vault path of letters, digits, '_', '.', '-', '/', '+' and a final '*'`,
      );
    }
    const star = rule.path.indexOf('*');
    if (star !== -1 && star !== rule.path.length - 1) {
      throw new VaultPolicyError(
        `policy "${name}": path "${rule.path}" has a * before its end; Vault allows * only as the last character`,
      );
    }
    if (rule.capabilities.length === 0) {
      throw new VaultPolicyError(
        `policy "${name}": path "${rule.path}" has no capabilities; name at least one`,
      );
    }
    const caps = byPath.get(rule.path) ?? new Set<Capability>();
    for (const cap of rule.capabilities) {
      if (!isCapability(cap)) {
        throw new VaultPolicyError(
          `policy "${name}": path "${rule.path}": capability "${String(cap)}" is not one of ${CAPABILITIES.join(', ')}`,
        );
      }
      caps.add(cap);
    }
    byPath.set(rule.path, caps);
  }
  return {
    name,
    rules: [...byPath.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, caps]) => ({ path, capabilities: CAPABILITIES.filter((c) => caps.has(c)) })),
  };
}
