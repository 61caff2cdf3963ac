/**
 * `npm run bench`: figures, not assertions. Each figure is measured side by side in the same run on
 * the same machine, so ratios hold where absolute numbers drift:
 *
 *  1. offline admission evaluation of realistic agent requests (allowed and denied mixed, the fuzz
 *     generator's corpus): `agentguard check` in-process and as a whole process, against the real
 *     `gator verify` on the same reviews, with start-up cost separated from per-review cost;
 *  2. cost against fleet size (10 … 5,000 generated agents): synth wall time and peak RSS, `report`
 *     wall time, and per-review evaluation cost against each fleet's constraints;
 *  3. CLI start-up (`--help`).
 *
 * `npm run bench -- --quick` stops at 1,000 reviews and 1,000 agents; `--fleet-only` skips part 1
 * (gator is slow: about 7 reviews/s through the whole pack).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { defineFleet } from '../lib/fleet/validate';
import type { AgentInput, Fleet } from '../lib/fleet/schema';
import { PHASES } from '../lib/phases';
import { PackChecker } from '../policies/check';
import { appliedConstraints, constraintMatches } from '../policies/match';
import { policyFolders } from '../policies/catalog';
import { committedModules, messages, PackEvaluator } from '../policies/wasm';
import { admissionRequest } from '../test/support/arbitraries';
import { gatorVerify, type GatorCase } from '../test/support/gator';
import { admissionReview, exampleConstraints } from '../test/support/reviews';
import { loadFleetFile } from '../lib/fleet/load';
import { lockFileFor, renderLock } from '../lib/fleet/lock';
import { nextLock } from '../lib/fleet/promotion';
import { REPO_ROOT } from './toolchain';

const quick = process.argv.includes('--quick');
const REVIEW_COUNTS = quick ? [100, 1000] : [100, 1000, 10_000];
/** gator is only run up to this many reviews (see admission()). */
const GATOR_MAX = 1000;
const FLEET_SIZES = quick ? [10, 100, 1000] : [10, 100, 1000, 5000];
const CLI = join(REPO_ROOT, 'bin', 'agentguard.js');
/** The run's scratch folder, made by main() (importing generatedFleet must leave nothing behind). */
let work = '';

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const round = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}

/** Wall time of a child process and its peak RSS (GNU time's %M, in KiB). */
function timed(cmd: string, args: string[]): { ms: number; rssMiB: number; status: number | null } {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const rssKiB = Number(/(\d+)\s*$/.exec(run.stderr)?.[1] ?? NaN);
  return { ms, rssMiB: rssKiB / 1024, status: run.status };
}

const corpus = (n: number, seed: number) => fc.sample(admissionRequest, { numRuns: n, seed });

