/**
 * The builtins `opa build -t wasm` leaves to the host for AG301's signed attribution: the compiled
 * module lists exactly `time.now_ns`, `io.jwt.decode`, `io.jwt.verify_es256`, `io.jwt.verify_rs256`
 * and `io.jwt.verify_eddsa` (opa-wasm implements none of them), and a test keeps that list and this
 * file in step.
 *
 * Semantics follow OPA's Go implementation (v1/topdown/tokens.go, as built into gator/Gatekeeper):
 * - a builtin error makes the call undefined (Gatekeeper evaluates with non-strict builtin errors);
 *   returning `undefined` to opa-wasm does exactly that;
 * - `io.jwt.decode` returns [header, payload, signature as hex]; a header with `enc` (JWE) or a
 *   payload that is not a JSON object is an error; `cty: JWT` decodes the nested token;
 * - `io.jwt.verify_<alg>` verifies with that algorithm whatever the header says; when the header's
 *   `kid` names a key of the set only that key is tried, otherwise every key whose `alg` is unset or
 *   equal to the header's; keys with an algorithm OPA does not know are skipped; a key of the wrong
 *   type simply does not verify;
 * - `time.now_ns` is one value per evaluation (OPA fixes it per query), injectable so tests pin it.
 *
 * The signature math is Node's OpenSSL (`node:crypto`), never our own: opa-wasm calls builtins
 * synchronously and every verify API of the `jose` library is asynchronous (WebCrypto), so jose
 * cannot run here. jose mints the tokens (CLI, tests) and serves as the independent verifier the
 * tests compare these builtins against.
 */
import { createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';

/** What opa-wasm passes in and takes back: JSON values, or raw JSON text as an ArrayBuffer. */
type Builtin = (...args: unknown[]) => unknown;

/** OPA's token algorithms: a JWK whose `alg` is not one of them is skipped. */
const TOKEN_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
]);

class BuiltinError extends Error {}

/** OPA's base64url.decode: padding added by RFC 7515 appendix C, then strict base64url. */
function base64urlDecode(text: string): Buffer {
  let s = text;
  if (!s.endsWith('=')) {
    switch (s.length % 4) {
      case 0:
        break;
      case 2:
        s += '==';
        break;
      case 3:
        s += '=';
        break;
      default:
        throw new BuiltinError(`illegal base64url string: ${text}`);
    }
  }
  // Go's decoder skips \r and \n, then needs whole quanta with padding only at the end.
  s = s.replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9_-]*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/.test(s)) {
    throw new BuiltinError('illegal base64 data');
  }
  return Buffer.from(s, 'base64url');
}

interface Token {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
}

function splitToken(value: unknown): Token {
  if (typeof value !== 'string') throw new BuiltinError('operand 1 must be a string');
  if (!value.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = value.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0], payload: parts[1], signature: parts[2] };
}

