/**
 * Signed attribution (AG301, signed mode): every way a delegation can fail has its own message, a
 * valid one passes, the clock boundaries hold in WASM with a pinned clock, the host builtins agree
 * with jose and implement exactly what the modules import, and gator (real clock) agrees with WASM on
 * tokens minted relative to now.
 */
import { readFileSync } from 'node:fs';
import { compactVerify, decodeJwt, importJWK, SignJWT } from 'jose';
import { policyFolders } from '../../policies/catalog';
import { HOST_BUILTINS, jwtBuiltins } from '../../policies/jwt-builtins';
import { messages } from '../../policies/wasm';
import { compiledWasm, regoPack } from '../../policies/wasm-build';
import { gatorVerify, type GatorCase } from '../support/gator';
import {
  ATTACKER_KEY,
  EDDSA_KEY,
  mint,
  PORTAL_KEY,
  publicJwk,
  RS256_KEY,
  seconds,
  signRaw,
  TRACE_ID,
  unsigned,
  validClaims,
} from '../support/delegation';
import {
  AGENTS,
  attributed,
  deployment,
  exampleParameters,
  KINDS,
  OTHER_TRACEPARENT,
  request,
  SCALE_KIND,
  scale,
  TRACEPARENT,
} from '../support/reviews';

const NOW = 1_800_000_000;
const at = (s: number) => () => seconds(s);
const params = () => exampleParameters().attribution;
const PREFIX = '[AG301] agent release-bot may not change deployments.apps shop/web: ';

function update(
  token: string | undefined,
  initiator = 'release-manager-bob@shop.example',
  traceparent = TRACEPARENT,
) {
  const metadata = attributed('web', 'shop', initiator, traceparent) as {
    annotations: Record<string, string>;
  };
  if (token !== undefined) metadata.annotations['agentguard.dev/delegation'] = token;
  return request({
    operation: 'UPDATE',
    user: AGENTS.releaseBot,
    kind: KINDS.deployment,
    namespace: 'shop',
    name: 'web',
    object: deployment(metadata, 3),
    oldObject: deployment({ name: 'web', namespace: 'shop' }, 3),
  });
}

const evaluate = async (review: Record<string, unknown>, now = NOW, parameters: unknown = params()) =>
  messages(await regoPack.evaluate('attribution', review, parameters, at(now)));

const only = (problem: string) => [PREFIX + problem];

