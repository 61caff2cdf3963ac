/**
 * End to end against a real OpenBao dev server: the synthesized Vault stack is applied with the real
 * OpenTofu and the locally built provider, then real tokens prove scope, TTLs and the kill switch.
 *
 * Logging in: there is no Kubernetes cluster here, so the agents' Kubernetes auth logins are real
 * OpenBao logins on the applied roles, with the TokenReview call (the only part that needs a cluster)
 * answered by a small HTTP endpoint (./token-review.ts) that accepts exactly the JWTs the test minted. Every
 * scope probe is repeated with a second, independent route: a token created through OpenBao's token
 * auth with the same policy and no default policy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFleet } from '../../lib/fleet/validate';
import type { AgentInput, Fleet } from '../../lib/fleet/schema';
import type { Phase } from '../../lib/phases';
import { agentVaultModel, renderPolicyHcl } from '../../lib/vault';
import { vaultStackJson } from '../../synth/vault';
import { DIGEST } from '../support/fleets';
import { OpenBao, tofuApply } from './openbao';
import { throwawayCaCert, TokenReviewer } from './token-review';

jest.setTimeout(120_000);

const agent = (name: string, phase: Phase, extra: Partial<AgentInput>): AgentInput => ({
  name,
  namespace: `agents-${name}`,
  image: `registry.example.com/agents/${name}@${DIGEST}`,
  phase,
  attribution: { initiators: ['oncall@example.com'] },
  ...extra,
});

const FLEET: Fleet = defineFleet({
  apiVersion: 'agentguard.dev/v1alpha1',
  kind: 'AgentFleet',
  metadata: { name: 'e2e' },
  spec: {
    vault: { manageBackends: true, audience: 'vault' },
    agents: [
      agent('alpha', 'supervised', {
        targets: [{ namespace: 'shop', kinds: ['Deployment'] }],
        vault: {
          secrets: [{ path: 'secret/data/agents/alpha/*' }, { path: 'secret/data/shared/registry' }],
          ttl: '20m',
          maxTtl: '1h',
        },
      }),
      agent('beta', 'autonomous', {
        targets: [{ namespace: 'batch', kinds: ['Job'] }],
        vault: {
          secrets: [{ path: 'secret/data/agents/beta/*', capabilities: ['read', 'create', 'update'] }],
        },
      }),
      agent('gamma', 'shadow', {
        vault: { secrets: [{ path: 'secret/data/agents/gamma/*' }] },
        killSwitch: { state: 'engaged', engagedBy: 'alice@example.com', reason: 'e2e' },
      }),
    ],
  },
});

const serviceAccountJwt = (namespace: string, name: string, audience?: string) =>
  reviewer.jwt(namespace, name, audience);

let bao: OpenBao;
let reviewer: TokenReviewer;
const work = mkdtempSync(join(tmpdir(), 'agentguard-vault-e2e-'));

async function login(mount: string, role: string, jwt: string) {
  return bao.api(undefined, 'POST', `auth/${mount}/login`, { role, jwt });
}
async function loginToken(name: string): Promise<string> {
  const a = FLEET.spec.agents.find((x) => x.name === name)!;
  const res = await login(`kubernetes-${name}`, name, serviceAccountJwt(a.namespace, a.name));
  expect(res.status).toBe(200);
  return res.body.auth.client_token as string;
}
/** The second login route: OpenBao token auth, same policy, no default policy. */
async function policyToken(policy: string): Promise<string> {
  const res = await bao.root('POST', 'auth/token/create', {
    policies: [policy],
    no_default_policy: true,
    ttl: '10m',
  });
  expect(res.status).toBe(200);
  return res.body.auth.client_token as string;
}

beforeAll(async () => {
  bao = await OpenBao.start('e2e-root-token');
  reviewer = await TokenReviewer.start();
  const caCert = throwawayCaCert(work);
  writeFileSync(join(work, 'cdk.tf.json'), vaultStackJson(FLEET));
  tofuApply(work, bao, { host: reviewer.url, caCert });
  for (const [path, value] of [
    ['agents/alpha/db', 'alpha-db-password'],
    ['agents/alpha-evil/db', 'not-alphas'],
    ['agents/beta/db', 'beta-db-password'],
    ['agents/gamma/db', 'gamma-db-password'],
    ['shared/registry', 'registry-pull'],
    ['shared/other', 'someone-elses'],
  ]) {
    expect((await bao.root('POST', `secret/data/${path}`, { data: { value } })).status).toBe(200);
  }
});

