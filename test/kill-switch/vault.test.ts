/**
 * The Vault step of the real generated script (fake kubectl, real curl) against a real OpenBao dev
 * server: it revokes exactly one agent's leases, with a token carrying only that agent's kill-switch
 * operator policy, and another agent's leases survive.
 *
 * What matters here is the lease prefix of each agent's own auth mount, so logins use a userpass
 * method mounted at the agent's mount path (`auth/kubernetes-<agent>`): real logins, real token
 * leases under `auth/kubernetes-<agent>/login`, no cluster needed. Kubernetes auth logins on those
 * mounts are proven in test/vault/e2e.test.ts.
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
const tokens = new Map<string, string[]>();

const model = (agent: Agent) => agentVaultModel(FLEET, agent)!;
const alive = async (token: string) => (await bao.api(token, 'GET', 'auth/token/lookup-self')).status === 200;

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
  for (const agent of FLEET.spec.agents) {
    const { layout, operatorPolicy } = model(agent);
    expect((await bao.root('POST', `sys/auth/${layout.authMount}`, { type: 'userpass' })).status).toBe(204);
    expect(
      (
        await bao.root('POST', `auth/${layout.authMount}/users/${agent.name}`, {
          password: 'pw',
          token_policies: ['default'],
        })
      ).status,
    ).toBe(204);
    const live: string[] = [];
    for (let i = 0; i < 2; i++) {
      const login = await bao.api(undefined, 'POST', `auth/${layout.authMount}/login/${agent.name}`, {
        password: 'pw',
      });
      expect(login.status).toBe(200);
      expect(login.body.auth.lease_duration).toBeGreaterThan(0);
      live.push(login.body.auth.client_token);
    }
    tokens.set(agent.name, live);
    const policy = await bao.root('PUT', `sys/policies/acl/${operatorPolicy.name}`, {
      policy: renderPolicyHcl(operatorPolicy),
    });
    expect(policy.status).toBe(204);
  }
});

afterAll(() => bao?.stop());

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

  it("the real script revokes exactly this agent's tokens; the other agent's survive", async () => {
    const run = await killWithRealCurl(ALPHA, await operatorToken(ALPHA));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('  ok      5. revoke Vault leases (this agent only)');
    expect(run.status).toBe(0);
    for (const t of tokens.get(ALPHA.name)!) expect(await alive(t)).toBe(false);
    for (const t of tokens.get(OTHER.name)!) expect(await alive(t)).toBe(true);
    // Idempotent against the real server too.
    expect((await killWithRealCurl(ALPHA, await operatorToken(ALPHA))).status).toBe(0);
  });

  it('a token without the operator policy makes the Vault step fail visibly (exit 1), the rest still runs', async () => {
    const run = await killWithRealCurl(OTHER, await operatorToken(ALPHA));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('  FAILED  5. revoke Vault leases (this agent only)');
    expect(run.stdout).toContain('  ok      6. record who engaged it and why');
    // curl --fail-with-body passes Vault's answer through, so the operator sees why.
    expect(run.stdout).toContain('permission denied');
    expect(run.stderr).toContain('failed: curl exited 22 revoking auth/kubernetes-alpha-2/login');
    for (const t of tokens.get(OTHER.name)!) expect(await alive(t)).toBe(true);
  });
});