describe('signed mode: each failure has its own message', () => {
  it('accepts a valid delegation', async () => {
    expect(await evaluate(update(await mint(NOW - 10)))).toEqual([]);
  });

  it('accepts a delegation through userInfo.extra on kubectl scale (the proxy sets it)', async () => {
    const token = await mint(NOW, { scope: { resources: ['deployments.apps/scale'], verbs: ['update'] } });
    const review = request({
      operation: 'UPDATE',
      user: AGENTS.releaseBot,
      kind: KINDS.deployment,
      namespace: 'shop',
      name: 'web',
      subResource: 'scale',
      subResourceKind: SCALE_KIND,
      object: scale('web', 'shop', 2),
      oldObject: scale('web', 'shop', 3),
      extra: {
        'agentguard.dev/traceparent': [TRACEPARENT],
        'agentguard.dev/delegation': [token],
      },
    });
    expect(await evaluate(review)).toEqual([]);
  });

  const cases: [string, () => Promise<string | undefined>, string[], number?][] = [
    [
      'missing',
      async () => undefined,
      only(
        'no delegation: this agent needs signed attribution; set annotation agentguard.dev/delegation on the object to a delegation token signed by a trusted issuer (shop-deploy-portal: https://deploy.shop.example), e.g. from `agentguard delegate`',
      ),
    ],
    [
      'malformed',
      async () => 'not.a-jwt',
      only(
        'the delegation is not a compact JWS with a JSON header and claims (base64url header.payload.signature); send the token exactly as the issuer minted it',
      ),
    ],
    [
      'expired',
      () => mint(NOW - 300),
      only('delegation expired; ask issuer shop-deploy-portal for a new one'),
    ],
    [
      'not yet valid (iat beyond the 60 s skew)',
      () => mint(NOW + 61),
      only("delegation is not valid yet (iat is in the future); check the issuer's clock").concat(
        only("delegation is not valid yet (nbf is in the future); check the issuer's clock"),
      ),
    ],
    [
      'lifetime above the fleet maximum',
      () => mint(NOW, { ttlSeconds: 901 }),
      only('delegation lifetime (exp - iat) is above the fleet maximum of 900 seconds; mint shorter tokens'),
    ],
    [
      'wrong audience',
      () => mint(NOW, { audience: 'https://k8s.staging.shop.example' }),
      only(
        'delegation audience "https://k8s.staging.shop.example" is not this fleet\'s "https://k8s.prod.shop.example"; the token was minted for another cluster',
      ),
    ],
    [
      'wrong actor',
      () => mint(NOW, { actor: AGENTS.incidentTriage }),
      only(
        `delegation is for actor "${AGENTS.incidentTriage}", not this agent (${AGENTS.releaseBot}): act.sub must name the agent's username`,
      ),
    ],
    [
      'bad signature (the attacker signs under the portal key id)',
      () => mint(NOW, {}, ATTACKER_KEY),
      only(
        'delegation signature does not verify with the keys of issuer shop-deploy-portal; the token was altered or not signed by it',
      ),
    ],
    [
      'payload altered after signing',
      async () => {
        const [h, , s] = (await mint(NOW)).split('.');
        const evil = Buffer.from(
          JSON.stringify({ ...decodeJwt(await mint(NOW)), sub: 'oncall@shop.example' }),
        ).toString('base64url');
        return `${h}.${evil}.${s}`;
      },
      only(
        'delegation signature does not verify with the keys of issuer shop-deploy-portal; the token was altered or not signed by it',
      ),
    ],
    [
      'unknown issuer',
      () => mint(NOW, { issuer: 'https://evil.example' }),
      only(
        'delegation issuer "https://evil.example" is not trusted for this agent; trusted: shop-deploy-portal: https://deploy.shop.example',
      ),
    ],
    [
      'alg none',
      async () => unsigned({ alg: 'none' }, { ...decodeJwt(await mint(NOW)) }),
      only('delegation algorithm "none" is not allowed for issuer shop-deploy-portal; allowed: ES256'),
    ],
    [
      'HS256 keyed with the public key (algorithm confusion)',
      async () => {
        const jwks = Buffer.from(JSON.stringify({ keys: [publicJwk(PORTAL_KEY)] }));
        return new SignJWT({ ...decodeJwt(await mint(NOW)) })
          .setProtectedHeader({ alg: 'HS256', kid: PORTAL_KEY.kid })
          .sign(new Uint8Array(jwks));
      },
      only('delegation algorithm "HS256" is not allowed for issuer shop-deploy-portal; allowed: ES256'),
    ],
    [
      'out of scope: namespace, resource and verb',
      () => mint(NOW, { scope: { namespaces: ['payments'], resources: ['configmaps'], verbs: ['create'] } }),
      [
        ...only('delegation scope namespaces ["payments"] does not cover "shop"'),
        ...only('delegation scope resources ["configmaps"] does not cover "deployments.apps"'),
        ...only('delegation scope verbs ["create"] does not cover "update"'),
      ],
    ],
    [
      'trace mismatch',
      () => mint(NOW, { traceId: OTHER_TRACEPARENT.split('-')[1] }),
      only(
        `delegation is for trace "${OTHER_TRACEPARENT.split('-')[1]}" but the request's traceparent is for trace "${TRACE_ID}"; each trace needs its own delegation`,
      ),
    ],
    [
      'human not among the initiators',
      () => mint(NOW, { subject: 'mallory@evil.example' }),
      [
        ...only(
          'delegated by "mallory@evil.example", who is not allowed to direct this agent; allowed: release-manager-*@shop.example, oncall@shop.example',
        ),
        ...only(
          'initiator "release-manager-bob@shop.example" differs from the delegation\'s human "mallory@evil.example"',
        ),
      ],
    ],
    [
      'no iat or exp',
      async () => signRaw(PORTAL_KEY, { ...decodeJwt(await mint(NOW)), iat: undefined, exp: undefined }),
      [
        ...only('delegation has no numeric exp claim; issuers must set iat and exp'),
        ...only('delegation has no numeric iat claim; issuers must set iat and exp'),
      ],
    ],
  ];

  it.each(cases)('%s', async (_, token, expected) => {
    expect(await evaluate(update(await token()))).toEqual([...expected].sort());
  });

  it('a claimed initiator that differs from the signed human is refused', async () => {
    const review = update(await mint(NOW), 'oncall@shop.example');
    expect(await evaluate(review)).toEqual(
      only(
        'initiator "oncall@shop.example" differs from the delegation\'s human "release-manager-bob@shop.example"',
      ),
    );
  });
});

