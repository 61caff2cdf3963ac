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
import { AGENTS, TRACEPARENT } from './reviews';

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
