/**
 * What `agentguard delegate` and `agentguard keys generate` do (cli/delegate.ts wires them); loaded
 * only when one of them runs, so --help never loads jose or the fleet schema.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSigningKey,
  isSigningKey,
  mintDelegation,
  randomTraceId,
  SCOPE_DIMENSIONS,
  TRACE_ID_PATTERN,
  traceparentFor,
  type DelegationScope,
  type SigningKey,
} from '../lib/delegation';
import { DURATION_PATTERN, durationSeconds } from '../lib/duration';
import { loadFleetFile } from '../lib/fleet/load';
import { DELEGATION_ALGORITHMS, type DelegationAlgorithm } from '../lib/fleet/schema';
import { agentUsername } from '../lib/naming';
import { err, EXIT, out, UsageError } from './output';

export interface DelegateFlags {
  readonly fleet: string;
  readonly issuerKey: string;
  readonly issuer?: string;
  readonly initiator: string;
  readonly agent: string;
  readonly scope: string[];
  readonly ttl: string;
  readonly traceId?: string;
}

function parseScope(entries: readonly string[]): DelegationScope | undefined {
  if (entries.length === 0) return undefined;
  const scope: Record<string, string[]> = {};
  for (const entry of entries) {
    const match = /^([a-z]+)=(.+)$/.exec(entry);
    const dimension = match?.[1] as (typeof SCOPE_DIMENSIONS)[number] | undefined;
    if (!match || !dimension || !SCOPE_DIMENSIONS.includes(dimension)) {
      throw new UsageError(
        `--scope ${entry}: expected ${SCOPE_DIMENSIONS.join('|')}=V1,V2, e.g. --scope namespaces=shop --scope verbs=update`,
      );
    }
    const values = match[2].split(',').map((v) => v.trim());
    if (values.some((v) => v === ''))
      throw new UsageError(`--scope ${entry}: empty value; list values separated by commas`);
    if (dimension === 'verbs') {
      const bad = values.filter((v) => !['create', 'update', 'delete'].includes(v));
      if (bad.length > 0) {
        throw new UsageError(
          `--scope ${entry}: ${bad.join(', ')} is not a verb admission sees; use create, update or delete (patch is update)`,
        );
      }
    }
    scope[dimension] = [...new Set([...(scope[dimension] ?? []), ...values])].sort();
  }
  return scope;
}

function readSigningKey(file: string): SigningKey {
  let key: unknown;
  try {
    key = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON';
    throw new UsageError(
      `--issuer-key ${file}: ${reason}; pass the private JWK that \`agentguard keys generate\` wrote`,
    );
  }
  if (!isSigningKey(key)) {
    throw new UsageError(
      `--issuer-key ${file}: not a private signing key (a JWK with d, kid and alg ${DELEGATION_ALGORITHMS.join('|')}); pass the *.private.jwk.json that \`agentguard keys generate\` wrote, not the public JWKS`,
    );
  }
  return key;
}

export async function delegate(flags: DelegateFlags): Promise<void> {
  const key = readSigningKey(flags.issuerKey);
  if (!DURATION_PATTERN.test(flags.ttl) || flags.ttl === '' || durationSeconds(flags.ttl) === 0) {
    throw new UsageError(`--ttl ${flags.ttl}: not a duration; use e.g. 90s, 5m or 15m`);
  }
  const traceId = flags.traceId ?? randomTraceId();
  if (!TRACE_ID_PATTERN.test(traceId)) {
    throw new UsageError(
      `--trace-id ${traceId}: must be 32 lowercase hex digits, not all zero (the trace id of a W3C traceparent)`,
    );
  }
  const scope = parseScope(flags.scope);
  const fleet = loadFleetFile(flags.fleet);
  const agent = fleet.spec.agents.find((a) => a.name === flags.agent);
  if (!agent) {
    throw new UsageError(
      `--agent ${flags.agent}: no such agent; the fleet has ${fleet.spec.agents.map((a) => a.name).join(', ')}`,
    );
  }
  const issuers = fleet.spec.attribution.issuers;
  const issuer =
    flags.issuer !== undefined
      ? issuers.find((i) => i.name === flags.issuer)
      : issuers.find((i) => i.jwks?.keys.some((k) => k.kid === key.kid));
  if (!issuer) {
    throw new UsageError(
      flags.issuer !== undefined
        ? `--issuer ${flags.issuer}: no such issuer in spec.attribution.issuers (known: ${issuers.map((i) => i.name).join(', ') || 'none'})`
        : `--issuer-key ${flags.issuerKey}: no issuer in spec.attribution.issuers holds key id ${JSON.stringify(key.kid)}; add its public JWKS to the fleet or pass --issuer`,
    );
  }
  if (!issuer.algorithms.includes(key.alg as DelegationAlgorithm)) {
    throw new UsageError(
      `--issuer-key ${flags.issuerKey}: ${key.alg} is not among issuer ${issuer.name}'s algorithms (${issuer.algorithms.join(', ')})`,
    );
  }
  const ttl = durationSeconds(flags.ttl);
  const max = durationSeconds(fleet.spec.attribution.maxTtl);
  if (ttl > max) {
    throw new UsageError(
      `--ttl ${flags.ttl}: above the fleet's spec.attribution.maxTtl ${fleet.spec.attribution.maxTtl}; admission would refuse it`,
    );
  }
  const token = await mintDelegation(key, {
    issuer: issuer.issuer,
    audience: issuer.audience,
    subject: flags.initiator,
    actor: agentUsername(agent),
    traceId,
    issuedAt: Math.floor(Date.now() / 1000),
    ttlSeconds: ttl,
    subjectClaim: issuer.subjectClaim,
    ...(scope ? { scope } : {}),
  });
  if (flags.traceId === undefined) err(`trace id ${traceId}; e.g. traceparent ${traceparentFor(traceId)}`);
  out(token);
  process.exitCode = EXIT.ok;
}

export interface KeysFlags {
  readonly out: string;
  readonly alg: string;
  readonly kid?: string;
}

export async function generateKeys(flags: KeysFlags): Promise<void> {
  if (!DELEGATION_ALGORITHMS.includes(flags.alg as DelegationAlgorithm)) {
    throw new UsageError(
      `--alg ${flags.alg}: use one of ${DELEGATION_ALGORITHMS.join(', ')} (never none or HMAC: admission must verify without the signing secret)`,
    );
  }
  const kid = flags.kid ?? `${flags.alg.toLowerCase()}-${randomTraceId().slice(0, 8)}`;
  if (!/^[A-Za-z0-9._-]+$/.test(kid))
    throw new UsageError(`--kid ${kid}: use letters, digits, '.', '_' and '-' only (it names files)`);
  const privateFile = join(flags.out, `${kid}.private.jwk.json`);
  const publicFile = join(flags.out, `${kid}.jwks.json`);
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file))
      throw new UsageError(`${file} exists; pick another --kid or --out (keys are never overwritten)`);
  }
  const { privateJwk, jwks } = await generateSigningKey(flags.alg as DelegationAlgorithm, kid);
  mkdirSync(flags.out, { recursive: true });
  writeFileSync(privateFile, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(publicFile, `${JSON.stringify(jwks, null, 2)}\n`, { flag: 'wx' });
  out(
    `private key ${privateFile} (0600: keep it with the issuer)\npublic JWKS ${publicFile} (spec.attribution.issuers[].jwksFile)`,
  );
  process.exitCode = EXIT.ok;
}
