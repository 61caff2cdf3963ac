/**
 * WASM and the real Gatekeeper engine must agree: 150 generated reviews per policy (1,500 in all)
 * are evaluated by opa-wasm, and gator verify then checks each against exactly those violations.
 * One differing message or count fails the test. A second suite sends 150 of release-bot's requests
 * (signed attribution) with delegation tokens of every kind to AG301.
 *
 * Time: the requests carry delegations minted relative to an anchor (now, in whole seconds, when the
 * file starts). WASM evaluates with its clock pinned at the anchor; gator reads its own clock, later.
 * Only tokens with no time boundary within STABLE_SECONDS after the anchor go in, so both engines
 * see the same verdict (tokens exactly at exp or at the skew are there: their boundary is the anchor
 * itself); those one second past a boundary are fuzzed at a pinned clock only (fuzz.test.ts).
 */
import fc from 'fast-check';
import { policyFolders } from '../../policies/catalog';
import { appliedConstraints, constraintMatches } from '../../policies/match';
import type { PackParameters } from '../../policies/parameters';
import { admissionRequests } from '../support/arbitraries';
import { delegationPool, seconds, STABLE_SECONDS, type PooledDelegation } from '../support/delegation';
import { gatorFailures, gatorVerifySharded, type GatorCase } from '../support/gator';
import { AGENTS, exampleConstraints, exampleParameters } from '../support/reviews';
import { regoPack } from '../../policies/wasm-build';
import { messages } from '../../policies/wasm';

const PER_POLICY = 150;
const SIGNED_REVIEWS = 150;
/** gator verify processes at once: gator compiles the template per case, so a suite is CPU-bound. */
const GATOR_SHARDS = 2;

const ANCHOR = Math.floor(Date.now() / 1000);
const at = () => seconds(ANCHOR);
let stable: PooledDelegation[] = [];
beforeAll(async () => {
  stable = (await delegationPool(ANCHOR)).filter((d) => d.stable);
});

/** gator read its clock before the stable tokens could change their verdicts. */
const withinStableWindow = () => expect(Date.now() / 1000 - ANCHOR).toBeLessThan(STABLE_SECONDS);

const disagreements = (run: { stdout: string; stderr: string }) =>
  gatorFailures(run, /FAIL|expected|got/i).slice(0, 20);

/** Each policy's constraint, read from the synthesized constraints themselves. */
const constraints = new Map(appliedConstraints(exampleConstraints()).map((c) => [c.policy.folder, c]));

/** Gatekeeper applies a constraint's `match` before any Rego runs; WASM alone says nothing about the rest. */
function selected(folder: string, review: Record<string, unknown>): boolean {
  const constraint = constraints.get(folder);
  if (!constraint) throw new Error(`no constraint for rego/${folder}`);
  return constraintMatches(constraint.match, review);
}

it(`WASM and gator agree on ${PER_POLICY} generated reviews per policy`, async () => {
  const suites = new Map<string, GatorCase[]>();
  let denied = 0;
  const admissionRequest = admissionRequests({ delegations: stable.map((d) => d.token) });
  for (const [index, folder] of policyFolders().entries()) {
    const reviews = fc.sample(admissionRequest, { numRuns: PER_POLICY, seed: 1000 + index });
    const cases: GatorCase[] = [];
    for (const [i, review] of reviews.entries()) {
      const evaluated = await regoPack.evaluate(
        folder,
        review,
        exampleParameters()[folder as keyof PackParameters],
        at,
      );
      const found = selected(folder, review) ? messages(evaluated) : [];
      if (found.length > 0) denied += 1;
      cases.push({ name: `${folder}-${i}`, request: review, messages: found });
    }
    suites.set(folder, cases);
  }
  const total = [...suites.values()].reduce((n, c) => n + c.length, 0);
  expect(total).toBeGreaterThanOrEqual(1000);
  expect(denied).toBeGreaterThan(total / 10);
  const run = await gatorVerifySharded(suites, GATOR_SHARDS);
  withinStableWindow();
  expect(disagreements(run)).toEqual([]);
  expect(run.status).toBe(0);
}, 300_000);

it(`WASM and gator agree on ${SIGNED_REVIEWS} of release-bot's requests with delegations of every kind (AG301)`, async () => {
  const byToken = new Map(stable.map((d) => [d.token, d.name]));
  const reviews = fc.sample(
    admissionRequests({ delegations: [...byToken.keys()], users: [AGENTS.releaseBot] }),
    { numRuns: SIGNED_REVIEWS, seed: 2026 },
  );
  const seen = new Set<string>();
  const cases: GatorCase[] = [];
  let allowed = 0;
  for (const [i, review] of reviews.entries()) {
    const r = review as {
      object: { metadata?: { annotations?: Record<string, string> } } | null;
      userInfo: { extra?: Record<string, string[]> };
    };
    for (const token of [
      r.object?.metadata?.annotations?.['agentguard.dev/delegation'],
      ...(r.userInfo.extra?.['agentguard.dev/delegation'] ?? []),
    ])
      if (token) seen.add(byToken.get(token)!);
    const found = selected('attribution', review)
      ? messages(await regoPack.evaluate('attribution', review, exampleParameters().attribution, at))
      : [];
    if (found.length === 0) allowed += 1;
    cases.push({ name: `signed-${i}`, request: review, messages: found });
  }
  expect([...seen].sort()).toEqual(stable.map((d) => d.name).sort());
  expect(allowed).toBeGreaterThan(0);
  expect(allowed).toBeLessThan(SIGNED_REVIEWS / 2);
  const run = await gatorVerifySharded(new Map([['attribution', cases]]), GATOR_SHARDS);
  withinStableWindow();
  expect(disagreements(run)).toEqual([]);
  expect(run.status).toBe(0);
}, 120_000);