describe('clock boundaries (WASM, pinned clock)', () => {
  const ISSUED = NOW;
  const EXP = ISSUED + 300;
  it.each([
    ['one nanosecond before exp', seconds(EXP) - 1n, []],
    ['exactly exp', seconds(EXP), only('delegation expired; ask issuer shop-deploy-portal for a new one')],
    ['iat 60 s ahead (within the skew)', seconds(ISSUED - 60), []],
    [
      'iat 60 s + 1 ns ahead',
      seconds(ISSUED - 60) - 1n,
      [
        ...only("delegation is not valid yet (iat is in the future); check the issuer's clock"),
        ...only("delegation is not valid yet (nbf is in the future); check the issuer's clock"),
      ],
    ],
  ] as const)('%s', async (_, now, expected) => {
    const review = update(await mint(ISSUED));
    expect(messages(await regoPack.evaluate('attribution', review, params(), () => now))).toEqual(
      [...expected].sort(),
    );
  });
});

describe('other algorithms and issuers', () => {
  const issuerWith = async (key: typeof PORTAL_KEY, algorithms: string[]) => {
    const base = params();
    const pub = publicJwk(key);
    return {
      ...base,
      issuers: {
        'shop-deploy-portal': {
          ...base.issuers['shop-deploy-portal'],
          algorithms,
          keys: JSON.stringify({ keys: [pub] }),
        },
      },
    };
  };
  it.each([
    ['EdDSA', EDDSA_KEY],
    ['RS256', RS256_KEY],
  ] as const)('%s tokens verify with their issuer key and fail when altered', async (alg, key) => {
    const parameters = await issuerWith(key, [alg]);
    const token = await mint(NOW, {}, key);
    expect(await evaluate(update(token), NOW, parameters)).toEqual([]);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await evaluate(update(forged), NOW, parameters)).toEqual(
      only(
        'delegation signature does not verify with the keys of issuer shop-deploy-portal; the token was altered or not signed by it',
      ),
    );
  });
});

describe('initiator patterns: * does not cross @', () => {
  it('release-manager-*@shop.example does not match release-manager-x@evil.example@shop.example', async () => {
    const claimed = request({
      operation: 'UPDATE',
      user: AGENTS.batchScaler,
      kind: KINDS.deployment,
      namespace: 'batch',
      name: 'w',
      object: deployment(attributed('w', 'batch', 'platform-team@evil.example@shop.example'), 1),
      oldObject: deployment({ name: 'w', namespace: 'batch' }, 1),
    });
    const parameters = {
      ...params(),
      agents: {
        ...params().agents,
        [AGENTS.batchScaler]: { initiators: ['*@shop.example'], mode: 'claimed', issuers: [] },
      },
    };
    expect(await evaluate(claimed, NOW, parameters)).toEqual([
      '[AG301] agent batch-scaler may not change deployments.apps batch/w: initiator "platform-team@evil.example@shop.example" is not allowed to direct this agent; allowed: *@shop.example',
    ]);
    const token = await mint(NOW, { subject: 'release-manager-x@evil.example@shop.example' });
    expect(await evaluate(update(token, 'release-manager-x@evil.example@shop.example'))).toEqual(
      [
        ...only(
          'delegated by "release-manager-x@evil.example@shop.example", who is not allowed to direct this agent; allowed: release-manager-*@shop.example, oncall@shop.example',
        ),
        ...only(
          'initiator "release-manager-x@evil.example@shop.example" is not allowed to direct this agent; allowed: release-manager-*@shop.example, oncall@shop.example',
        ),
      ].sort(),
    );
  });
});

