/**
 * The Vault model of one agent: its policy, its kill-switch operator's policy, and the roles that issue
 * it credentials. Pure data, validated here; the CDKTF constructs only render it.
 */
import type { Agent, Fleet } from '../fleet/schema';
import { agentLabels } from '../naming';
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

/** Kubernetes secrets-engine role: short-lived ServiceAccounts bound to the agent's Role per target. */
export interface SecretsRoleModel {
  readonly mount: string;
  readonly name: string;
  /** The existing Role (emitted by TrustPhase) each issued ServiceAccount is bound to. */
  readonly kubernetesRoleName: string;
  readonly namespaces: readonly string[];
  readonly ttls: VaultTtls;
  /** Issued ServiceAccounts are named after the agent, so admission can attribute them. */
  readonly nameTemplate: string;
  readonly labels: Readonly<Record<string, string>>;
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
            kubernetesRoleName: layout.secretsRole,
            namespaces: agent.targets.map((t) => t.namespace).sort(),
            ttls,
            nameTemplate: `${layout.secretsRole}-{{unix_time}}-{{random 8 | lowercase}}`,
            labels: agentLabels(fleet, agent),
          },
  };
}
