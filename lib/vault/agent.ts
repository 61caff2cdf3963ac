/**
 * The Vault model of one agent: its policy, its kill-switch operator's policy, and the roles that issue
 * it credentials. Pure data, validated here; the CDKTF constructs only render it.
 */
import type { Agent, Fleet } from '../fleet/schema';
import { vaultCapabilitiesAllowed, vaultTtls, type VaultTtls } from '../phases';
import { assertAgentRules } from './agent-rules';
import { isCapability } from './capabilities';
import { agentVaultLayout, type AgentVaultLayout } from './layout';
import { vaultPolicy, VaultPolicyError, type PathRule, type VaultPolicy } from './policy';

/** Kubernetes auth role: exactly the agent's ServiceAccount in its namespace. */
export interface AuthRoleModel {
  readonly mount: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly namespace: string;
  readonly audience: string;
  /** Only the agent's policy; `default` is never added (see README, "Vault stack"). */
  readonly policies: readonly string[];
  readonly ttls: VaultTtls;
}

/**
 * Kubernetes secrets-engine role in `service_account_name` mode: Vault issues short-lived tokens for
 * the agent's own ServiceAccount. Every request then reaches the API server under the agent's
 * username, so admission (I1-I6) recognises it and the kill switch's RoleBinding removal cuts it off
 * at once. (The `kubernetes_role_name` mode would run the agent as fresh, randomly named accounts that
 * the admission pack cannot attribute, with RoleBindings of their own the kill switch would miss.)
 */
export interface SecretsRoleModel {
  readonly mount: string;
  readonly name: string;
  /** The agent's ServiceAccount; its RoleBindings (TrustPhase) are all the access a token carries. */
  readonly serviceAccount: string;
  /** The namespace of that ServiceAccount, the only one the role may issue tokens in. */
  readonly namespace: string;
  readonly ttls: VaultTtls;
}

export interface AgentVaultModel {
  readonly agent: string;
  readonly layout: AgentVaultLayout;
  readonly policy: VaultPolicy;
  readonly operatorPolicy: VaultPolicy;
  readonly ttls: VaultTtls;
  /** Absent while the kill switch is engaged: the agent cannot log in, so Vault issues it nothing. */
  readonly authRole?: AuthRoleModel;
  /** Absent while engaged, and for agents without targets. */
  readonly secretsRole?: SecretsRoleModel;
}

/** The agent's own secret rules, each checked against what its phase allows. */
function secretRules(agent: Agent): PathRule[] {
  const allowed = vaultCapabilitiesAllowed(agent.phase);
  return agent.vault.secrets.map((secret, s) => {
    const refused = secret.capabilities.filter((c) => !allowed.includes(c));
    if (refused.length > 0) {
      throw new VaultPolicyError(
        `agent "${agent.name}": vault.secrets[${s}] "${secret.path}": ${refused.join(', ')} not allowed in phase ${agent.phase} (allowed: ${allowed.join(', ')}); remove ${refused.length > 1 ? 'them' : 'it'} or promote the agent`,
      );
    }
    return { path: secret.path, capabilities: secret.capabilities.filter(isCapability) };
  });
}

/**
 * The operator may revoke this agent's leases (tokens and Kubernetes credentials) and delete its two
 * roles so nothing new is issued, and nothing else. `sudo` is what Vault requires on revoke-prefix;
 * the paths are exact, so it opens no other endpoint.
 */
function operatorRules(layout: AgentVaultLayout): PathRule[] {
  return [
    { path: `sys/leases/revoke-prefix/${layout.authLeasePrefix}`, capabilities: ['update', 'sudo'] },
    { path: `sys/leases/revoke-prefix/${layout.credsLeasePrefix}`, capabilities: ['update', 'sudo'] },
    { path: `auth/${layout.authMount}/role/${layout.authRole}`, capabilities: ['delete'] },
    { path: `${layout.secretsMount}/roles/${layout.secretsRole}`, capabilities: ['delete'] },
  ];
}

/** The model of an agent that uses Vault; undefined for an agent without Vault paths (no Vault at all). */
export function agentVaultModel(fleet: Fleet, agent: Agent): AgentVaultModel | undefined {
  if (agent.vault.secrets.length === 0) return undefined;
  const layout = agentVaultLayout(fleet, agent);
  const ttls = vaultTtls(agent.phase, agent.vault);
  const hasTargets = agent.targets.length > 0;
  const rules: PathRule[] = [
    ...secretRules(agent),
    // Creating a credential is a write to the creds endpoint of the agent's own role.
    ...(hasTargets
      ? [{ path: `${layout.secretsMount}/creds/${layout.secretsRole}`, capabilities: ['update'] } as const]
      : []),
  ];
  assertAgentRules(agent.name, rules);
  const engaged = agent.killSwitch.state === 'engaged';
  return {
    agent: agent.name,
    layout,
    policy: vaultPolicy(layout.policy, rules),
    operatorPolicy: vaultPolicy(layout.operatorPolicy, operatorRules(layout)),
    ttls,
    authRole: engaged
      ? undefined
      : {
          mount: layout.authMount,
          name: layout.authRole,
          serviceAccount: agent.name,
          namespace: agent.namespace,
          audience: fleet.spec.vault.audience,
          policies: [layout.policy],
          ttls,
        },
    secretsRole:
      engaged || !hasTargets
        ? undefined
        : {
            mount: layout.secretsMount,
            name: layout.secretsRole,
            serviceAccount: agent.name,
            namespace: agent.namespace,
            ttls,
          },
  };
}