/** A JSON object: parsed (to check it) and its exact text (so numbers reach Rego unrounded). */
function jsonObject(text: string): { value: Record<string, unknown>; text: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BuiltinError(`invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BuiltinError('decoded JSON type was not an Object');
  }
  return { value: value as Record<string, unknown>, text };
}

function decodeHeader(token: Token): { value: Record<string, unknown>; text: string } {
  const header = jsonObject(base64urlDecode(token.header).toString('utf8'));
  if ('enc' in header.value) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

/** io.jwt.decode as raw JSON text: [header, payload, "<signature hex>"]. */
function jwtDecode(value: unknown): string {
  const token = splitToken(value);
  const header = decodeHeader(token);
  const payloadText = base64urlDecode(token.payload).toString('utf8');
  if (header.value.cty === 'JWT') {
    return jwtDecode(payloadText.replace(/^["']+|["']+$/g, ''));
  }
  const payload = jsonObject(payloadText);
  const signature = base64urlDecode(token.signature).toString('hex');
  return `[${header.text},${payload.text},${JSON.stringify(signature)}]`;
}

interface VerificationKey {
  readonly alg: string;
  readonly kid: string;
  readonly key: KeyObject;
}

/** OPA's getKeysFromCertOrJWK: a PEM certificate or public key, or a JWK or JWK set. */
function keysFrom(material: unknown): VerificationKey[] {
  if (typeof material !== 'string') throw new BuiltinError('operand 2 must be a string');
  const pem = /^-----BEGIN ([A-Z ]+)-----/.exec(material.trimStart());
  if (pem) {
    if (pem[1] === 'CERTIFICATE') return [{ alg: '', kid: '', key: new X509Certificate(material).publicKey }];
    if (pem[1] === 'PUBLIC KEY') return [{ alg: '', kid: '', key: createPublicKey(material) }];
    throw new BuiltinError('failed to extract a Key from the PEM certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(material);
  } catch {
    throw new BuiltinError('failed to parse a JWK key (set)');
  }
  const set = parsed as { keys?: unknown };
  const jwks = Array.isArray(set.keys)
    ? (set.keys as Record<string, unknown>[])
    : [parsed as Record<string, unknown>];
  const keys: VerificationKey[] = [];
  for (const jwk of jwks) {
    const alg = typeof jwk.alg === 'string' ? jwk.alg : '';
    if (alg !== '' && !TOKEN_ALGORITHMS.has(alg)) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch (error) {
      throw new BuiltinError(`failed to parse a JWK key (set): ${(error as Error).message}`);
    }
    keys.push({ alg, kid: typeof jwk.kid === 'string' ? jwk.kid : '', key });
  }
  return keys;
}

/** OPA's parseTokenHeader: known members must have their types. */
function headerFields(header: Record<string, unknown>): { alg: string; kid: string } {
  for (const name of ['alg', 'kid', 'typ', 'cty']) {
    if (name in header && typeof header[name] !== 'string')
      throw new BuiltinError(`${name}: must be a string`);
  }
  if ('crit' in header) {
    const crit = header.crit;
    if (!Array.isArray(crit) || crit.length === 0) throw new BuiltinError('crit: must be a nonempty list');
  }
  return { alg: (header.alg as string | undefined) ?? '', kid: (header.kid as string | undefined) ?? '' };
}

type Check = (key: KeyObject, signingInput: Buffer, signature: Buffer) => boolean;

/** ECDSA as Go's verifyES: the signature split in half into r and s, big-endian integers. */
const es256: Check = (key, input, signature) => {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
  const n = Math.floor(signature.length / 2);
  const fixed = (part: Buffer): Buffer | undefined => {
    let i = 0;
    while (i < part.length && part[i] === 0) i += 1;
    const trimmed = part.subarray(i);
    return trimmed.length > 32 ? undefined : Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  const r = fixed(signature.subarray(0, n));
  const s = fixed(signature.subarray(n));
  if (!r || !s) return false;
  return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
};

/** Go's rsa.VerifyPKCS1v15 wants a signature exactly as long as the modulus. */
const rs256: Check = (key, input, signature) =>
  key.asymmetricKeyType === 'rsa' &&
  signature.length * 8 === key.asymmetricKeyDetails?.modulusLength &&
  verify('sha256', input, key, signature);

const eddsa: Check = (key, input, signature) =>
  key.asymmetricKeyType === 'ed25519' && signature.length === 64 && verify(null, input, key, signature);

/** OPA's builtinJWTVerify. */
function jwtVerify(token: unknown, material: unknown, check: Check): boolean {
  const parts = splitToken(token);
  const keys = keysFrom(material);
  const signature = base64urlDecode(parts.signature);
  const header = headerFields(decodeHeader(parts).value);
  const input = Buffer.from(`${parts.header}.${parts.payload}`);
  const attempt = (key: KeyObject): boolean => {
    try {
      return check(key, input, signature);
    } catch {
      return false;
    }
  };
  if (header.kid !== '') {
    const byKid = keys.find((k) => k.kid === header.kid);
    if (byKid) return attempt(byKid.key);
  }
  return keys.some((k) => (k.alg === '' || k.alg === header.alg) && attempt(k.key));
}

/** Go's error → an undefined call, exactly as Gatekeeper's non-strict evaluation. */
const undefinedOnError =
  (fn: Builtin): Builtin =>
  (...args) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };

const text = (json: string): ArrayBuffer => {
  const bytes = new TextEncoder().encode(json);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};

/** Nanoseconds since the epoch, as Go's time.Now().UnixNano(). */
export type Clock = () => bigint;
export const systemClock: Clock = () => BigInt(Date.now()) * 1_000_000n;

/** The host builtins, `now` read once per evaluation by the caller. */
export function jwtBuiltins(now: () => bigint): Record<string, Builtin> {
  return {
    'time.now_ns': () => text(now().toString()),
    'io.jwt.decode': undefinedOnError((token) => text(jwtDecode(token))),
    'io.jwt.verify_es256': undefinedOnError((token, keys) => jwtVerify(token, keys, es256)),
    'io.jwt.verify_rs256': undefinedOnError((token, keys) => jwtVerify(token, keys, rs256)),
    'io.jwt.verify_eddsa': undefinedOnError((token, keys) => jwtVerify(token, keys, eddsa)),
  };
}

/** The names this file implements, for the test that compares them with each module's imports. */
export const HOST_BUILTINS = Object.keys(jwtBuiltins(() => 0n)).sort();
