/**
 * Where each agent lives in Vault. Every agent gets an auth mount of its own, so revoking the prefix
 * of that mount's logins revokes this agent's tokens and no other's (a shared `auth/kubernetes/login`
 * prefix would revoke every agent). Its secrets-engine leases sit under a role of its own.
 */
import type { Agent, Fleet } from '../fleet/schema';
import { agentRoleName } from '../naming';

export interface AgentVaultLayout {
  /** ACL policy the agent's tokens carry. */
  readonly policy: string;
  /** ACL policy of the agent's kill-switch operator. */
  readonly operatorPolicy: string;
  /** The agent's own Kubernetes auth mount, without `auth/`. */
  readonly authMount: string;
  /** Role on that mount; named after the agent (its ServiceAccount). */
  readonly authRole: string;
  /** Mount of the shared Kubernetes secrets engine. */
  readonly secretsMount: string;
  /** The agent's role on the secrets engine, issuing tokens for its ServiceAccount. */
  readonly secretsRole: string;
  /** Lease prefix of every token the agent's auth mount issued. */
  readonly authLeasePrefix: string;
  /** Lease prefix of every Kubernetes credential issued for the agent. */
  readonly credsLeasePrefix: string;
}

export function agentVaultLayout(fleet: Fleet, agent: Pick<Agent, 'name'>): AgentVaultLayout {
  const { kubernetesAuthPath, kubernetesSecretsPath } = fleet.spec.vault;
  const authMount = `${kubernetesAuthPath}-${agent.name}`;
  const secretsRole = agentRoleName(agent);
  return {
    // Distinct prefixes: no agent name can make one agent's policy name another's operator policy.
    policy: `agentguard-agent-${agent.name}`,
    operatorPolicy: `agentguard-kill-switch-${agent.name}`,
    authMount,
    authRole: agent.name,
    secretsMount: kubernetesSecretsPath,
    secretsRole,
    // Vault appends "/" to a revoke prefix, so "…-bot" never matches "…-bot-2".
    authLeasePrefix: `auth/${authMount}/login`,
    credsLeasePrefix: `${kubernetesSecretsPath}/creds/${secretsRole}`,
  };
}
