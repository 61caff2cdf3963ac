/**
 * Delegation tokens for the tests: the example fleet's issuer (shop-deploy-portal), whose private key
 * is a published test key in test/fixtures/delegation/, and an attacker's key it does not trust.
 *
 * Committed samples hold real tokens minted for SAMPLE_EPOCH. WASM evaluates them with the clock
 * pinned there; gator (Gatekeeper's engine) reads the real clock and cannot be given another, so
 * `freshSample` re-signs each sample token with every time claim shifted by (now − SAMPLE_EPOCH): same
 * header, same claims, same offsets, so an expired sample stays expired and a valid one valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64url, decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { mintDelegation, type DelegationClaims, type SigningKey } from '../../lib/delegation';
import { REPO_ROOT } from '../../tools/toolchain';
import { AGENTS, OTHER_TRACEPARENT, TRACEPARENT } from './reviews';

const fixture = (name: string): SigningKey =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'delegation', name), 'utf8')) as SigningKey;

export const PORTAL_KEY = fixture('shop-deploy-portal-2026.private.jwk.json');
/** Same kid as the portal's key, different key: a forgery. */
export const ATTACKER_KEY = { ...fixture('attacker.private.jwk.json'), kid: PORTAL_KEY.kid };
export const EDDSA_KEY = fixture('test-eddsa.private.jwk.json');
export const RS256_KEY = fixture('test-rs256.private.jwk.json');

export const PORTAL = {
  issuer: 'https://deploy.shop.example',
  audience: 'https://k8s.prod.shop.example',
} as const;

/** 2026-01-01T00:00:00Z: when the committed sample tokens were minted. */
export const SAMPLE_EPOCH = 1767225600;
/** The clock the sample tests pin in WASM: a minute after the samples were minted. */
export const SAMPLE_NOW = SAMPLE_EPOCH + 60;
export const seconds = (s: number): bigint => BigInt(s) * 1_000_000_000n;

export const TRACE_ID = TRACEPARENT.split('-')[1];

export const validClaims = (
  issuedAt: number,
  overrides: Partial<DelegationClaims> = {},
): DelegationClaims => ({
  ...PORTAL,
  subject: 'release-manager-bob@shop.example',
  actor: AGENTS.releaseBot,
  traceId: TRACE_ID,
  issuedAt,
  ttlSeconds: 300,
  ...overrides,
});

export const mint = (
  issuedAt: number,
  overrides: Partial<DelegationClaims> = {},
  key: SigningKey = PORTAL_KEY,
) => mintDelegation(key, validClaims(issuedAt, overrides));

/** Signs any header and payload with `key` (jose), for tokens mintDelegation would never make. */
export async function signRaw(
  key: SigningKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: key.alg, kid: key.kid },
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader(header as { alg: string })
    .sign(await importJWK(key, key.alg));
}

/** A token no library would sign: any header and payload, any signature bytes. */
export const unsigned = (header: unknown, payload: unknown, signature = ''): string =>
  [JSON.stringify(header), JSON.stringify(payload)].map((p) => base64url.encode(p)).join('.') +
  `.${signature}`;

/**
 * The sample token re-signed with its time claims shifted by `shift` seconds. Forged samples say so
 * in a claim (`x-sample-signer: attacker`), so they are re-signed by the attacker's key again.
 */
async function shifted(token: string, shift: number): Promise<string> {
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
    payload = decodeJwt(token) as Record<string, unknown>;
  } catch {
    return token; // malformed on purpose: no time in it
  }
  if (header.alg !== 'ES256') return token; // alg none, HMAC: nothing a fixture key signs
  const signer = payload['x-sample-signer'] === 'attacker' ? ATTACKER_KEY : PORTAL_KEY;
  const moved = { ...payload };
  for (const claim of ['iat', 'nbf', 'exp']) {
    if (typeof moved[claim] === 'number') moved[claim] = (moved[claim] as number) + shift;
  }
  return signRaw(signer, moved, header);
}

const KEY = 'agentguard.dev/delegation';

/** A copy of a sample request whose delegation tokens are re-minted relative to `nowSeconds`. */
export async function freshSample(
  request: Record<string, unknown>,
  nowSeconds: number,
): Promise<Record<string, unknown>> {
  const copy = structuredClone(request) as {
    object?: { metadata?: { annotations?: Record<string, string> } } | null;
    userInfo?: { extra?: Record<string, string[]> };
  };
  const shift = nowSeconds - SAMPLE_NOW;
  const annotations = copy.object?.metadata?.annotations;
  if (annotations?.[KEY]) annotations[KEY] = await shifted(annotations[KEY], shift);
  const extra = copy.userInfo?.extra?.[KEY];
  if (extra) copy.userInfo!.extra![KEY] = await Promise.all(extra.map((t) => shifted(t, shift)));
  return copy as Record<string, unknown>;
}

/** The public half of a fixture key, as an issuer publishes it. */
export const publicJwk = (key: SigningKey): Record<string, unknown> =>
  Object.fromEntries(Object.entries(key).filter(([k]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(k)));

/**
 * Delegations the portal signed for release-bot and release-manager-bob@shop.example at SAMPLE_EPOCH
 * (5 minutes, no scope), by trace id: for synchronous tests and CLI runs with `--at SAMPLE_NOW`.
 */
export const RELEASE_BOT_TOKENS = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'delegation', 'release-bot-tokens.json'), 'utf8'),
) as Record<string, string>;

