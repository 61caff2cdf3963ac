/**
 * OpenBao as the delegation issuer of signed attribution (AG301), end to end: a real OpenBao dev
 * server mints identity tokens (identity/oidc) for humans logged in with userpass; a fleet trusts it
 * with the JWKS and `iss` OpenBao publishes and `subjectClaim: username` (OpenBao's `sub` is an entity
 * ID); the real `agentguard check --as release-bot` and the real Gatekeeper engine (gator) accept the
 * token and deny a tampered one, one for another agent, one from a human outside the initiator
 * patterns, one for another trace and an expired one, each with its exact AG301 message; tokens of
 * OpenBao keys of every algorithm AG301 allows (ES256, EdDSA, RS256) pass both engines.
 *
 * The trace: a role template cannot see the request, so the human sets `trace_id` in their own
 * entity's metadata (an ACL policy lets them update that and nothing else of their entity) and then
 * reads the token; the template copies it into the claim. Key rotation: the fleet holds a snapshot
 * of OpenBao's JWKS, which lists the signing key and the next one, so it outlives one rotation.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { parse, stringify } from 'yaml';
import { createRequest, userInfoFor, type Manifest } from '../../lib/admission/request';
import { loadFleetFile } from '../../lib/fleet/load';
import { PolicyConstraints } from '../../policies/policy-pack';
import { agentguard, EXAMPLE_FLEET } from '../support/cli';
import { gatorVerify } from '../support/gator';
import { AGENTS, attributed, deployment, OTHER_TRACEPARENT, TRACEPARENT } from '../support/reviews';
import { OpenBao } from './openbao';

jest.setTimeout(120_000);

/** The cluster's audience: the OpenBao roles' client_id, so it is the tokens' `aud`. */
const AUDIENCE = 'https://k8s.prod.shop.example';
/** identity/oidc/config issuer: the address clusters would reach OpenBao at (iss gets /v1/identity/oidc). */
const ISSUER_BASE = 'https://bao.shop.example:8200';
const FLEET_NAME = 'shop-openbao';
const ALICE = 'release-manager-alice@shop.example';
const MALLORY = 'mallory@evil.example';
const traceOf = (traceparent: string) => traceparent.split('-')[1];

/**
 * A role's claims: the human from the entity's name (set by an operator, not by the human), the agent
 * fixed per role, the trace from the entity's metadata, a fixed scope. OpenBao reads `}}` as the end
 * of a parameter, so the JSON's closing braces never touch.
 */
const template = (agent: string): string =>
  [
    '{',
    '  "username": {{identity.entity.name}},',
    `  "act": { "sub": ${JSON.stringify(agent)} },`,
    '  "trace_id": {{identity.entity.metadata.trace_id}},',
    '  "scope": { "namespaces": ["shop"], "resources": ["deployments.apps"], "verbs": ["create", "update"] }',
    '}',
  ].join('\n');

/** What a human who may delegate to release-bot holds. */
const DELEGATOR_POLICY = `
path "identity/oidc/token/release-bot" { capabilities = ["read"] }
path "identity/oidc/token/release-bot-brief" { capabilities = ["read"] }
path "identity/oidc/token/incident-triage" { capabilities = ["read"] }
path "identity/oidc/token/release-bot-by-*" { capabilities = ["read"] }
# The trace the next delegation is for: the own entity's metadata, never its name or policies.
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["update"]
  allowed_parameters = { "metadata" = [] }
}
`;

interface Human {
  readonly token: string;
  readonly entityId: string;
}

let bao: OpenBao;
const work = mkdtempSync(join(tmpdir(), 'agentguard-identity-tokens-'));
let issuer: string;
let jwks: { keys: Record<string, unknown>[] };
let alice: Human;
let mallory: Human;
const tokens: Record<string, string> = {};
let fleetFile: string;

