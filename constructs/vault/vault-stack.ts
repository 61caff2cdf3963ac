/**
 * The fleet's Vault stack: one Terraform stack with the Vault provider configured from variables and
 * an `AgentVault` per agent that uses Vault. Tokens come from the environment (`VAULT_TOKEN`), never
 * from the stack, so no secret value is ever synthesized.
 */
import { KubernetesSecretBackend } from '@cdktf/provider-vault/lib/kubernetes-secret-backend';
import { VaultProvider } from '@cdktf/provider-vault/lib/provider';
import { TerraformBackend, TerraformStack, TerraformVariable, type TerraformRemoteState } from 'cdktf';
import type { Construct } from 'constructs';
import type { Fleet } from '../../lib/fleet/schema';
import { vaultBackend, type BackendBlock } from '../../lib/vault/backend';
import { AgentVault, type KubernetesClusterRef } from './agent-vault';

export interface VaultStackProps {
  /** The validated fleet. */
  readonly fleet: Fleet;
  /**
   * The Terraform backend block, plain Terraform JSON (`{ type: 's3', config: {...} }`).
   * @default a local backend at the path the fleet names (synth/vault.ts resolves it against the fleet file)
   */
  readonly backend?: BackendBlock;
}

/** A backend block passed through verbatim, so any backend Terraform knows is plain Terraform JSON. */
class PlainBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly block: BackendBlock,
  ) {
    super(scope, 'backend', block.type);
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return { ...this.block.config };
  }
  getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error('agentguard does not read the Vault stack state from other stacks');
  }
}

interface VariableOptions {
  readonly nullable?: boolean;
  readonly sensitive?: boolean;
  /** `null` makes the variable optional; cdktf cannot render a null default, so it is an override. */
  readonly default?: boolean | null;
}

function variable(
  scope: Construct,
  name: string,
  type: string,
  description: string,
  options: VariableOptions,
) {
  const { default: fallback, ...rest } = options;
  const v = new TerraformVariable(scope, name, {
    type,
    description,
    ...rest,
    ...(fallback === null ? {} : { default: fallback }),
  });
  if (fallback === null) v.addOverride('default', null);
  return v;
}

export class VaultStack extends TerraformStack {
  readonly agents: readonly AgentVault[];

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id);
    const { fleet } = props;
    // Always explicit: cdktf's implicit backend would bake in the absolute working directory, and a
    // state file inside the output folder would be deleted by the next synth.
    new PlainBackend(this, props.backend ?? vaultBackend(fleet));
    const address = variable(
      this,
      'vault_address',
      'string',
      'Vault API address, e.g. https://vault.example:8200.',
      {
        nullable: false,
      },
    );
    const namespace = variable(
      this,
      'vault_namespace',
      'string',
      'Vault Enterprise namespace; null for none.',
      {
        default: null,
        nullable: true,
      },
    );
    new VaultProvider(this, 'vault', { address: address.stringValue, namespace: namespace.stringValue });

    let cluster: KubernetesClusterRef | undefined;
    let secretsBackend: KubernetesSecretBackend | undefined;
    if (fleet.spec.vault.manageBackends) {
      const c: KubernetesClusterRef = {
        host: variable(this, 'kubernetes_host', 'string', 'Kubernetes API URL Vault calls.', {
          nullable: false,
        }).stringValue,
        caCert: variable(
          this,
          'kubernetes_ca_cert',
          'string',
          'PEM CA of the Kubernetes API; null: Vault pod CA.',
          {
            default: null,
            nullable: true,
          },
        ).stringValue,
        jwt: variable(
          this,
          'kubernetes_jwt',
          'string',
          "JWT Vault uses to call the Kubernetes API; null: Vault's pod token.",
          {
            default: null,
            nullable: true,
            sensitive: true,
          },
        ).stringValue,
        disableLocalCaJwt: variable(
          this,
          'kubernetes_disable_local_ca_jwt',
          'bool',
          'True when Vault runs outside the cluster.',
          {
            default: false,
          },
        ).booleanValue,
      };
      cluster = c;
      secretsBackend = new KubernetesSecretBackend(this, 'secrets-engine', {
        path: fleet.spec.vault.kubernetesSecretsPath,
        description: 'agentguard: short-lived Kubernetes credentials for agents',
        kubernetesHost: c.host,
        kubernetesCaCert: c.caCert,
        serviceAccountJwt: c.jwt,
        disableLocalCaJwt: c.disableLocalCaJwt,
      });
      secretsBackend.overrideLogicalId('kubernetes_secrets_engine');
    }

    this.agents = [...fleet.spec.agents]
      .filter((agent) => agent.vault.secrets.length > 0)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((agent) => new AgentVault(this, `agent-${agent.name}`, { fleet, agent, cluster, secretsBackend }));
  }

  /**
   * cdktf's preparing pass resolves every resource once more, only to find references to other
   * stacks and add outputs for them: a third of the Vault stack's synth time at 1,000 agents. This
   * stack refers to no other, and its backend is always explicit (the constructor adds it).
   */
  prepareStack(): void {
    this.ensureBackendExists();
  }
}
