/**
 * The Vault step of the real generated script (fake kubectl, real curl) against a real OpenBao dev
 * server: with a token carrying only that agent's kill-switch operator policy, it deletes exactly one
 * agent's Kubernetes auth role and secrets-engine role and revokes its leases; another agent's roles
 * and leases survive.
 *
 * Each agent has a real `kubernetes` auth method at its own mount path (`auth/kubernetes-<agent>`)
 * with its role, and a role on the shared `kubernetes` secrets engine, as the Vault stack creates
 * them. Logins are real Kubernetes auth logins, whose TokenReview a small endpoint of the test answers
 * (./token-review.ts), so the token leases sit under `auth/kubernetes-<agent>/login`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killPlan } from '../../constructs/kill-switch/plan';
import { renderScript } from '../../constructs/kill-switch/script';
import type { Agent, Fleet } from '../../lib/fleet/schema';
import { defineFleet } from '../../lib/fleet/validate';
import { agentVaultModel, renderPolicyHcl } from '../../lib/vault';
import { DIGEST } from '../support/fleets';
import { OpenBao } from '../vault/openbao';
import { throwawayCaCert, TokenReviewer } from '../vault/token-review';
import { Fakes } from './fakes';

jest.setTimeout(60_000);

const FLEET: Fleet = defineFleet({
  apiVersion: 'agentguard.dev/v1alpha1',
  kind: 'AgentFleet',
  metadata: { name: 'kill-e2e' },
  spec: {
    agents: ['alpha', 'alpha-2'].map((name) => ({
      name,
      namespace: `agents-${name}`,
      image: `registry.example.com/agents/${name}@${DIGEST}`,
      targets: [{ namespace: `shop-${name}`, kinds: ['Deployment'] }],
      vault: { secrets: [{ path: `secret/data/agents/${name}/*` }] },
    })),
  },
});
// alpha-2 shares alpha's name as a prefix: revoking alpha must not touch it.
const [ALPHA, OTHER] = FLEET.spec.agents;

const fakes = new Fakes();
const work = mkdtempSync(join(tmpdir(), 'agentguard-kill-vault-'));
let bao: OpenBao;
let reviewer: TokenReviewer;
const tokens = new Map<string, string[]>();

const model = (agent: Agent) => agentVaultModel(FLEET, agent)!;
const alive = async (token: string) => (await bao.api(token, 'GET', 'auth/token/lookup-self')).status === 200;
/** The agent's auth role and secrets-engine role paths, from the layout. */
const rolePaths = (agent: Agent) => {
  const { layout } = model(agent);
  return [
    `auth/${layout.authMount}/role/${layout.authRole}`,
    `${layout.secretsMount}/roles/${layout.secretsRole}`,
  ];
};
const exists = async (path: string) => (await bao.root('GET', path)).status === 200;
/** A real Kubernetes auth login with a vault-audience token of the agent's ServiceAccount. */
const login = (agent: Agent) =>
  bao.api(undefined, 'POST', `auth/${model(agent).layout.authMount}/login`, {
    role: model(agent).layout.authRole,
    jwt: reviewer.jwt(agent.namespace, agent.name, FLEET.spec.vault.audience),
  });

async function operatorToken(agent: Agent): Promise<string> {
  const res = await bao.root('POST', 'auth/token/create', {
    policies: [model(agent).layout.operatorPolicy],
    no_default_policy: true,
    ttl: '10m',
  });
  expect(res.status).toBe(200);
  return res.body.auth.client_token as string;
}

/** The agent's generated script, run with the fake kubectl and the real curl against the dev server. */
async function killWithRealCurl(agent: Agent, vaultToken: string) {
  const script = join(work, `kill-${agent.name}.sh`);
  writeFileSync(script, renderScript(killPlan(FLEET, agent), FLEET.metadata.name));
  const args = ['--by', 'oncall@example.com', '--reason', 'leaking credentials'];
  return fakes.run(script, args, { VAULT_ADDR: bao.address, VAULT_TOKEN: vaultToken }, true);
}