async function ok(result: Promise<{ status: number; body: unknown }>, what: string) {
  const { status, body } = await result;
  if (status >= 300) throw new Error(`${what}: HTTP ${status} ${JSON.stringify(body)}`);
  return body as { data?: Record<string, unknown>; auth?: Record<string, unknown> };
}

/** An entity named for the human, a userpass user as its alias, logged in. */
async function human(username: string, name: string, accessor: string): Promise<Human> {
  const entity = await ok(
    bao.root('POST', 'identity/entity', { name, policies: ['delegate-release-bot'] }),
    `identity/entity ${name}`,
  );
  const entityId = entity.data!.id as string;
  await ok(
    bao.root('POST', 'identity/entity-alias', {
      name: username,
      canonical_id: entityId,
      mount_accessor: accessor,
    }),
    `identity/entity-alias ${username}`,
  );
  await ok(
    bao.root('POST', `auth/userpass/users/${username}`, { password: `${username}-pw` }),
    'userpass user',
  );
  const login = await ok(
    bao.api(undefined, 'POST', `auth/userpass/login/${username}`, { password: `${username}-pw` }),
    `login ${username}`,
  );
  return { token: login.auth!.client_token as string, entityId };
}

/** What the human's portal does per trace: set the trace on the own entity, then read a token. */
async function delegation(who: Human, role: string, traceparent: string): Promise<string> {
  await ok(
    bao.api(who.token, 'POST', `identity/entity/id/${who.entityId}`, {
      metadata: { trace_id: traceOf(traceparent) },
    }),
    'set trace_id',
  );
  const minted = await ok(bao.api(who.token, 'GET', `identity/oidc/token/${role}`), `token ${role}`);
  return minted.data!.token as string;
}

const SIGNATURE_MESSAGE =
  '[AG301] agent release-bot may not change deployments.apps shop/web: delegation signature does not verify with the keys of issuer openbao; the token was altered or not signed by it';

/** release-bot's Deployment web in shop, attributed to `initiator` and `traceparent`, carrying `token`. */
function webFor(token: string, initiator = ALICE, traceparent = TRACEPARENT): Manifest {
  const metadata = attributed('web', 'shop', initiator, traceparent) as {
    annotations: Record<string, string>;
  };
  metadata.annotations['agentguard.dev/delegation'] = token;
  return deployment(metadata, 3) as unknown as Manifest;
}

/** `agentguard check --fleet <fleet> --as release-bot -o json`: each manifest's allowed and messages. */
function checkAsReleaseBot(fleet: string, manifests: readonly Manifest[], prefix: string) {
  const files = manifests.map((m, i) => {
    const path = join(work, `${prefix}-${i}.yaml`);
    writeFileSync(path, stringify(m));
    return path;
  });
  const run = agentguard(['check', '--fleet', fleet, '--as', 'release-bot', '-o', 'json', ...files]);
  expect(run.stderr).toBe('');
  return run.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { allowed: boolean; violations: { policy: string; message: string }[] })
    .map((line) => ({ allowed: line.allowed, messages: line.violations.map((v) => v.message) }));
}

/** gator verify with the fleet's own AG301 constraint: the manifests as release-bot's CREATEs. */
function gatorAsReleaseBot(
  fleet: string,
  cases: readonly { name: string; manifest: Manifest; messages: string[] }[],
) {
  const loaded = loadFleetFile(fleet);
  const constraints = new PolicyConstraints(new App(), 'constraints', { fleet: loaded });
  const run = gatorVerify(
    new Map([
      [
        'attribution',
        cases.map((c) => ({
          name: c.name,
          request: createRequest(c.manifest, userInfoFor(AGENTS.releaseBot), c.name),
          messages: c.messages,
        })),
      ],
    ]),
    { name: loaded.metadata.name, constraints },
  );
  expect((run.stdout + run.stderr).split('\n').filter((l) => /FAIL|got/.test(l))).toEqual([]);
  expect(run.status).toBe(0);
}