afterAll(async () => {
  bao?.stop();
  await reviewer?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the applied stack', () => {
  it('holds exactly the policies the model renders', async () => {
    for (const a of FLEET.spec.agents) {
      const model = agentVaultModel(FLEET, a)!;
      for (const policy of [model.policy, model.operatorPolicy]) {
        const res = await bao.root('GET', `sys/policies/acl/${policy.name}`);
        expect(res.body.data.policy).toBe(renderPolicyHcl(policy));
      }
    }
  });

  it('gives every agent its own Kubernetes auth mount', async () => {
    const mounts = (await bao.root('GET', 'sys/auth')).body.data;
    for (const name of ['alpha', 'beta', 'gamma'])
      expect(mounts[`kubernetes-${name}/`].type).toBe('kubernetes');
    expect(mounts['kubernetes/']).toBeUndefined();
  });

  it("issues Kubernetes credentials for the agent's own ServiceAccount only", async () => {
    const role = (await bao.root('GET', 'kubernetes/roles/agentguard-alpha')).body.data;
    expect(role).toMatchObject({
      allowed_kubernetes_namespaces: ['agents-alpha'],
      service_account_name: 'alpha',
      kubernetes_role_name: '',
      generated_role_rules: '',
      token_default_ttl: 1200,
      token_max_ttl: 3600,
    });
  });

  it('engaged: the agent has no role, so Vault issues it nothing', async () => {
    expect((await bao.root('GET', 'auth/kubernetes-gamma/role/gamma')).status).toBe(404);
    expect((await bao.root('GET', 'kubernetes/roles/agentguard-gamma')).status).toBe(404);
    const res = await login('kubernetes-gamma', 'gamma', serviceAccountJwt('agents-gamma', 'gamma'));
    expect(res.status).toBe(400);
    expect(res.body.auth).toBeFalsy();
  });
});

