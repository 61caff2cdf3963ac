/**
 * Thin CDKTF rendering of one agent's Vault model (`lib/vault`). Only the imports below tie it to
 * `cdktf` and `@cdktf/provider-vault`; moving to the `cdktn` fork changes those lines only.
 */
import { AuthBackend } from '@cdktf/provider-vault/lib/auth-backend';
import { KubernetesAuthBackendConfig } from '@cdktf/provider-vault/lib/kubernetes-auth-backend-config';
import { KubernetesAuthBackendRole } from '@cdktf/provider-vault/lib/kubernetes-auth-backend-role';
import { KubernetesSecretBackendRole } from '@cdktf/provider-vault/lib/kubernetes-secret-backend-role';
import { Policy } from '@cdktf/provider-vault/lib/policy';
import type { IResolvable, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { Agent, Fleet } from '../../lib/fleet/schema';
import { agentVaultModel, renderPolicyHcl, type AgentVaultModel } from '../../lib/vault';

/** How Vault reaches the Kubernetes API; values are usually Terraform variable references. */
export interface KubernetesClusterRef {
  /** API server URL. */
  readonly host: string;
  /** PEM CA of the API server; unset: Vault's pod CA. */
  readonly caCert?: string;
  /** JWT Vault presents to the API (token reviews, issuing ServiceAccounts); unset: Vault's pod token. */
  readonly jwt?: string;
  /** Whether Vault must not read its pod's own CA and token (Vault outside the cluster). */
  readonly disableLocalCaJwt?: boolean | IResolvable;
}

export interface AgentVaultProps {
  /** The validated fleet. */
  readonly fleet: Fleet;
  /** The agent, as validated by the fleet loader; it must use Vault (have `vault.secrets`). */
  readonly agent: Agent;
  /**
   * The cluster the agent's own auth mount verifies tokens against. Required when the fleet sets
   * `spec.vault.manageBackends`, ignored otherwise.
   * @default none (the auth mount and its config already exist)
   */
  readonly cluster?: KubernetesClusterRef;
  /**
   * The managed secrets-engine mount, so roles are created after it.
   * @default none (the mount already exists at `spec.vault.kubernetesSecretsPath`)
   */
  readonly secretsBackend?: TerraformResource;
}

/** Terraform addresses read `<type>.agent_<name>_<what>`: readable in plans and stable. */
function named<T extends TerraformResource>(resource: T, agent: string, what: string): T {
  resource.overrideLogicalId(`agent_${agent}_${what}`);
  return resource;
}

/**
 * One agent in Vault: its policy, its kill-switch operator's policy, a Kubernetes auth role bound to
 * exactly its ServiceAccount (on an auth mount of its own), and a secrets-engine role for its targets.
 * With the kill switch engaged both roles are absent, so Vault issues the agent nothing.
 */
export class AgentVault extends Construct {
  readonly model: AgentVaultModel;

  constructor(scope: Construct, id: string, props: AgentVaultProps) {
    super(scope, id);
    const { fleet, agent } = props;
    const model = agentVaultModel(fleet, agent);
    if (!model) {
      throw new Error(
        `AgentVault "${agent.name}": agent.vault.secrets is empty, so the agent has no Vault access to render; list its paths or do not create an AgentVault for it`,
      );
    }
    this.model = model;
    const { layout } = model;

    named(
      new Policy(this, 'policy', { name: model.policy.name, policy: renderPolicyHcl(model.policy) }),
      agent.name,
      'policy',
    );
    named(
      new Policy(this, 'operator-policy', {
        name: model.operatorPolicy.name,
        policy: renderPolicyHcl(model.operatorPolicy),
      }),
      agent.name,
      'kill_switch_policy',
    );

    let authMount = layout.authMount;
    if (fleet.spec.vault.manageBackends) {
      if (!props.cluster) {
        throw new Error(
          `AgentVault "${agent.name}": cluster is required because the fleet sets spec.vault.manageBackends; pass the Kubernetes API host (or set manageBackends: false)`,
        );
      }
      const seconds = (n: number) => `${n}s`;
      const backend = named(
        new AuthBackend(this, 'auth-mount', {
          type: 'kubernetes',
          path: layout.authMount,
          description: `agentguard: logins of agent ${agent.name} only`,
          // The mount caps every token it issues, even if its role were changed by hand.
          tune: [
            {
              defaultLeaseTtl: seconds(model.ttls.ttlSeconds),
              maxLeaseTtl: seconds(model.ttls.maxTtlSeconds),
            },
          ],
        }),
        agent.name,
        'auth_mount',
      );
      const config = named(
        new KubernetesAuthBackendConfig(this, 'auth-config', {
          backend: backend.path,
          kubernetesHost: props.cluster.host,
          kubernetesCaCert: props.cluster.caCert,
          tokenReviewerJwt: props.cluster.jwt,
          disableLocalCaJwt: props.cluster.disableLocalCaJwt,
        }),
        agent.name,
        'auth_config',
      );
      authMount = config.backend;
    }

    const role = model.authRole;
    if (role) {
      named(
        new KubernetesAuthBackendRole(this, 'auth-role', {
          backend: authMount,
          roleName: role.name,
          boundServiceAccountNames: [role.serviceAccount],
          boundServiceAccountNamespaces: [role.namespace],
          audience: role.audience,
          tokenPolicies: [...role.policies],
          tokenNoDefaultPolicy: true,
          // Service tokens are leases, so revoke-prefix reaches them; batch tokens cannot be revoked.
          tokenType: 'service',
          tokenTtl: role.ttls.ttlSeconds,
          tokenMaxTtl: role.ttls.maxTtlSeconds,
          tokenExplicitMaxTtl: role.ttls.maxTtlSeconds,
        }),
        agent.name,
        'auth_role',
      );
    }

    const creds = model.secretsRole;
    if (creds) {
      named(
        new KubernetesSecretBackendRole(this, 'secrets-role', {
          backend: creds.mount,
          name: creds.name,
          allowedKubernetesNamespaces: [creds.namespace],
          serviceAccountName: creds.serviceAccount,
          tokenDefaultTtl: creds.ttls.ttlSeconds,
          tokenMaxTtl: creds.ttls.maxTtlSeconds,
          dependsOn: props.secretsBackend ? [props.secretsBackend] : undefined,
        }),
        agent.name,
        'secrets_role',
      );
    }
  }
}