beforeAll(async () => {
  bao = await OpenBao.start('identity-tokens-root');
  await ok(bao.root('POST', 'identity/oidc/config', { issuer: ISSUER_BASE }), 'identity/oidc/config');
  await ok(
    bao.root('POST', 'identity/oidc/key/agentguard', {
      algorithm: 'ES256',
      allowed_client_ids: [AUDIENCE],
      rotation_period: '24h',
      verification_ttl: '24h',
    }),
    'identity/oidc/key',
  );
  for (const [role, agent, ttl] of [
    ['release-bot', AGENTS.releaseBot, '5m'],
    ['release-bot-brief', AGENTS.releaseBot, '1s'],
    ['incident-triage', AGENTS.incidentTriage, '5m'],
  ]) {
    await ok(
      bao.root('POST', `identity/oidc/role/${role}`, {
        key: 'agentguard',
        client_id: AUDIENCE,
        ttl,
        template: template(agent),
      }),
      `identity/oidc/role/${role}`,
    );
  }
  await ok(bao.root('PUT', 'sys/policies/acl/delegate-release-bot', { policy: DELEGATOR_POLICY }), 'policy');
  await ok(bao.root('POST', 'sys/auth/userpass', { type: 'userpass' }), 'enable userpass');
  const mounts = await ok(bao.root('GET', 'sys/auth'), 'sys/auth');
  const accessor = (mounts.data!['userpass/'] as { accessor: string }).accessor;
  alice = await human('alice', ALICE, accessor);
  mallory = await human('mallory', MALLORY, accessor);

  // What a team copies into its fleet: the discovery document's issuer and the published keys.
  const discovery = await ok(
    bao.api(undefined, 'GET', 'identity/oidc/.well-known/openid-configuration'),
    'discovery',
  );
  issuer = (discovery as unknown as { issuer: string }).issuer;
  jwks = (await ok(bao.api(undefined, 'GET', 'identity/oidc/.well-known/keys'), 'jwks')) as unknown as {
    keys: Record<string, unknown>[];
  };

  // The fleet: the example fleet, its issuer replaced by OpenBao (jwksFile: the published keys).
  const fleet = parse(readFileSync(EXAMPLE_FLEET, 'utf8')) as {
    metadata: { name: string };
    spec: { attribution: { issuers: unknown[] } };
  };
  fleet.metadata.name = FLEET_NAME;
  fleet.spec.attribution.issuers = [
    {
      name: 'openbao',
      issuer,
      audience: AUDIENCE,
      jwksFile: 'openbao.jwks.json',
      algorithms: ['ES256'],
      subjectClaim: 'username',
    },
  ];
  writeFileSync(join(work, 'openbao.jwks.json'), JSON.stringify(jwks));
  fleetFile = join(work, 'fleet.yaml');
  writeFileSync(fleetFile, stringify(fleet));

  tokens.valid = await delegation(alice, 'release-bot', TRACEPARENT);
  tokens.otherAgent = await delegation(alice, 'incident-triage', TRACEPARENT);
  tokens.otherTrace = await delegation(alice, 'release-bot', OTHER_TRACEPARENT);
  tokens.mallory = await delegation(mallory, 'release-bot', TRACEPARENT);
  tokens.brief = await delegation(alice, 'release-bot-brief', TRACEPARENT);
  // The brief token lives one second: wait until admission sees it expired (exp is in seconds).
  const exp = decodeJwt(tokens.brief).exp!;
  while (Date.now() < exp * 1000 + 50) await new Promise((r) => setTimeout(r, 100));
});