describe('Kubernetes auth login (TokenReview answered by the test)', () => {
  it('binds the role to exactly the ServiceAccount, namespace and audience', async () => {
    const denied = [
      serviceAccountJwt('agents-beta', 'beta'), // another agent's account
      serviceAccountJwt('agents-beta', 'alpha'), // the right name in another namespace
      serviceAccountJwt('agents-alpha', 'default'), // another account in the namespace
      serviceAccountJwt('agents-alpha', 'alpha', 'kubernetes'), // a token for another audience
    ];
    for (const jwt of denied) {
      const res = await login('kubernetes-alpha', 'alpha', jwt);
      expect(res.body.auth ?? null).toBeNull();
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    // The agent's own token on another agent's mount is refused too.
    expect((await login('kubernetes-beta', 'beta', serviceAccountJwt('agents-alpha', 'alpha'))).status).toBe(
      403,
    );
  });

  it.each([
    ['alpha', 'supervised, fleet ttl 20m / maxTtl 1h', 1200, 3600],
    ['beta', 'autonomous, phase defaults 1h / 4h', 3600, 14400],
  ])(
    'issues %s (%s) a service token with only its policy and the phase TTLs',
    async (name, _why, ttl, maxTtl) => {
      const token = await loginToken(name);
      const info = (await bao.root('POST', 'auth/token/lookup', { token })).body.data;
      expect(info.policies).toEqual([`agentguard-agent-${name}`]);
      expect(info.type).toBe('service');
      expect(info.creation_ttl).toBe(ttl);
      expect(info.ttl).toBeLessThanOrEqual(ttl);
      expect(info.ttl).toBeGreaterThan(ttl - 30);
      expect(info.explicit_max_ttl).toBe(maxTtl);
      // Renewal cannot pass the max TTL.
      const renewed = await bao.root('POST', 'auth/token/renew', { token, increment: '100h' });
      expect(renewed.body.auth.lease_duration).toBeLessThanOrEqual(maxTtl);
    },
  );
});

describe('scope of an agent token', () => {
  /** Requests outside alpha's scope; every one must be refused with 403. */
  const OUT_OF_SCOPE: ReadonlyArray<[string, string, unknown?]> = [
    ['GET', 'secret/data/agents/beta/db'],
    ['GET', 'secret/data/agents/gamma/db'],
    ['GET', 'secret/data/agents/alpha-evil/db'],
    ['GET', 'secret/data/shared/other'],
    ['LIST', 'secret/metadata/agents'],
    ['LIST', 'secret/metadata/agents/alpha'],
    ['GET', 'secret/metadata/agents/alpha/db'],
    ['POST', 'secret/data/agents/alpha/db', { data: { value: 'overwritten' } }],
    ['PATCH', 'secret/data/agents/alpha/db', { data: { value: 'patched' } }],
    ['DELETE', 'secret/data/agents/alpha/db'],
    ['POST', 'secret/data/shared/registry', { data: { value: 'x' } }],
    ['POST', 'secret/destroy/agents/alpha/db', { versions: [1] }],
    ['GET', 'sys/policies/acl/agentguard-agent-alpha'],
    ['PUT', 'sys/policies/acl/agentguard-agent-alpha', { policy: 'path "*" { capabilities = ["sudo"] }' }],
    ['GET', 'sys/mounts'],
    ['GET', 'sys/auth'],
    ['PUT', 'sys/leases/revoke-prefix/auth/kubernetes-beta/login'],
    ['POST', 'auth/token/create', { policies: ['agentguard-agent-beta'] }],
    ['GET', 'auth/token/lookup-self'],
    ['GET', 'auth/kubernetes-alpha/role/alpha'],
    ['POST', 'auth/kubernetes-alpha/role/alpha', { token_policies: ['root'] }],
    ['DELETE', 'auth/kubernetes-beta/role/beta'],
    ['POST', 'kubernetes/creds/agentguard-beta', { kubernetes_namespace: 'batch' }],
    ['GET', 'kubernetes/roles/agentguard-alpha'],
    ['GET', 'identity/entity/id'],
    ['POST', 'cubbyhole/stash', { value: 'x' }],
    ['POST', 'sys/auth/evil', { type: 'userpass' }],
  ];

  it('has at least 20 probes outside scope', () => expect(OUT_OF_SCOPE.length).toBeGreaterThanOrEqual(20));

  it.each(['Kubernetes auth login', 'token auth with the same policy'])(
    'reads its own paths and is refused everything else (%s)',
    async (route) => {
      const token =
        route === 'Kubernetes auth login'
          ? await loginToken('alpha')
          : await policyToken('agentguard-agent-alpha');
      const own = await bao.api(token, 'GET', 'secret/data/agents/alpha/db');
      expect(own.status).toBe(200);
      expect(own.body.data.data.value).toBe('alpha-db-password');
      expect((await bao.api(token, 'GET', 'secret/data/shared/registry')).body.data.data.value).toBe(
        'registry-pull',
      );
      const allowed: string[] = [];
      for (const [method, path, body] of OUT_OF_SCOPE) {
        const res = await bao.api(token, method, path, body);
        if (res.status !== 403) allowed.push(`${method} ${path} -> ${res.status}`);
      }
      expect(allowed).toEqual([]);
      // Nothing was changed behind the refusals.
      expect((await bao.root('GET', 'secret/data/agents/alpha/db')).body.data.data.value).toBe(
        'alpha-db-password',
      );
    },
  );

  it('an autonomous agent writes where the fleet allows it, and only there', async () => {
    const token = await loginToken('beta');
    expect(
      (await bao.api(token, 'POST', 'secret/data/agents/beta/new', { data: { value: 'v' } })).status,
    ).toBe(200);
    expect(
      (await bao.api(token, 'POST', 'secret/data/agents/alpha/new', { data: { value: 'v' } })).status,
    ).toBe(403);
    expect((await bao.api(token, 'DELETE', 'secret/data/agents/beta/new')).status).toBe(403);
  });
});

describe('the kill-switch operator policy', () => {
  let operator: string;
  beforeAll(async () => {
    operator = await policyToken('agentguard-kill-switch-alpha');
  });

  it('can do nothing beyond revoking and disabling alpha', async () => {
    const probes: Array<[string, string, unknown?]> = [
      ['PUT', 'sys/leases/revoke-prefix/auth/kubernetes-beta/login'],
      ['PUT', 'sys/leases/revoke-prefix/auth/kubernetes-alpha'],
      ['PUT', 'sys/leases/revoke-prefix/auth'],
      ['PUT', 'sys/leases/revoke-prefix/kubernetes/creds/agentguard-beta'],
      ['PUT', 'sys/leases/revoke-force/auth/kubernetes-alpha/login'],
      ['PUT', 'sys/revoke-prefix/auth/kubernetes-beta/login'],
      ['LIST', 'sys/leases/lookup/auth/kubernetes-beta/login'],
      ['DELETE', 'auth/kubernetes-beta/role/beta'],
      ['DELETE', 'kubernetes/roles/agentguard-beta'],
      ['GET', 'auth/kubernetes-alpha/role/alpha'],
      ['POST', 'auth/kubernetes-alpha/role/alpha', { token_policies: ['agentguard-agent-beta'] }],
      ['DELETE', 'sys/auth/kubernetes-alpha'],
      ['GET', 'secret/data/agents/alpha/db'],
      [
        'PUT',
        'sys/policies/acl/agentguard-kill-switch-alpha',
        { policy: 'path "*" { capabilities = ["sudo"] }' },
      ],
      ['POST', 'auth/token/create', {}],
      ['POST', 'kubernetes/creds/agentguard-alpha', { kubernetes_namespace: 'shop' }],
    ];
    const allowed: string[] = [];
    for (const [method, path, body] of probes) {
      const res = await bao.api(operator, method, path, body);
      if (res.status !== 403) allowed.push(`${method} ${path} -> ${res.status}`);
    }
    expect(allowed).toEqual([]);
  });

  it('revokes every token alpha holds, and no other agent loses any', async () => {
    const alphaTokens = [await loginToken('alpha'), await loginToken('alpha')];
    const betaToken = await loginToken('beta');
    for (const t of alphaTokens)
      expect((await bao.api(t, 'GET', 'secret/data/agents/alpha/db')).status).toBe(200);

    const revoke = await bao.api(operator, 'PUT', 'sys/leases/revoke-prefix/auth/kubernetes-alpha/login');
    expect(revoke.status).toBe(204);

    for (const t of alphaTokens) {
      expect((await bao.api(t, 'GET', 'secret/data/agents/alpha/db')).status).toBe(403);
      expect((await bao.root('POST', 'auth/token/lookup', { token: t })).status).toBe(403);
    }
    expect((await bao.api(betaToken, 'GET', 'secret/data/agents/beta/db')).status).toBe(200);
    expect((await bao.root('LIST', 'sys/leases/lookup/auth/kubernetes-alpha/login')).status).toBe(404);
    expect(
      (await bao.root('LIST', 'sys/leases/lookup/auth/kubernetes-beta/login')).body.data.keys.length,
    ).toBeGreaterThan(0);
  });

  it('revokes alpha Kubernetes credential leases by their own prefix', async () => {
    expect(
      (await bao.api(operator, 'PUT', 'sys/leases/revoke-prefix/kubernetes/creds/agentguard-alpha')).status,
    ).toBe(204);
  });

  it('disables alpha roles so nothing new is issued, leaving beta able to log in', async () => {
    expect((await bao.api(operator, 'DELETE', 'auth/kubernetes-alpha/role/alpha')).status).toBe(204);
    expect((await bao.api(operator, 'DELETE', 'kubernetes/roles/agentguard-alpha')).status).toBe(204);
    const res = await login('kubernetes-alpha', 'alpha', serviceAccountJwt('agents-alpha', 'alpha'));
    expect(res.body.auth ?? null).toBeNull();
    await loginToken('beta');
  });
});
