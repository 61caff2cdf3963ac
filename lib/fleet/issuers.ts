/**
 * Trusted issuers of delegation tokens (signed attribution, I3): the checks a schema cannot express
 * (public keys only, key types that fit the algorithms, unique names) and reading `jwksFile`
 * relative to the fleet file, so the validated fleet always carries its keys inline.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { durationSeconds } from '../duration';
import type { PathSegment, RuleError } from './errors';
import { FleetAttributionSchema, JwksSchema, type Agent, type DelegationAlgorithm } from './schema';

/** JWK members that carry private or symmetric key material (RFC 7518 section 6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The key type each algorithm needs. */
const KEY_TYPE: Readonly<Record<DelegationAlgorithm, string>> = { ES256: 'EC', EdDSA: 'OKP', RS256: 'RSA' };

const MIN_RSA_BITS = 2048;
/** Ceilings: a delegation is for one task, and clock skew beyond minutes is a broken clock. */
export const MAX_DELEGATION_TTL_SECONDS = 3600;
const MAX_CLOCK_SKEW_SECONDS = 300;

const base64urlBytes = (value: unknown): number =>
  typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').length : 0;

/** Problems with one public key, as messages; none when it is a usable public key. */
export function jwkProblems(
  key: Record<string, unknown>,
  algorithms: readonly DelegationAlgorithm[],
): string[] {
  const problems: string[] = [];
  const secret = PRIVATE_MEMBERS.filter((m) => m in key);
  if (secret.length > 0) {
    problems.push(
      `holds private key material (${secret.join(', ')}); publish only the public key (agentguard keys generate writes it as <kid>.jwks.json) and keep the private key with the issuer`,
    );
    return problems;
  }
  const kty = key.kty;
  const usable = algorithms.filter((a) => KEY_TYPE[a] === kty);
  if (usable.length === 0) {
    problems.push(
      `kty ${JSON.stringify(kty)} fits none of the issuer's algorithms (${algorithms.join(', ')}); use EC P-256 for ES256, OKP Ed25519 for EdDSA, RSA for RS256 (never oct: HMAC keys are shared secrets)`,
    );
    return problems;
  }
  if (key.alg !== undefined && !usable.includes(key.alg as DelegationAlgorithm)) {
    problems.push(
      `alg ${JSON.stringify(key.alg)} is not among the issuer's algorithms (${algorithms.join(', ')})`,
    );
  }
  if (key.use !== undefined && key.use !== 'sig') problems.push(`use ${JSON.stringify(key.use)} must be sig`);
  if (kty === 'EC' && (key.crv !== 'P-256' || base64urlBytes(key.x) !== 32 || base64urlBytes(key.y) !== 32)) {
    problems.push('an EC key must be P-256 with 32-byte base64url x and y');
  }
  if (kty === 'OKP' && (key.crv !== 'Ed25519' || base64urlBytes(key.x) !== 32)) {
    problems.push('an OKP key must be Ed25519 with a 32-byte base64url x');
  }
  if (kty === 'RSA') {
    const bits = base64urlBytes(key.n) * 8;
    if (bits < MIN_RSA_BITS || base64urlBytes(key.e) === 0) {
      problems.push(`an RSA key needs n of at least ${MIN_RSA_BITS} bits and e (base64url)`);
    }
  }
  return problems;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

export interface ResolvedIssuers {
  readonly errors: RuleError[];
  /** Keys read from jwksFile, by issuer index. */
  readonly filed: Map<number, Record<string, unknown>>;
}

/**
 * Checks spec.attribution and reads every jwksFile (relative to `baseDir`). Runs on the raw document
 * so errors come with the fleet's other errors.
 */
export function checkIssuers(rawSpec: unknown, baseDir: string): ResolvedIssuers {
  const errors: RuleError[] = [];
  const filed = new Map<number, Record<string, unknown>>();
  const parsed = FleetAttributionSchema.safeParse(field(rawSpec, 'attribution') ?? {});
  if (!parsed.success) return { errors, filed };
  const { issuers, maxTtl, clockSkew } = parsed.data;
  const at = (...rest: PathSegment[]): PathSegment[] => ['spec', 'attribution', ...rest];
  if (durationSeconds(maxTtl) === 0 || durationSeconds(maxTtl) > MAX_DELEGATION_TTL_SECONDS) {
    errors.push({
      path: at('maxTtl'),
      message: `"${maxTtl}" must be between 1s and 1h; a delegation is for one task`,
    });
  }
  if (durationSeconds(clockSkew) > MAX_CLOCK_SKEW_SECONDS) {
    errors.push({ path: at('clockSkew'), message: `"${clockSkew}" is above 5m; fix the clocks instead` });
  }
  const names = new Map<string, number>();
  const isses = new Map<string, number>();
  issuers.forEach((issuer, i) => {
    const first = names.get(issuer.name);
    if (first !== undefined) {
      errors.push({
        path: at('issuers', i, 'name'),
        message: `"${issuer.name}" is already the name of spec.attribution.issuers[${first}]`,
      });
    } else names.set(issuer.name, i);
    const sameIss = isses.get(issuer.issuer);
    if (sameIss !== undefined) {
      errors.push({
        path: at('issuers', i, 'issuer'),
        message: `"${issuer.issuer}" is already the issuer of spec.attribution.issuers[${sameIss}]; merge their keys into one issuer`,
      });
    } else isses.set(issuer.issuer, i);

    let jwks: unknown = issuer.jwks;
    let jwksPath: PathSegment[] = at('issuers', i, 'jwks');
    if ((issuer.jwks === undefined) === (issuer.jwksFile === undefined)) {
      errors.push({
        path: at('issuers', i),
        message: 'must set exactly one of jwks (inline) or jwksFile (a path relative to the fleet file)',
      });
      return;
    }
    if (issuer.jwksFile !== undefined) {
      jwksPath = at('issuers', i, 'jwksFile');
      const file = isAbsolute(issuer.jwksFile) ? issuer.jwksFile : resolve(baseDir, issuer.jwksFile);
      try {
        jwks = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        const reason =
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
        errors.push({
          path: jwksPath,
          message: `"${issuer.jwksFile}" (${file}) cannot be read as JSON: ${reason}; point it at the issuer's JWKS`,
        });
        return;
      }
      const shape = JwksSchema.safeParse(jwks);
      if (!shape.success) {
        errors.push({
          path: jwksPath,
          message: `"${issuer.jwksFile}" is not a JWKS ({"keys": [ … ]} with at least one key)`,
        });
        return;
      }
      filed.set(i, shape.data as Record<string, unknown>);
    }
    const keys = (field(jwks, 'keys') as Record<string, unknown>[] | undefined) ?? [];
    keys.forEach((key, k) => {
      for (const problem of jwkProblems(key, issuer.algorithms)) {
        errors.push({
          path: [...jwksPath, ...(issuer.jwksFile ? [] : ['keys', k])],
          message: `key ${k}${key.kid ? ` (kid ${JSON.stringify(key.kid)})` : ''} ${problem}`,
        });
      }
    });
  });
  return { errors, filed };
}

/** Agent-side rules: signed mode needs issuers, and the names it lists must exist. */
export function agentIssuerErrors(
  agent: Agent,
  issuerNames: readonly string[],
  at: (...rest: PathSegment[]) => PathSegment[],
): RuleError[] {
  const errors: RuleError[] = [];
  const listed = agent.attribution.issuers;
  for (const [i, name] of (listed ?? []).entries()) {
    if (!issuerNames.includes(name)) {
      errors.push({
        path: at('attribution', 'issuers', i),
        message: `"${name}" is not an issuer of spec.attribution.issuers (known: ${issuerNames.join(', ') || 'none'})`,
      });
    }
  }
  if (agent.attribution.mode === 'signed' && (listed ?? issuerNames).length === 0) {
    errors.push({
      path: at('attribution', 'mode'),
      message:
        'signed needs a trusted issuer: declare one in spec.attribution.issuers (or run `agentguard keys generate` and trust its JWKS)',
    });
  }
  agent.attribution.initiators.forEach((pattern, i) => {
    if (pattern.includes('**')) {
      errors.push({
        path: at('attribution', 'initiators', i),
        message: `"${pattern}" has **, which would match across @; use a single *`,
      });
    }
  });
  return errors;
}