/** 1. The example fleet's pack on n reviews: in-process, whole process, gator. */
async function admission(): Promise<void> {
  const fleet = loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));
  const rows: (string | number)[][] = [];
  const startup = performance.now();
  const checker = new PackChecker(fleet);
  const [warm] = corpus(1, 1);
  await checker.check({ file: 'x', document: 1, request: warm });
  const startupMs = performance.now() - startup;

  // Whole process: the start-up is the time for one review; the rest is per review.
  const reviewFile = (reviews: Record<string, unknown>[]) => {
    const path = join(work, `reviews-${reviews.length}.yaml`);
    writeFileSync(path, reviews.map((r) => stringify(admissionReview(r), { lineWidth: 0 })).join('---\n'));
    return path;
  };
  const cli = (path: string) =>
    timed('node', [CLI, 'check', '-f', 'examples/fleet.yaml', '-o', 'json', path]);
  const cliStart = cli(reviewFile(corpus(1, 1))).ms;

  // gator verify: one suite per policy, each review a case whose expectation is WASM's answer, so the
  // run also proves the two engines agree on the corpus.
  const constraints = new Map(appliedConstraints(exampleConstraints()).map((c) => [c.policy.folder, c]));
  const evaluator = new PackEvaluator(committedModules);
  const gatorSuites = async (reviews: Record<string, unknown>[]) => {
    const suites = new Map<string, GatorCase[]>();
    for (const folder of policyFolders()) {
      const c = constraints.get(folder)!;
      const cases: GatorCase[] = [];
      for (const [i, review] of reviews.entries()) {
        const selected = constraintMatches(c.match, review);
        const found = selected ? messages(await evaluator.evaluate(folder, review, c.parameters)) : [];
        cases.push({ name: `${folder}-${i}`, request: review, messages: found });
      }
      suites.set(folder, cases);
    }
    return suites;
  };
  const gator = async (reviews: Record<string, unknown>[]) => {
    const suites = await gatorSuites(reviews);
    const started = performance.now();
    const run = gatorVerify(suites);
    const ms = performance.now() - started;
    if (run.status !== 0) throw new Error(`gator disagreed with WASM:\n${run.stdout.slice(0, 2000)}`);
    return ms;
  };
  const gatorStart = await gator(corpus(1, 1));

  for (const n of REVIEW_COUNTS) {
    const reviews = corpus(n, 42);
    const inputs = reviews.map((request, i) => ({ file: 'bench', document: i + 1, request }));
    const started = performance.now();
    let denied = 0;
    for (const input of inputs) if (!(await checker.check(input)).allowed) denied++;
    const inProcessMs = performance.now() - started;
    const cliMs = cli(reviewFile(reviews)).ms;
    // gator verify manages about 7 reviews/s through the whole pack: 10,000 would take 25 minutes.
    const gatorMs = n <= GATOR_MAX ? await gator(reviews) : undefined;
    const perSecond = (ms: number, start = 0) => (n * 1000) / Math.max(ms - start, 1e-6);
    rows.push([
      n,
      `${Math.round((denied * 100) / n)}%`,
      round(perSecond(inProcessMs)),
      round(perSecond(cliMs, cliStart)),
      gatorMs === undefined ? 'skipped' : round(perSecond(gatorMs, gatorStart)),
      gatorMs === undefined ? '' : `${(perSecond(inProcessMs) / perSecond(gatorMs, gatorStart)).toFixed(0)}×`,
      seconds(cliMs),
      gatorMs === undefined ? '' : seconds(gatorMs),
    ]);
  }
  table(
    `1. Admission evaluation, example fleet (${policyFolders().length} policies). Start-up: in-process ${seconds(startupMs)} s (constraints + WASM load), check process ${seconds(cliStart)} s, gator verify ${seconds(gatorStart)} s`,
    [
      'reviews',
      'denied',
      'in-process rev/s',
      'check process rev/s',
      'gator rev/s',
      'in-process vs gator',
      'check total s',
      'gator total s',
    ],
    rows,
  );
}

const DIGEST = '@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** A valid fleet of n agents across every phase, each with a target, Vault paths and egress. */
export function generatedFleet(n: number): Fleet {
  const agents: AgentInput[] = Array.from({ length: n }, (_, i) => {
    const phase = PHASES[i % PHASES.length];
    return {
      name: `a${i}`,
      namespace: `agents-${i}`,
      image: `registry.example.com/agents/a${i}${DIGEST}`,
      phase,
      ...(phase === 'shadow' ? {} : { promotion: { phase, approvedBy: 'lead@example.com' } }),
      targets: [
        {
          namespace: `team-${i}`,
          kinds: ['Deployment', 'ConfigMap'],
          create: phase !== 'shadow',
          pods: { registries: [`registry.example.com/team-${i}`] },
        },
      ],
      egress: [{ cidr: '10.40.0.0/16', ports: [443] }],
      vault: { secrets: [{ path: `secret/data/agents/a${i}/*` }] },
      attribution: { initiators: [`team-${i}-*@example.com`] },
    };
  });
  return defineFleet({
    apiVersion: 'agentguard.dev/v1alpha1',
    kind: 'AgentFleet',
    metadata: { name: `bench-${n}` },
    spec: { agents },
  });
}

/** The corpus with each agent request re-addressed to one of this fleet's agents and its target. */
function fleetCorpus(fleet: Fleet, n: number): Record<string, unknown>[] {
  const agents = fleet.spec.agents;
  return corpus(n, 7).map((review, i) => {
    const user = (review.userInfo as { username: string }).username;
    if (!user.startsWith('system:serviceaccount:agents-')) return review;
    const agent = agents[(i * 7919) % agents.length];
    return {
      ...review,
      userInfo: { username: `system:serviceaccount:${agent.namespace}:${agent.name}` },
      namespace: agent.targets[0].namespace,
    };
  });
}

