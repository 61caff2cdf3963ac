/**
 * gator verify suites built from reviews: the real Gatekeeper engine checks each review against the
 * generated template and the example fleet's constraint, with the exact violation count and messages
 * as assertions. Suites are written to a scratch folder; gator reads them from there.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { constraintName } from '../../policies/policy-pack';
import { policyByFolder, templateFile } from '../../policies/catalog';
import type { PolicyConstraints } from '../../policies/policy-pack';
import { admissionReview, EXAMPLE_FLEET_NAME, exampleConstraints } from './reviews';
import { QUIET_ENV, toolPath } from '../../tools/toolchain';
import { runTool, type ToolRun } from './tools';

export interface GatorCase {
  readonly name: string;
  readonly request: Record<string, unknown>;
  /** Exact messages expected; gator asserts the count and each message. */
  readonly messages: readonly string[];
}

/** Regex matching exactly one literal message, as gator's `message` assertion takes a regex. */
const literal = (text: string): string => `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

/**
 * Which of a template's engines gator evaluates. With a K8sNativeValidation block present, gator (like
 * Gatekeeper) runs CEL, whose driver has priority; `rego` turns that driver off, so the same template
 * is evaluated by its Rego. A template without CEL is evaluated by Rego either way.
 */
export type GatorEngine = 'rego' | 'cel';

const engineFlag = (engine: GatorEngine): string =>
  `--enable-k8s-native-validation=${engine === 'cel' ? 'true' : 'false'}`;

/** The constraints a suite checks against: by default the example fleet's. */
export interface GatorFleet {
  readonly name: string;
  readonly constraints: PolicyConstraints;
}

const EXAMPLE: () => GatorFleet = () => ({ name: EXAMPLE_FLEET_NAME, constraints: exampleConstraints() });

/**
 * The lines of a gator run that match `pattern`, leaving out gator's own pass lines
 * (`ok<TAB><suite path><TAB><time>`): the suite's folder has a random name, and one called
 * `agentguard-gator-0WrGot` once matched /got/i in a passing run.
 */
export function gatorFailures(run: { stdout: string; stderr: string }, pattern: RegExp): string[] {
  return (run.stdout + run.stderr).split('\n').filter((line) => !/^ok\t/.test(line) && pattern.test(line));
}

/** Runs `gator verify` over one suite per policy folder; returns the run and keeps nothing on disk. */
export function gatorVerify(
  casesByFolder: ReadonlyMap<string, readonly GatorCase[]>,
  fleet: GatorFleet = EXAMPLE(),
  engine: GatorEngine = 'rego',
  /** Templates to use instead of the generated ones, by folder (to prove a check can fail). */
  templates: ReadonlyMap<string, Record<string, unknown>> = new Map(),
): ToolRun {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-gator-'));
  try {
    writeSuite(dir, casesByFolder, fleet, templates);
    return runTool('gator', ['verify', engineFlag(engine), dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same cases split over `shards` `gator verify` processes running at once, one run's status (the
 * worst), stdout and stderr made of theirs. gator builds a fresh client and compiles the template for
 * every case (pkg/gator/verify/runner.go), so a large suite is CPU-bound in one process; this spreads
 * it over the cores. Every case is still checked once, by the same engine, with the same assertions.
 */
export async function gatorVerifySharded(
  casesByFolder: ReadonlyMap<string, readonly GatorCase[]>,
  shards: number,
  fleet: GatorFleet = EXAMPLE(),
  engine: GatorEngine = 'rego',
): Promise<ToolRun> {
  const parts = Array.from({ length: shards }, () => new Map<string, GatorCase[]>());
  let next = 0;
  for (const [folder, cases] of casesByFolder)
    for (const c of cases) {
      const part = parts[next++ % shards];
      part.set(folder, [...(part.get(folder) ?? []), c]);
    }
  const dirs = parts.filter((p) => p.size > 0).map(() => mkdtempSync(join(tmpdir(), 'agentguard-gator-')));
  try {
    const runs = await Promise.all(
      dirs.map((dir, i) => {
        writeSuite(dir, parts[i], fleet, new Map());
        return runGator(dir, engine);
      }),
    );
    return {
      status: runs.reduce<number | null>((worst, r) => (r.status === 0 ? worst : r.status), 0),
      stdout: runs.map((r) => r.stdout).join(''),
      stderr: runs.map((r) => r.stderr).join(''),
    };
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function runGator(dir: string, engine: GatorEngine): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath('gator'), ['verify', engineFlag(engine), dir], {
      env: { ...process.env, ...QUIET_ENV },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Writes the suite gator reads: per folder the template, the fleet's constraint and each case. */
function writeSuite(
  dir: string,
  casesByFolder: ReadonlyMap<string, readonly GatorCase[]>,
  fleet: GatorFleet,
  templates: ReadonlyMap<string, Record<string, unknown>>,
): void {
  const constraints = new Map(
    fleet.constraints.toJson().map((o) => [(o as { metadata: { name: string } }).metadata.name, o] as const),
  );
  const tests = [];
  for (const [folder, cases] of casesByFolder) {
    const policy = policyByFolder(folder);
    mkdirSync(join(dir, folder, 'cases'), { recursive: true });
    // gator resolves every path inside the suite folder, so the generated template is copied in.
    const own = templates.get(folder);
    if (own) writeFileSync(join(dir, folder, 'template.yaml'), stringify(own, { lineWidth: 0 }));
    else copyFileSync(templateFile(folder), join(dir, folder, 'template.yaml'));
    writeFileSync(
      join(dir, folder, 'constraint.yaml'),
      stringify(constraints.get(constraintName(policy, fleet.name))),
    );
    tests.push({
      name: folder,
      template: join(folder, 'template.yaml'),
      constraint: join(folder, 'constraint.yaml'),
      cases: cases.map((c, i) => {
        const file = join(folder, 'cases', `${i}.yaml`);
        writeFileSync(join(dir, file), stringify(admissionReview(c.request), { lineWidth: 0 }));
        return {
          name: c.name,
          object: file,
          assertions: [
            { violations: c.messages.length },
            ...[...new Set(c.messages)].map((m) => ({
              violations: c.messages.filter((x) => x === m).length,
              message: literal(m),
            })),
          ],
        };
      }),
    });
  }
  writeFileSync(
    join(dir, 'suite.yaml'),
    stringify({ kind: 'Suite', apiVersion: 'test.gatekeeper.sh/v1alpha1', tests }),
  );
}
