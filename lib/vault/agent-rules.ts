/**
 * What no agent policy may hold, whatever the fleet says: `sudo`, anything under `sys/`, writes under
 * `auth/` or `identity/`, and wildcards that reach above the agent's own prefix (into other agents'
 * secrets). Every problem names the agent, the path and the fix.
 */
import { WRITE_CAPABILITIES } from './capabilities';
import { VaultPolicyError, type PathRule } from './policy';

/** Prefixes whose writes would let a token mint tokens, change roles or rewrite identities. */
const NO_WRITE_PREFIXES = ['auth/', 'identity/'];

function under(path: string, prefix: string): boolean {
  return path === prefix.slice(0, -1) || path.startsWith(prefix);
}

/** The problems of one rule in the policy of agent `agentName`; empty when the rule is acceptable. */
export function agentRuleProblems(agentName: string, rule: PathRule): string[] {
  const problems: string[] = [];
  const at = `agent "${agentName}": Vault path "${rule.path}"`;
  if (rule.capabilities.includes('sudo')) {
    problems.push(`${at}: "sudo" opens root-protected endpoints to the agent; remove it`);
  }
  if (under(rule.path, 'sys/')) {
    problems.push(`${at}: sys/ configures Vault itself (policies, mounts, leases); no agent may reach it`);
  }
  const writes = rule.capabilities.filter((c) => WRITE_CAPABILITIES.includes(c));
  const prefix = NO_WRITE_PREFIXES.find((p) => under(rule.path, p));
  if (prefix && writes.length > 0) {
    problems.push(
      `${at}: ${writes.join(', ')} under ${prefix} could create roles, tokens or identities; grant read at most`,
    );
  }
  const wildcard = rule.path.search(/[*+]/);
  if (wildcard !== -1) {
    const fixed = rule.path.slice(0, wildcard).split('/').slice(0, -1);
    if (!fixed.includes(agentName)) {
      problems.push(
        `${at}: the wildcard reaches above the agent's own prefix (no "${agentName}" segment before it), so it covers other agents' paths; scope it, e.g. "${fixed.join('/')}/${agentName}/*", or list exact paths`,
      );
    }
  }
  return problems;
}

/** Throws one error listing every problem of an agent's rules. */
export function assertAgentRules(agentName: string, rules: readonly PathRule[]): void {
  const problems = rules.flatMap((rule) => agentRuleProblems(agentName, rule));
  if (problems.length > 0) {
    throw new VaultPolicyError(
      `the Vault policy of agent "${agentName}" is refused (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`,
    );
  }
}
