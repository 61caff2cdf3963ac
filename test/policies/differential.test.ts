/**
 * WASM and the real Gatekeeper engine must agree: 150 generated reviews per policy (1,200 in all)
 * are evaluated by opa-wasm, and gator verify then checks each against exactly those violations.
 * One differing message or count fails the test.
 */
import fc from 'fast-check';
import { policyFolders } from '../../policies/catalog';
import { appliedConstraints, constraintMatches } from '../../policies/match';
import type { PackParameters } from '../../policies/parameters';
import { admissionRequest } from '../support/arbitraries';
import { gatorVerify, type GatorCase } from '../support/gator';
import { exampleConstraints, exampleParameters } from '../support/reviews';
import { regoPack } from '../../policies/wasm-build';
import { messages } from '../../policies/wasm';

const PER_POLICY = 150;

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
  for (const [index, folder] of policyFolders().entries()) {
    const reviews = fc.sample(admissionRequest, { numRuns: PER_POLICY, seed: 1000 + index });
    const cases: GatorCase[] = [];
    for (const [i, review] of reviews.entries()) {
      const evaluated = await regoPack.evaluate(
        folder,
        review,
        exampleParameters()[folder as keyof PackParameters],
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
  const run = gatorVerify(suites);
  const failures = (run.stdout + run.stderr).split('\n').filter((l) => /FAIL|expected|got/i.test(l));
  expect(failures.slice(0, 20)).toEqual([]);
  expect(run.status).toBe(0);
}, 300_000);
