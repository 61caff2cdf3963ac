/** The synthesized Vault stack: deterministic, no secret values, and what it holds per agent. */
import { Testing } from 'cdktf';
import { AgentVault } from '../../constructs/vault';
import { defineFleet } from '../../lib/fleet/validate';
import type { Fleet, FleetInput } from '../../lib/fleet/schema';
import { loadFleetFile } from '../../lib/fleet/load';
import { vaultStackJson } from '../../synth/vault';
import { REPO_ROOT } from '../../tools/toolchain';
import { mutated, type Loose } from '../support/fleets';
import { join } from 'node:path';

const EXAMPLE = loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));
const fleetWith = (mutate: (f: Loose) => void): Fleet => defineFleet(mutated(mutate) as FleetInput);
const managed = fleetWith((f) => {
  f.spec.vault = { manageBackends: true };
  f.spec.agents[1].killSwitch = { state: 'engaged', engagedBy: 'a@example.com', reason: 'test' };
  f.spec.agents[2].vault = { secrets: [{ path: 'secret/data/agents/batch/*' }] };
});
// Terraform JSON is read structurally.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const parse = (fleet: Fleet): Record<string, any> => JSON.parse(vaultStackJson(fleet));

describe('the Vault stack', () => {
  it('is byte-identical when synthesized twice', () => {
    expect(vaultStackJson(EXAMPLE)).toBe(vaultStackJson(EXAMPLE));
    expect(vaultStackJson(managed)).toBe(vaultStackJson(managed));
  });

  it('takes the Vault address and namespace from variables, and no token at all', () => {
    const stack = parse(EXAMPLE);
    expect(stack.provider.vault).toEqual([
      { address: '${var.vault_address}', namespace: '${var.vault_namespace}' },
    ]);
    expect(stack.variable.vault_namespace.default).toBeNull();
    expect(stack.variable.vault_address.default).toBeUndefined();
    // Without a fleet file to resolve against: the default path, relative to where tofu runs.
    expect(stack.terraform.backend).toEqual({
      local: {
        path: '.agentguard-state/shop-platform.tfstate',
        workspace_dir: '.agentguard-state/shop-platform.tfstate.d',
      },
    });
  });

  it('never contains a secret value, even with Vault credentials in the environment', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      VAULT_TOKEN: 'hvs.leaked-root-token',
      VAULT_ADDR: 'https://vault.leak.example',
      BAO_TOKEN: 'leaked-bao-token',
    });
    try {
      const text = vaultStackJson(managed);
      expect(text).not.toMatch(/leaked|leak\.example/);
      expect(text).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)|eyJ[A-Za-z0-9_-]{10,}\./);
      const stack = JSON.parse(text);
      // The one credential the stack can carry is an input, marked sensitive.
      expect(stack.variable.kubernetes_jwt).toMatchObject({ sensitive: true, default: null });
      expect(
        stack.resource.vault_kubernetes_auth_backend_config['agent_batch_auth_config'].token_reviewer_jwt,
      ).toBe('${var.kubernetes_jwt}');
    } finally {
      process.env = saved;
    }
  });

  it('emits per agent a policy, an operator policy, an auth role and a secrets role; none for agents without Vault', () => {
    const stack = parse(EXAMPLE);
    const withVault = EXAMPLE.spec.agents.filter((a) => a.vault.secrets.length > 0).map((a) => a.name);
    expect(withVault).toHaveLength(4);
    expect(Object.keys(stack.resource.vault_policy).sort()).toEqual(
      withVault.flatMap((n) => [`agent_${n}_kill_switch_policy`, `agent_${n}_policy`]).sort(),
    );
    expect(Object.keys(stack.resource.vault_kubernetes_auth_backend_role).sort()).toEqual(
      withVault.map((n) => `agent_${n}_auth_role`).sort(),
    );
    // The fleet does not ask for backends: none emitted.
    expect(stack.resource.vault_auth_backend).toBeUndefined();
    expect(stack.resource.vault_kubernetes_secret_backend).toBeUndefined();
    const role = stack.resource.vault_kubernetes_auth_backend_role['agent_release-bot_auth_role'];
    expect(role).toMatchObject({
      backend: 'kubernetes-release-bot',
      bound_service_account_names: ['release-bot'],
      bound_service_account_namespaces: ['agents-release'],
      token_no_default_policy: true,
      token_type: 'service',
      token_ttl: 1800,
      token_max_ttl: 3600,
    });
  });

  it('manages the backends when the fleet asks, and gives an engaged agent no role', () => {
    const stack = parse(managed);
    expect(Object.keys(stack.resource.vault_auth_backend).sort()).toEqual([
      'agent_batch_auth_mount',
      'agent_writer_auth_mount',
    ]);
    expect(stack.resource.vault_auth_backend.agent_batch_auth_mount.tune).toEqual([
      expect.objectContaining({ default_lease_ttl: '3600s', max_lease_ttl: '14400s' }),
    ]);
    expect(stack.resource.vault_kubernetes_secret_backend.kubernetes_secrets_engine.path).toBe('kubernetes');
    expect(Object.keys(stack.resource.vault_kubernetes_auth_backend_role)).toEqual(['agent_batch_auth_role']);
    expect(Object.keys(stack.resource.vault_kubernetes_secret_backend_role)).toEqual([
      'agent_batch_secrets_role',
    ]);
    expect(stack.resource.vault_policy.agent_writer_policy).toBeDefined();
    expect(stack.resource.vault_policy.agent_writer_kill_switch_policy).toBeDefined();
  });
});

describe('AgentVault construct errors', () => {
  const stackFor = () => Testing.app();

  it('names the agent and the fix when the agent has no Vault paths', () => {
    const fleet = fleetWith(() => undefined);
    expect(() => new AgentVault(stackFor(), 'x', { fleet, agent: fleet.spec.agents[0] })).toThrow(
      'AgentVault "reader": agent.vault.secrets is empty',
    );
  });

  it('requires the cluster when the fleet manages backends', () => {
    const fleet = fleetWith((f) => (f.spec.vault = { manageBackends: true }));
    expect(() => new AgentVault(stackFor(), 'x', { fleet, agent: fleet.spec.agents[1] })).toThrow(
      /cluster is required because the fleet sets spec.vault.manageBackends/,
    );
  });
});