afterAll(() => {
  bao?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('OpenBao identity tokens', () => {
  it('carry the entity ID in sub, the human in username, the role client_id in aud, the trace from metadata', () => {
    expect(issuer).toBe(`${ISSUER_BASE}/v1/identity/oidc`);
    const header = decodeProtectedHeader(tokens.valid);
    expect(header.alg).toBe('ES256');
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    const claims = decodeJwt(tokens.valid);
    expect(claims).toMatchObject({
      iss: issuer,
      sub: alice.entityId,
      aud: AUDIENCE,
      username: ALICE,
      act: { sub: AGENTS.releaseBot },
      trace_id: traceOf(TRACEPARENT),
    });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(decodeJwt(tokens.otherTrace).trace_id).toBe(traceOf(OTHER_TRACEPARENT));
  });

  it('a human can set the trace on their own entity but not rename it (the username claim is the operator’s)', async () => {
    const rename = await bao.api(alice.token, 'POST', `identity/entity/id/${alice.entityId}`, {
      name: 'oncall@shop.example',
    });
    expect(rename.status).toBe(403);
    const other = await bao.api(alice.token, 'POST', `identity/entity/id/${mallory.entityId}`, {
      metadata: { trace_id: traceOf(TRACEPARENT) },
    });
    expect(other.status).toBe(403);
  });
});

describe('a fleet trusting OpenBao: agentguard check --as release-bot and gator agree', () => {
  const PREFIX = '[AG301] agent release-bot may not change deployments.apps shop/web: ';
  const ALLOWED = 'release-manager-*@shop.example, oncall@shop.example';

  /** One byte of the payload changed (a digit of trace_id), header and signature kept. */
  function tampered(token: string): string {
    const [header, payload, signature] = token.split('.');
    const json = Buffer.from(payload, 'base64url').toString('utf8');
    const trace = traceOf(TRACEPARENT);
    const flipped = json.replace(`"trace_id":"${trace}"`, `"trace_id":"${trace.slice(0, -1)}7"`);
    expect(flipped).not.toBe(json);
    return `${header}.${Buffer.from(flipped).toString('base64url')}.${signature}`;
  }

  const cases = (): {
    name: string;
    initiator: string;
    traceparent: string;
    token: string;
    expected: string[];
  }[] => [
    { name: 'valid', initiator: ALICE, traceparent: TRACEPARENT, token: tokens.valid, expected: [] },
    {
      name: 'tampered',
      initiator: ALICE,
      traceparent: TRACEPARENT,
      token: tampered(tokens.valid),
      expected: [SIGNATURE_MESSAGE],
    },
    {
      name: 'for another agent',
      initiator: ALICE,
      traceparent: TRACEPARENT,
      token: tokens.otherAgent,
      expected: [
        `${PREFIX}delegation is for actor "${AGENTS.incidentTriage}", not this agent (${AGENTS.releaseBot}): act.sub must name the agent's username`,
      ],
    },
    {
      name: 'human outside the initiator patterns',
      initiator: MALLORY,
      traceparent: TRACEPARENT,
      token: tokens.mallory,
      expected: [
        `${PREFIX}delegated by "${MALLORY}", who is not allowed to direct this agent; allowed: ${ALLOWED}`,
        `${PREFIX}initiator "${MALLORY}" is not allowed to direct this agent; allowed: ${ALLOWED}`,
      ],
    },
    {
      name: 'for another trace',
      initiator: ALICE,
      traceparent: TRACEPARENT,
      token: tokens.otherTrace,
      expected: [
        `${PREFIX}delegation is for trace "${traceOf(OTHER_TRACEPARENT)}" but the request's traceparent is for trace "${traceOf(TRACEPARENT)}"; each trace needs its own delegation`,
      ],
    },
    {
      name: 'expired',
      initiator: ALICE,
      traceparent: TRACEPARENT,
      token: tokens.brief,
      expected: [`${PREFIX}delegation expired; ask issuer openbao for a new one`],
    },
  ];

  const manifest = (c: ReturnType<typeof cases>[number]) => webFor(c.token, c.initiator, c.traceparent);

  it('agentguard check (real clock): the valid token is allowed, every other denied with its message', () => {
    const results = checkAsReleaseBot(fleetFile, cases().map(manifest), 'case');
    expect(results.map((r, i) => ({ name: cases()[i].name, ...r }))).toEqual(
      cases().map((c) => ({
        name: c.name,
        allowed: c.expected.length === 0,
        messages: [...c.expected].sort(),
      })),
    );
  });

  it('gator (Gatekeeper, real clock) gives the same verdicts with the fleet’s constraint', () => {
    gatorAsReleaseBot(
      fleetFile,
      cases().map((c) => ({ name: c.name, manifest: manifest(c), messages: c.expected })),
    );
  });
});

describe('key rotation: the fleet holds a snapshot of the JWKS', () => {
  it('OpenBao publishes the next key ahead, so the snapshot survives one rotation and not two', async () => {
    const kids = jwks.keys.map((k) => k.kid);
    const afterRotation = async () => {
      await ok(bao.root('POST', 'identity/oidc/key/agentguard/rotate', {}), 'rotate');
      return delegation(alice, 'release-bot', TRACEPARENT);
    };
    const once = await afterRotation();
    const twice = await afterRotation();
    expect(kids).toContain(decodeProtectedHeader(once).kid);
    expect(kids).not.toContain(decodeProtectedHeader(twice).kid);
    expect(checkAsReleaseBot(fleetFile, [webFor(once), webFor(twice)], 'rotated')).toEqual([
      { allowed: true, messages: [] },
      { allowed: false, messages: [SIGNATURE_MESSAGE] },
    ]);
  });
});

describe('every algorithm AG301 allows, as OpenBao signs it', () => {
  it('ES256, EdDSA and RS256 tokens pass check and gator, and fail both with one signature character changed', async () => {
    const algorithms = ['ES256', 'EdDSA', 'RS256'];
    for (const alg of algorithms) {
      await ok(
        bao.root('POST', `identity/oidc/key/by-${alg.toLowerCase()}`, {
          algorithm: alg,
          allowed_client_ids: [AUDIENCE],
        }),
        `identity/oidc/key/by-${alg}`,
      );
      await ok(
        bao.root('POST', `identity/oidc/role/release-bot-by-${alg.toLowerCase()}`, {
          key: `by-${alg.toLowerCase()}`,
          client_id: AUDIENCE,
          ttl: '5m',
          template: template(AGENTS.releaseBot),
        }),
        `identity/oidc/role/release-bot-by-${alg}`,
      );
    }
    // Every named key's public keys, of three types: the fleet allows the three algorithms.
    const keys = await ok(bao.api(undefined, 'GET', 'identity/oidc/.well-known/keys'), 'jwks');
    writeFileSync(join(work, 'openbao-all.jwks.json'), JSON.stringify(keys));
    const fleet = parse(readFileSync(fleetFile, 'utf8')) as {
      spec: { attribution: { issuers: { jwksFile: string; algorithms: string[] }[] } };
    };
    fleet.spec.attribution.issuers[0].jwksFile = 'openbao-all.jwks.json';
    fleet.spec.attribution.issuers[0].algorithms = algorithms;
    const allAlgorithms = join(work, 'fleet-all-algorithms.yaml');
    writeFileSync(allAlgorithms, stringify(fleet));

    const cases: { name: string; manifest: Manifest; messages: string[] }[] = [];
    for (const alg of algorithms) {
      const token = await delegation(alice, `release-bot-by-${alg.toLowerCase()}`, TRACEPARENT);
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      // A character in the middle of the signature: every one of its bits counts there.
      const at = token.lastIndexOf('.') + 10;
      const altered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      cases.push({ name: alg, manifest: webFor(token), messages: [] });
      cases.push({ name: `${alg}, altered`, manifest: webFor(altered), messages: [SIGNATURE_MESSAGE] });
    }
    expect(
      checkAsReleaseBot(
        allAlgorithms,
        cases.map((c) => c.manifest),
        'alg',
      ),
    ).toEqual(cases.map((c) => ({ allowed: c.messages.length === 0, messages: c.messages })));
    gatorAsReleaseBot(allAlgorithms, cases);
  });
});