/** 2. Synth, report and per-review cost against fleet size. */
async function fleetSize(): Promise<void> {
  const rows: (string | number)[][] = [];
  const perReview = new Map<number, number>();
  const synthMs = new Map<number, number>();
  const reportMs = new Map<number, number>();
  for (const n of FLEET_SIZES) {
    const fleet = generatedFleet(n);
    const dir = join(work, `fleet-${n}`);
    mkdirSync(dir);
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, stringify(fleet, { lineWidth: 0 }));
    // A lock that already records every agent's phase, as a fleet in use has one.
    writeFileSync(lockFileFor(file), renderLock(nextLock(fleet, undefined)));
    const synth = timed('node', [CLI, 'synth', '--fleet', file, '--out', join(dir, 'dist'), '--frozen-lock']);
    if (synth.status !== 0) throw new Error(`synth of ${n} agents failed`);
    const report = timed('node', [CLI, 'report', '--fleet', file, '--out', join(dir, 'report.md')]);
    const checker = new PackChecker(fleet);
    const reviews = fleetCorpus(fleet, 1000).map((request, i) => ({ file: 'b', document: i + 1, request }));
    await checker.check(reviews[0]);
    const started = performance.now();
    for (const r of reviews) await checker.check(r);
    const us = ((performance.now() - started) * 1000) / reviews.length;
    perReview.set(n, us);
    synthMs.set(n, synth.ms);
    reportMs.set(n, report.ms);
    rows.push([
      n,
      seconds(synth.ms),
      Math.round(synth.rssMiB),
      seconds(report.ms),
      Math.round(report.rssMiB),
      round(us),
    ]);
    rmSync(dir, { recursive: true, force: true });
  }
  table(
    '2. Fleet size (generated agents, all phases; synth against a matching lock)',
    ['agents', 'synth s', 'synth peak MiB', 'report s', 'report peak MiB', 'µs per review'],
    rows,
  );
  const ratio = (m: Map<number, number>, a: number, b: number) =>
    m.has(a) && m.has(b)
      ? `${(m.get(b)! / m.get(a)!).toFixed(2)}× (exponent ${(Math.log(m.get(b)! / m.get(a)!) / Math.log(b / a)).toFixed(2)})`
      : 'n/a';
  const pairs = FLEET_SIZES.slice(1).map((b, i) => [FLEET_SIZES[i], b] as const);
  table(
    'Scaling: time(b) / time(a), and the exponent k in time ∝ agents^k (1 = linear, 0 = flat)',
    ['a → b', 'synth', 'report', 'per review'],
    [
      ...pairs.map(([a, b]) => [
        `${a} → ${b}`,
        ratio(synthMs, a, b),
        ratio(reportMs, a, b),
        ratio(perReview, a, b),
      ]),
      [
        `${FLEET_SIZES[0]} → ${FLEET_SIZES.at(-1)}`,
        ratio(synthMs, FLEET_SIZES[0], FLEET_SIZES.at(-1)!),
        ratio(reportMs, FLEET_SIZES[0], FLEET_SIZES.at(-1)!),
        ratio(perReview, FLEET_SIZES[0], FLEET_SIZES.at(-1)!),
      ],
    ],
  );
}

/** 3. CLI start-up: the median of five `--help` runs. */
function cliStart(): void {
  const runs = Array.from({ length: 5 }, () => timed('node', [CLI, '--help']).ms).sort((a, b) => a - b);
  table(
    '3. CLI start-up',
    ['command', 'median s', 'min s'],
    [['agentguard --help', seconds(runs[2]), seconds(runs[0])]],
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `agentguard bench${quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} cores\n`,
  );
  work = mkdtempSync(join(tmpdir(), 'agentguard-bench-'));
  try {
    cliStart();
    if (!process.argv.includes('--fleet-only')) await admission();
    await fleetSize();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
