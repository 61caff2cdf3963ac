/**
 * Delegation tokens (signed attribution, I3): a compact JWS the system a human used mints for one
 * agent, one trace and, optionally, a narrower scope. Minting and key generation use the `jose`
 * library; nothing here is hand-written crypto. Admission verifies the tokens in Rego
 * (rego/attribution), with OPA's JWT builtins in Gatekeeper and policies/jwt-builtins.ts in WASM.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { DELEGATION_ALGORITHMS, type DelegationAlgorithm } from './fleet/schema';

export const DELEGATION_ANNOTATION = 'agentguard.dev/delegation';

/** What a delegation may narrow to; a dimension left out is not narrowed. */
export interface DelegationScope {
  readonly namespaces?: readonly string[];
  /** As admission names them: deployments.apps, configmaps, deployments.apps/scale. */
  readonly resources?: readonly string[];
  /** create, update, delete (patch and apply reach admission as update). */
  readonly verbs?: readonly string[];
}
export const SCOPE_DIMENSIONS = ['namespaces', 'resources', 'verbs'] as const;

export interface DelegationClaims {
  readonly issuer: string;
  readonly audience: string;
  /** The human who delegated. */
  readonly subject: string;
  /** The agent's Kubernetes username, as RFC 8693's actor claim act.sub. */
  readonly actor: string;
  /** 32 lowercase hex: the trace id of the W3C traceparent the agent's requests carry. */
  readonly traceId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly ttlSeconds: number;
  readonly scope?: DelegationScope;
  /** The claim naming the human; sub unless the issuer says otherwise. */
  readonly subjectClaim?: string;
}

export const TRACE_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/;

export const randomTraceId = (): string => randomBytes(16).toString('hex');
export const randomSpanId = (): string => randomBytes(8).toString('hex');
export const traceparentFor = (traceId: string, spanId = randomSpanId()): string =>
  `00-${traceId}-${spanId}-01`;

/** A private signing key as `agentguard keys generate` writes it: a JWK with kid and alg. */
export type SigningKey = JWK & { kid: string; alg: DelegationAlgorithm };

export function isSigningKey(value: unknown): value is SigningKey {
  const key = value as Partial<SigningKey> | null;
  return (
    key !== null &&
    typeof key === 'object' &&
    typeof key.kid === 'string' &&
    typeof key.d === 'string' &&
    DELEGATION_ALGORITHMS.includes(key.alg as DelegationAlgorithm)
  );
}

/** Signs a delegation. */
export async function mintDelegation(key: SigningKey, claims: DelegationClaims): Promise<string> {
  const payload: Record<string, unknown> = {
    act: { sub: claims.actor },
    trace_id: claims.traceId,
    ...(claims.scope ? { scope: claims.scope } : {}),
  };
  if (claims.subjectClaim && claims.subjectClaim !== 'sub') payload[claims.subjectClaim] = claims.subject;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setIssuedAt(claims.issuedAt)
    .setNotBefore(claims.issuedAt)
    .setExpirationTime(claims.issuedAt + claims.ttlSeconds);
  if (!claims.subjectClaim || claims.subjectClaim === 'sub') jwt.setSubject(claims.subject);
  return jwt.sign(await importJWK(key, key.alg));
}

/** A new key pair: the private JWK (keep it with the issuer) and the public JWKS (give it to the fleet). */
export async function generateSigningKey(
  alg: DelegationAlgorithm,
  kid: string,
): Promise<{ privateJwk: SigningKey; jwks: { keys: JWK[] } }> {
  const options = alg === 'RS256' ? { modulusLength: 3072, extractable: true } : { extractable: true };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg } as SigningKey;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { privateJwk, jwks: { keys: [publicJwk] } };
}
