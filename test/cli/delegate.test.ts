/**
 * `agentguard keys generate` and `agentguard delegate`, run as a user runs them, and the fleet rules
 * for issuers: a token the CLI mints is accepted by AG301 in WASM; bad input exits 2 naming the flag.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { decodeJwt } from 'jose';
import { loadFleetFile } from '../../lib/fleet/load';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { agentguard, agentguardInProcess, EXAMPLE_FLEET } from '../support/cli';
import type { Loose } from '../support/fleets';
import { AGENTS, attributed, deployment, exampleParameters, KINDS, request } from '../support/reviews';

const work = mkdtempSync(join(tmpdir(), 'agentguard-delegate-'));
const KEY = join(REPO_ROOT_FIXTURES(), 'shop-deploy-portal-2026.private.jwk.json');
function REPO_ROOT_FIXTURES(): string {
  return join(__dirname, '..', 'fixtures', 'delegation');
}

describe('agentguard keys generate', () => {
  it('writes a 0600 private JWK and a public JWKS the loader accepts from jwksFile', () => {
    const run = agentguard(['keys', 'generate', '--out', work, '--kid', 'portal-1', '--alg', 'EdDSA']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(statSync(join(work, 'portal-1.private.jwk.json')).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(join(work, 'portal-1.jwks.json'), 'utf8'));
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const fleet = parse(readFileSync(EXAMPLE_FLEET, 'utf8'));
    fleet.spec.attribution.issuers[0] = {
      ...fleet.spec.attribution.issuers[0],
      jwks: undefined,
      jwksFile: 'portal-1.jwks.json',
      algorithms: ['EdDSA'],
    };
    writeFileSync(join(work, 'fleet.yaml'), stringify(fleet));
    expect(loadFleetFile(join(work, 'fleet.yaml')).spec.attribution.issuers[0].jwks).toEqual(jwks);
    expect(agentguard(['keys', 'generate', '--out', work, '--kid', 'portal-1']).status).toBe(2);
  });

  it.each([
    [['--alg', 'HS256'], /--alg HS256: use one of ES256, EdDSA, RS256/],
    [['--kid', '../x'], /--kid \.\.\/x: use letters/],
  ])('%j exits 2 naming the flag', async (args, message) => {
    const run = await agentguardInProcess(['keys', 'generate', '--out', work, ...args]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('agentguard delegate', () => {
  const trace = '0af7651916cd43dd8448eb211c80319c';
  it('prints a token AG301 accepts for that agent, human, trace and scope', async () => {
    const run = agentguard([
      'delegate',
      '--issuer-key',
      KEY,
      '--initiator',
      'release-manager-bob@shop.example',
      '--agent',
      'release-bot',
      '--scope',
      'namespaces=shop',
      '--scope',
      'verbs=update',
      '--ttl',
      '2m',
      '--trace-id',
      trace,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const token = run.stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'https://deploy.shop.example',
      aud: 'https://k8s.prod.shop.example',
      sub: 'release-manager-bob@shop.example',
      act: { sub: AGENTS.releaseBot },
      trace_id: trace,
      scope: { namespaces: ['shop'], verbs: ['update'] },
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    const metadata = attributed(
      'web',
      'shop',
      'release-manager-bob@shop.example',
      `00-${trace}-b7ad6b7169203331-01`,
    ) as {
      annotations: Record<string, string>;
    };
    metadata.annotations['agentguard.dev/delegation'] = token;
    const review = request({
      operation: 'UPDATE',
      user: AGENTS.releaseBot,
      kind: KINDS.deployment,
      namespace: 'shop',
      name: 'web',
      object: deployment(metadata, 3),
      oldObject: deployment({ name: 'web', namespace: 'shop' }, 3),
    });
    expect(messages(await regoPack.evaluate('attribution', review, exampleParameters().attribution))).toEqual(
      [],
    );
  });

  it.each([
    [['--ttl', '1h'], /--ttl 1h: above the fleet's spec.attribution.maxTtl 15m/],
    [['--ttl', 'soon'], /--ttl soon: not a duration/],
    [['--trace-id', 'XYZ'], /--trace-id XYZ: must be 32 lowercase hex/],
    [['--scope', 'kinds=Deployment'], /--scope kinds=Deployment: expected namespaces\|resources\|verbs=/],
    [['--scope', 'verbs=patch'], /patch is not a verb admission sees/],
    [['--agent', 'nobody'], /--agent nobody: no such agent/],
    [['--issuer', 'nope'], /--issuer nope: no such issuer/],
  ])('%j exits 2 naming the flag and the fix', async (args, message) => {
    const base = ['delegate', '--issuer-key', KEY, '--initiator', 'a@shop.example', '--agent', 'release-bot'];
    const run = await agentguardInProcess([
      ...base.filter((_, i) => !(args[0] === '--agent' && (i === 5 || i === 6))),
      ...args,
    ]);
    expect(run.stderr).toMatch(message);
    expect(run.status).toBe(2);
  });

  it('refuses a public JWKS as the issuer key', async () => {
    const pub = join(work, 'public.json');
    writeFileSync(pub, JSON.stringify({ keys: [] }));
    const run = await agentguardInProcess([
      'delegate',
      '--issuer-key',
      pub,
      '--initiator',
      'a@b',
      '--agent',
      'release-bot',
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/not a private signing key .* not the public JWKS/);
  });
});

describe('fleet rules for issuers', () => {
  const fleetWith = (mutate: (f: Loose) => void) => {
    const fleet = parse(readFileSync(EXAMPLE_FLEET, 'utf8'));
    mutate(fleet);
    const file = join(work, `f-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify(fleet));
    return () => loadFleetFile(file);
  };
  it.each([
    [
      'a private key in the JWKS',
      (f: Loose) => (f.spec.attribution.issuers[0].jwks.keys[0].d = 'AAAA'),
      /holds private key material \(d\)/,
    ],
    [
      'an HMAC key',
      (f: Loose) => (f.spec.attribution.issuers[0].jwks.keys[0] = { kty: 'oct', k: 'c2VjcmV0' }),
      /holds private key material \(k\)/,
    ],
    [
      'HS256 as an algorithm',
      (f: Loose) => (f.spec.attribution.issuers[0].algorithms = ['HS256']),
      /algorithms\[0\]/,
    ],
    [
      'signed without issuers',
      (f: Loose) => (f.spec.attribution.issuers = []),
      /signed needs a trusted issuer/,
    ],
    [
      'an unknown issuer name',
      (f: Loose) => (f.spec.agents[2].attribution.issuers = ['nope']),
      /"nope" is not an issuer/,
    ],
    [
      'a missing jwksFile',
      (f: Loose) => {
        f.spec.attribution.issuers[0].jwks = undefined;
        f.spec.attribution.issuers[0].jwksFile = 'none.json';
      },
      /cannot be read as JSON: no such file/,
    ],
    [
      '** in an initiator',
      (f: Loose) => (f.spec.agents[2].attribution.initiators = ['a**@shop.example']),
      /has \*\*, which would match across @/,
    ],
    ['maxTtl above 1h', (f: Loose) => (f.spec.attribution.maxTtl = '2h'), /must be between 1s and 1h/],
  ])('refuses %s', (_, mutate, message) => {
    expect(fleetWith(mutate)).toThrow(message);
  });
});
