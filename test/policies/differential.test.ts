/**
 * WASM and the real Gatekeeper engine must agree: 150 generated reviews per policy (1,050 in all)
 * are evaluated by opa-wasm, and gator verify then checks each against exactly those violations.
 * One differing message or count fails the test.
 */
import fc from 'fast-check';
import { policyByFolder, policyFolders } from '../../policies/catalog';
import type { PackParameters } from '../../policies/parameters';
import { admissionRequest } from '../support/arbitraries';
import { gatorVerify, type GatorCase } from '../support/gator';
import { exampleConstraints, exampleParameters } from '../support/reviews';
import { evaluate, messages } from '../support/wasm';
import { constraintName } from '../../policies/policy-pack';

const PER_POLICY = 150;

interface Match {
  readonly scope?: string;
  readonly namespaces?: readonly string[];
  readonly kinds?: readonly { apiGroups: readonly string[]; kinds: readonly string[] }[];
}

/** Each policy's constraint `match`, read from the synthesized constraint itself. */
const matches = new Map(
  policyFolders().map((folder) => {
    const constraint = exampleConstraints()
      .toJson()
      .find(
        (o) => (o as { metadata: { name: string } }).metadata.name === constraintName(policyByFolder(folder)),
      );
    return [folder, (constraint as { spec: { match: Match } }).spec.match] as const;
  }),
);

/**
 * Gatekeeper applies a constraint's `match` before any Rego runs, so WASM alone says nothing about
 * requests the constraint does not select. The fields the pack uses: scope, namespaces, kinds.
 */
function selected(folder: string, review: Record<string, unknown>): boolean {
  const match = matches.get(folder) ?? {};
  const namespace =
    typeof review.namespace === 'string' && review.namespace !== '' ? review.namespace : undefined;
  const kind = review.kind as { group: string; kind: string };
  if (match.scope === 'Namespaced' && namespace === undefined) return false;
  if (match.namespaces && namespace !== undefined && !match.namespaces.includes(namespace)) return false;
  return (
    !match.kinds || match.kinds.some((k) => k.apiGroups.includes(kind.group) && k.kinds.includes(kind.kind))
  );
}

it(`WASM and gator agree on ${PER_POLICY} generated reviews per policy`, async () => {
  const suites = new Map<string, GatorCase[]>();
  let denied = 0;
  for (const [index, folder] of policyFolders().entries()) {
    const reviews = fc.sample(admissionRequest, { numRuns: PER_POLICY, seed: 1000 + index });
    const cases: GatorCase[] = [];
    for (const [i, review] of reviews.entries()) {
      const evaluated = await evaluate(folder, review, exampleParameters()[folder as keyof PackParameters]);
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