describe('host builtins', () => {
  /** The builtins a compiled module asks its host for: its `builtins` export, read as OPA's JSON. */
  interface Wasm {
    Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
    instantiate: (bytes: Buffer, imports: object) => Promise<{ instance: { exports: unknown } }>;
  }
  const WebAssembly = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

  async function hostBuiltinsOf(folder: string): Promise<string[]> {
    const memory = new WebAssembly.Memory({ initial: 5 });
    const stub = () => 0;
    const env = {
      memory,
      opa_abort: stub,
      opa_println: stub,
      opa_builtin0: stub,
      opa_builtin1: stub,
      opa_builtin2: stub,
      opa_builtin3: stub,
      opa_builtin4: stub,
    };
    const { instance } = await WebAssembly.instantiate(readFileSync(compiledWasm(folder).path), {
      env,
    });
    const exports = instance.exports as { builtins: () => number; opa_json_dump: (addr: number) => number };
    const at = exports.opa_json_dump(exports.builtins());
    const bytes = new Uint8Array(memory.buffer, at);
    return Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)))) as object);
  }

  it('implement exactly the builtins the compiled modules leave to the host, besides those opa-wasm has', async () => {
    const inOpaWasm = new Set([
      'sprintf',
      'json.marshal',
      'json.unmarshal',
      'yaml.marshal',
      'yaml.unmarshal',
      'regex.split',
      'regex.find_n',
    ]);
    const needed = new Set<string>();
    for (const folder of policyFolders())
      for (const name of await hostBuiltinsOf(folder)) if (!inOpaWasm.has(name)) needed.add(name);
    expect([...needed].sort()).toEqual(HOST_BUILTINS);
  });

  it('verify like jose for valid, forged and altered tokens of every algorithm', async () => {
    const builtins = jwtBuiltins(() => 0n);
    for (const [key, name] of [
      [PORTAL_KEY, 'io.jwt.verify_es256'],
      [EDDSA_KEY, 'io.jwt.verify_eddsa'],
      [RS256_KEY, 'io.jwt.verify_rs256'],
    ] as const) {
      const pub = publicJwk(key);
      const jwks = JSON.stringify({ keys: [pub] });
      const good = await mint(NOW, {}, key);
      const [h, p, s] = good.split('.');
      const altered = `${h}.${Buffer.from(JSON.stringify({ sub: 'x' })).toString('base64url')}.${s}`;
      const foreign = await mint(NOW, {}, { ...ATTACKER_KEY, kid: key.kid });
      for (const token of [good, altered, foreign, `${h}.${p}.`]) {
        const joseSays = await compactVerify(token, await importJWK(pub as never, key.alg)).then(
          () => true,
          () => false,
        );
        expect([token === good, builtins[name](token, jwks)]).toEqual([joseSays, joseSays]);
      }
    }
  });

  it('io.jwt.decode returns header, payload and the signature in hex, and undefined on garbage', async () => {
    const token = await mint(NOW);
    const raw = jwtBuiltins(() => 0n)['io.jwt.decode'](token) as ArrayBuffer;
    const [header, payload, sig] = JSON.parse(new TextDecoder().decode(raw)) as [object, object, string];
    expect(header).toEqual({ alg: 'ES256', kid: PORTAL_KEY.kid, typ: 'JWT' });
    expect(payload).toEqual(decodeJwt(token));
    expect(sig).toBe(Buffer.from(token.split('.')[2], 'base64url').toString('hex'));
    for (const bad of [
      'x',
      'a.b',
      'a.b.c.d',
      'e30.e30.A',
      unsigned({ enc: 'A256GCM' }, {}),
      unsigned({}, [1]),
    ]) {
      expect(jwtBuiltins(() => 0n)['io.jwt.decode'](bad)).toBeUndefined();
    }
  });
});

describe('WASM and gator agree on delegations (gator reads the real clock)', () => {
  it('valid, expired, not-yet-valid and forged tokens minted relative to now, with margins of minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens: [string, string | undefined][] = [
      ['valid', await mint(now - 30)],
      ['valid, about to expire in 2 minutes', await mint(now - 180)],
      ['expired 2 minutes ago', await mint(now - 420)],
      ['not valid for 3 more minutes', await mint(now + 180)],
      ['forged', await mint(now, {}, ATTACKER_KEY)],
      ['other actor', await mint(now, { actor: AGENTS.incidentTriage })],
      ['out of scope', await mint(now, { scope: { verbs: ['delete'] } })],
      ['too long', await mint(now - 10, { ttlSeconds: 3600 })],
      ['alg none', unsigned({ alg: 'none' }, decodeJwt(await mint(now)))],
      ['missing', undefined],
      ['garbage', 'a.b.c'],
      ['no claims', await signRaw(PORTAL_KEY, {})],
      ['EdDSA under the portal kid', await mint(now, {}, { ...EDDSA_KEY, kid: PORTAL_KEY.kid })],
      [
        'claims of the wrong types',
        await signRaw(PORTAL_KEY, {
          ...validClaims(now),
          iss: 7,
          aud: [1],
          act: 'x',
          scope: 'all',
          exp: '9',
        }),
      ],
    ];
    const cases: GatorCase[] = [];
    for (const [name, token] of tokens) {
      const review = update(token);
      cases.push({
        name,
        request: review,
        messages: messages(await regoPack.evaluate('attribution', review, params())),
      });
    }
    expect(cases.filter((c) => c.messages.length === 0).map((c) => c.name)).toEqual([
      'valid',
      'valid, about to expire in 2 minutes',
    ]);
    const run = gatorVerify(new Map([['attribution', cases]]));
    expect((run.stdout + run.stderr).split('\n').filter((l) => /FAIL|got/.test(l))).toEqual([]);
    expect(run.status).toBe(0);
  }, 120_000);
});