/** Metadata with attribution and release-bot's delegation for the traceparent's trace. */
export function delegated(metadata: Record<string, unknown>): Record<string, unknown> {
  const annotations = metadata.annotations as Record<string, string>;
  const trace = annotations['agentguard.dev/traceparent'].split('-')[1];
  return {
    ...metadata,
    annotations: { ...annotations, 'agentguard.dev/delegation': RELEASE_BOT_TOKENS[trace] },
  };
}

/** A delegation the generators put on requests (test/support/arbitraries.ts). */
export interface PooledDelegation {
  readonly name: string;
  readonly token: string;
  /**
   * `passes`: release-bot's request passes with it when the rest fits (initiator, trace, scope);
   * `fails`: AG301 denies every release-bot mutation that carries it, whatever else the request says.
   */
  readonly verdict: 'passes' | 'fails';
  /**
   * No time boundary (exp, iat or nbf less the skew) lies within STABLE_SECONDS after the anchor, so
   * the verdict at the anchor is the verdict whenever a test evaluates within that window: such
   * tokens can go to gator, which reads its own clock.
   */
  readonly stable: boolean;
}

/** How long after its anchor a `stable` pooled delegation keeps its verdict. */
export const STABLE_SECONDS = 240;
/** The example fleet's settings the pool is built around (spec.attribution). */
const SKEW = 60;
const MAX_TTL = 900;

/**
 * Every kind of delegation AG301 tells apart in signed mode, minted relative to `anchor` (seconds):
 * valid, expired, not yet valid, exactly at exp and at the skew for iat and nbf (and one second past
 * each), the maximum lifetime and one second above, wrong audience, actor, issuer, signature, `alg`
 * none, HS256 keyed with the public JWKS, a key type the issuer does not allow, out of scope, another
 * trace, a human outside the initiators, no iat/exp, not a JWS.
 */
export async function delegationPool(anchor: number): Promise<PooledDelegation[]> {
  const A = anchor;
  const entry = (name: string, token: string, verdict: 'passes' | 'fails', stable = true) => ({
    name,
    token,
    verdict,
    stable,
  });
  const claims = decodeJwt(await mint(A));
  const jwks = Buffer.from(JSON.stringify({ keys: [publicJwk(PORTAL_KEY)] }));
  return [
    entry('valid', await mint(A - 30), 'passes'),
    entry(
      'valid, scoped to updates of deployments in shop',
      await mint(A - 30, {
        scope: { namespaces: ['shop'], resources: ['deployments.apps'], verbs: ['update'] },
      }),
      'passes',
    ),
    entry(
      'valid, for the other trace',
      await mint(A - 30, { traceId: OTHER_TRACEPARENT.split('-')[1] }),
      'passes',
    ),
    entry('valid, for oncall', await mint(A - 30, { subject: 'oncall@shop.example' }), 'passes'),
    entry('expired 2 minutes ago', await mint(A - 420), 'fails'),
    entry('exp exactly at the anchor', await mint(A - 300), 'fails'),
    entry('exp one second after the anchor', await mint(A - 299), 'passes', false),
    entry('not valid for 9 more minutes', await mint(A + 600), 'fails'),
    entry('iat and nbf exactly the skew ahead', await mint(A + SKEW), 'passes'),
    entry('iat and nbf one second beyond the skew', await mint(A + SKEW + 1), 'fails', false),
    entry('lifetime exactly the maximum', await mint(A - 10, { ttlSeconds: MAX_TTL }), 'passes'),
    entry('lifetime one second above the maximum', await mint(A - 10, { ttlSeconds: MAX_TTL + 1 }), 'fails'),
    entry('wrong audience', await mint(A, { audience: 'https://k8s.staging.shop.example' }), 'fails'),
    entry('wrong actor', await mint(A, { actor: AGENTS.incidentTriage }), 'fails'),
    entry('bad signature', await mint(A, {}, ATTACKER_KEY), 'fails'),
    entry('unknown issuer', await mint(A, { issuer: 'https://evil.example' }), 'fails'),
    entry('alg none', unsigned({ alg: 'none' }, claims), 'fails'),
    entry(
      'HS256 keyed with the public JWKS',
      await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256', kid: PORTAL_KEY.kid })
        .sign(new Uint8Array(jwks)),
      'fails',
    ),
    entry('EdDSA under the portal kid', await mint(A, {}, { ...EDDSA_KEY, kid: PORTAL_KEY.kid }), 'fails'),
    entry('out of scope', await mint(A, { scope: { namespaces: ['nowhere'] } }), 'fails'),
    entry('trace of no request', await mint(A, { traceId: 'f'.repeat(32) }), 'fails'),
    entry('human outside the initiators', await mint(A, { subject: 'mallory@evil.example' }), 'fails'),
    entry('no iat or exp', await signRaw(PORTAL_KEY, { ...claims, iat: undefined, exp: undefined }), 'fails'),
    entry('not a JWS', 'a.b.c', 'fails'),
  ];
}
