/**
 * One real control plane per test file (tools/cluster.ts: etcd, kube-apiserver, Gatekeeper and its
 * webhook on 127.0.0.1), shared by the file's tests and always stopped: jest's afterAll, process exit
 * hooks and a watchdog that outlives a killed jest worker. Plus the steps the README documents for
 * applying `dist/`, so the tests apply it exactly as a user does.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ControlPlane, type KubectlResult } from '../../tools/cluster';
import { REPO_ROOT } from '../../tools/toolchain';
import { BIN, EXAMPLE_FLEET } from '../support/cli';

export const STARTUP_TIMEOUT_MS = 240_000;

/** Starts a control plane before the file's tests and stops it after them, whatever happens. */
export function useControlPlane(
  options: { auditPolicy?: () => string; gatekeeper?: boolean } = {},
): () => ControlPlane {
  let plane: ControlPlane | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentguard-cluster-'));
    const started = Date.now();
    plane = await ControlPlane.start({
      auditPolicy: options.auditPolicy?.(),
      gatekeeper: options.gatekeeper,
      dir: join(dir, 'plane'),
      tiedToProcess: true,
      timeoutMs: STARTUP_TIMEOUT_MS - 10_000,
    });
    process.stdout.write(
      `control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}\n`,
    );
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await plane?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);
  return () => {
    if (!plane) throw new Error('the control plane did not start (see beforeAll)');
    return plane;
  };
}

/** `agentguard synth` as a user runs it; the fleet's lock is copied beside it when the fleet is not the example. */
export function synth(fleetYaml?: string): string {
  const work = mkdtempSync(join(tmpdir(), 'agentguard-dist-'));
  let fleet = EXAMPLE_FLEET;
  if (fleetYaml !== undefined) {
    fleet = join(work, 'fleet.yaml');
    writeFileSync(fleet, fleetYaml);
    cpSync(join(REPO_ROOT, 'examples', 'fleet.lock.yaml'), join(work, 'fleet.lock.yaml'));
  }
  return synthFile(fleet, [], work);
}

/** `agentguard synth --fleet FILE --also OTHER…` into a fresh folder: a fleet file used in place. */
export function synthFile(
  fleet: string,
  also: readonly string[] = [],
  work = mkdtempSync(join(tmpdir(), 'agentguard-dist-')),
): string {
  const out = join(work, 'dist');
  const args = ['synth', '--fleet', fleet, '--out', out, ...also.flatMap((f) => ['--also', f])];
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`synth failed:\n${run.stderr}${run.stdout}`);
  return out;
}

/** Every object in a synthesized YAML file. */
export function objectsIn(
  file: string,
): Array<{ apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }> {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o);
}

export function ok(run: KubectlResult, what: string): string {
  if (run.status !== 0) throw new Error(`${what} exited ${run.status}:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

/**
 * Applies `dist/` in the README's order ("Gatekeeper policy pack"): the templates, then wait until
 * Gatekeeper has created every constraint CRD, then the whole tree; then wait until Gatekeeper
 * enforces every constraint. Returns how long each step took and the API server's warnings.
 */
export function applyDist(
  plane: ControlPlane,
  dist: string,
): { times: Record<string, number>; warnings: string[] } {
  const times: Record<string, number> = {};
  const step = (name: string, fn: () => void) => {
    const started = Date.now();
    fn();
    times[name] = Date.now() - started;
  };
  step('templates', () =>
    ok(plane.kubectl(['apply', '-k', join(dist, 'policy-pack', 'templates')]), 'kubectl apply -k templates'),
  );
  step('constraint CRDs', () =>
    ok(
      plane.kubectl([
        'wait',
        'constrainttemplates',
        '--all',
        '--for=jsonpath={.status.created}=true',
        '--timeout=120s',
      ]),
      'kubectl wait constrainttemplates',
    ),
  );
  const warnings: string[] = [];
  step('everything', () => {
    const run = plane.kubectl(['apply', '-k', dist]);
    ok(run, 'kubectl apply -k dist');
    // The API server's warnings, e.g. PodSecurity's "would violate PodSecurity" for a pod template.
    warnings.push(...run.stderr.split('\n').filter((line) => /^Warning:/.test(line)));
  });
  step('constraints enforced', () => waitForEnforcement(plane));
  return { times, warnings };
}

/** Waits until Gatekeeper enforces every constraint at its current generation. */
export function waitForEnforcement(plane: ControlPlane, timeoutMs = 120_000): void {
  interface Constraint {
    metadata: { name: string; generation?: number };
    status?: { byPod?: Array<{ enforced?: boolean; observedGeneration?: number }> };
  }
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const run = plane.kubectl(['get', 'constraints', '-o', 'json']);
    if (run.status === 0) {
      const items = (JSON.parse(run.stdout) as { items: Constraint[] }).items;
      const pending = items.filter(
        (c) =>
          !(c.status?.byPod ?? []).some(
            (p) => p.enforced === true && p.observedGeneration === c.metadata.generation,
          ),
      );
      if (items.length > 0 && pending.length === 0) return;
      last = `${pending.length} of ${items.length} not enforced yet: ${pending.map((c) => c.metadata.name).join(', ')}`;
    } else last = run.stderr;
    spawnSync('sleep', ['0.5']);
  }
  throw new Error(`constraints not enforced in time: ${last}`);
}
