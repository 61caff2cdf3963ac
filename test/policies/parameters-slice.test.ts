/**
 * `agentguard check` hands each policy only the requesting agent's entry of `parameters.agents`
 * (policies/check.ts, parametersFor), so a review costs the same in a fleet of 10 or 5,000 agents.
 * That is only sound while every policy reads agents through the one keyed lookup; these tests keep
 * it so, and show the narrowed parameters give the same violations on random reviews.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { libraryFiles, policyFolders, REGO_DIR } from '../../policies/catalog';
import { parametersFor } from '../../policies/check';
import type { PackParameters } from '../../policies/parameters';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { admissionRequest } from '../support/arbitraries';
import { AGENTS, exampleParameters } from '../support/reviews';

const regoFiles = [...libraryFiles(), ...policyFolders().map((f) => join(f, 'policy.rego'))];

/** Every place the Rego reads `agents` of the parameters, or the parameters by a computed key, comments left out. */
function agentReads(): string[] {
  return regoFiles.flatMap((file) =>
    readFileSync(join(REGO_DIR, file), 'utf8')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .flatMap(
        (line) =>
          line.match(/parameters\.agents\S*|input\.parameters\[[^\]]*\]|in input\.parameters\b/g) ?? [],
      ),
  );
}

describe('parameters narrowed to the requesting agent', () => {
  it('are sound: the Rego reads agents only as input.parameters.agents[username]', () => {
    expect([...new Set(agentReads())]).toEqual(['parameters.agents[username]']);
  });

  it('keep the requesting agent, drop every other, and leave non-agent parameters whole', () => {
    const params = exampleParameters()['trust-phase'];
    const review = { userInfo: { username: AGENTS.releaseBot } };
    expect(parametersFor(params, review)).toEqual({
      ...params,
      agents: { [AGENTS.releaseBot]: params.agents[AGENTS.releaseBot] },
    });
    expect(parametersFor(params, { userInfo: { username: 'alice@shop.example' } })).toEqual({
      ...params,
      agents: {},
    });
    // A username that names an inherited property is no agent.
    expect(parametersFor(params, { userInfo: { username: 'constructor' } })).toEqual({
      ...params,
      agents: {},
    });
    const hardened = exampleParameters()['hardened-pods'];
    expect(parametersFor(hardened, review)).toBe(hardened);
  });

  it('give exactly the violations of the whole parameters on 1,000 random reviews, every policy', async () => {
    const reviews = fc.sample(admissionRequest, { numRuns: 1000, seed: 77 });
    let denied = 0;
    for (const folder of policyFolders()) {
      const params = exampleParameters()[folder as keyof PackParameters];
      for (const review of reviews) {
        const whole = messages(await regoPack.evaluate(folder, review, params));
        const narrowed = messages(await regoPack.evaluate(folder, review, parametersFor(params, review)));
        expect(narrowed).toEqual(whole);
        if (whole.length > 0) denied++;
      }
    }
    expect(denied).toBeGreaterThan(500);
  }, 120_000);
});