beforeAll(async () => {
  bao = await OpenBao.start('kill-switch-root');
  reviewer = await TokenReviewer.start();
  const caCert = throwawayCaCert(work);
  const secretsMount = model(ALPHA).layout.secretsMount;
  expect((await bao.root('POST', `sys/mounts/${secretsMount}`, { type: 'kubernetes' })).status).toBe(204);
  for (const agent of FLEET.spec.agents) {
    const { layout, operatorPolicy, authRole, secretsRole } = model(agent);
    expect((await bao.root('POST', `sys/auth/${layout.authMount}`, { type: 'kubernetes' })).status).toBe(204);
    const config = await bao.root('POST', `auth/${layout.authMount}/config`, {
      kubernetes_host: reviewer.url,
      kubernetes_ca_cert: caCert,
      disable_local_ca_jwt: true,
    });
    expect({ status: config.status, body: config.body }).toEqual({ status: 204, body: undefined });
    // The roles as the Vault stack writes them (lib/vault/stack.ts from the same model).
    const auth = await bao.root('POST', `auth/${layout.authMount}/role/${authRole!.name}`, {
      bound_service_account_names: [authRole!.serviceAccount],
      bound_service_account_namespaces: [authRole!.namespace],
      audience: authRole!.audience,
      token_policies: authRole!.policies,
      token_type: 'service',
      token_ttl: 600,
    });
    expect(auth.status).toBe(204);
    const secrets = await bao.root('POST', `${secretsMount}/roles/${secretsRole!.name}`, {
      allowed_kubernetes_namespaces: [secretsRole!.namespace],
      service_account_name: secretsRole!.serviceAccount,
      token_default_ttl: 600,
    });
    expect(secrets.status).toBe(204);
    const live: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await login(agent);
      expect(res.status).toBe(200);
      expect(res.body.auth.lease_duration).toBeGreaterThan(0);
      live.push(res.body.auth.client_token);
    }
    tokens.set(agent.name, live);
    const policy = await bao.root('PUT', `sys/policies/acl/${operatorPolicy.name}`, {
      policy: renderPolicyHcl(operatorPolicy),
    });
    expect(policy.status).toBe(204);
  }
});

afterAll(async () => {
  bao?.stop();
  await reviewer?.close();
});

describe('Vault step of kill-<agent>.sh against a real OpenBao', () => {
  it("the operator token of one agent cannot revoke another agent's leases, nor a wider prefix", async () => {
    const token = await operatorToken(ALPHA);
    for (const prefix of [
      model(OTHER).layout.authLeasePrefix,
      model(OTHER).layout.credsLeasePrefix,
      'auth/',
      `auth/${model(ALPHA).layout.authMount}`,
      'kubernetes/creds/',
    ]) {
      const res = await bao.api(token, 'PUT', `sys/leases/revoke-prefix/${prefix}`);
      // 403 for paths outside the policy; OpenBao rejects a bare mount-type prefix with 400 first.
      expect({ prefix, refused: [400, 403].includes(res.status) }).toEqual({ prefix, refused: true });
    }
    for (const t of [...tokens.get(ALPHA.name)!, ...tokens.get(OTHER.name)!])
      expect(await alive(t)).toBe(true);
  });

  it("the real script deletes exactly this agent's roles and revokes its tokens; the other agent's survive", async () => {
    for (const path of [...rolePaths(ALPHA), ...rolePaths(OTHER)]) expect(await exists(path)).toBe(true);
    const run = await killWithRealCurl(ALPHA, await operatorToken(ALPHA));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('  ok      6. delete Vault roles, revoke leases (this agent only)');
    expect(run.status).toBe(0);
    for (const path of rolePaths(ALPHA))
      expect({ path, exists: await exists(path) }).toEqual({ path, exists: false });
    for (const t of tokens.get(ALPHA.name)!) expect(await alive(t)).toBe(false);
    // A still-valid vault-audience ServiceAccount token can no longer log in: the role is gone.
    expect((await login(ALPHA)).status).toBe(400);
    for (const path of rolePaths(OTHER)) expect(await exists(path)).toBe(true);
    for (const t of tokens.get(OTHER.name)!) expect(await alive(t)).toBe(true);
    expect((await login(OTHER)).status).toBe(200);
    // Idempotent against the real server too: Vault answers 204 for a role already gone.
    const again = await killWithRealCurl(ALPHA, await operatorToken(ALPHA));
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
  });

  it('a token without the operator policy makes the Vault step fail visibly (exit 1), the rest still runs', async () => {
    const run = await killWithRealCurl(OTHER, await operatorToken(ALPHA));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('  FAILED  6. delete Vault roles, revoke leases (this agent only)');
    expect(run.stdout).toContain('  ok      7. record who engaged it and why');
    // curl --fail-with-body passes Vault's answer through, so the operator sees why.
    expect(run.stdout).toContain('permission denied');
    for (const path of rolePaths(OTHER))
      expect(run.stderr).toContain(`failed: curl exited 22 on DELETE ${path}`);
    expect(run.stderr).toContain(
      'failed: curl exited 22 on PUT sys/leases/revoke-prefix/auth/kubernetes-alpha-2/login',
    );
    for (const path of rolePaths(OTHER)) expect(await exists(path)).toBe(true);
    for (const t of tokens.get(OTHER.name)!) expect(await alive(t)).toBe(true);
  });
});
