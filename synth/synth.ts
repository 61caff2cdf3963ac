/**
 * Synthesis as a library (`agentguard synth` is its command line): validates a fleet file, checks its
 * phase changes against the promotion lock beside it, writes its manifests to an output folder
 * atomically, then records the new phases in the lock. Bad input throws a FleetValidationError with
 * every error and its path, an output folder that is not safe to replace (a file, a folder synth did
 * not write, one holding the fleet, the lock or the working directory) an UnsafeOutputError; either
 * way nothing is written, the lock included.
 */
import { dirname, join, relative } from 'node:path';
import { expiredRelaxations } from '../lib/enforcement';
import { FleetValidationError, toFleetErrors } from '../lib/fleet/errors';
import { fleetCollisions } from '../lib/fleet/collisions';
import { loadFleetFile, readFleetFile } from '../lib/fleet/load';
import { localStateFile } from '../lib/vault/backend';
import { lockFileFor, readLockFile, renderLock, type FleetLock } from '../lib/fleet/lock';
import { checkPromotions, lockChanges, nextLock } from '../lib/fleet/promotion';
import { renderFleetOutput } from './render';
import { summarize, type SynthSummary } from './summary';
import {
  checkOutputDir,
  realPath,
  UnsafeOutputError,
  withMarker,
  within,
  writeAtomically,
  writeFileAtomically,
  type KeptPath,
} from './write';

export interface SynthOptions {
  /** The promotion lock to check against and update. @default `<fleet stem>.lock.yaml` beside the fleet */
  readonly lockFile?: string;
  /** Fail instead of updating the lock when it would change (CI). @default false */
  readonly frozenLock?: boolean;
  /**
   * Other fleet files applied to the same cluster: validated and checked for collisions with this
   * fleet (fleet name, agent namespaces and names, targets in their agent namespaces, Vault state
   * and secrets-engine mount); nothing is written for them. @default none
   */
  readonly also?: readonly string[];
  /**
   * Today's date (YYYY-MM-DD), given explicitly: refuse relaxed enforcement whose `until` has passed.
   * Synth never reads the clock itself, so the same input always gives the same output.
   */
  readonly today?: string;
}

export interface SynthResult {
  readonly files: number;
  readonly agents: number;
  readonly lockFile: string;
  readonly lockChanged: boolean;
  /** What was written, counted from the files themselves. */
  readonly summary: SynthSummary;
}

/**
 * Loads a fleet and rejects phase changes its promotion lock does not allow. Writes nothing, so every
 * entry point (this CLI and `cdk8s synth`) applies the same promotion rules.
 */
export function loadCheckedFleet(fleetFile: string, lockFile = lockFileFor(fleetFile)) {
  const { fleet, locate } = readFleetFile(fleetFile);
  const { lock, text: lockText } = readLockFile(lockFile);
  const rejected = checkPromotions(fleet, lock);
  if (rejected.length > 0) {
    throw new FleetValidationError(
      toFleetErrors(rejected, locate),
      fleetFile,
      `is rejected by the promotion rules against ${lockFile}`,
    );
  }
  return { fleet, lock, lockText };
}

export function synth(fleetFile: string, outDir: string, options: SynthOptions = {}): SynthResult {
  const lockFile = options.lockFile ?? lockFileFor(fleetFile);
  const keep: KeptPath[] = [
    { path: fleetFile, what: 'the fleet file' },
    { path: lockFile, what: 'the promotion lock' },
  ];
  // Checked first, so an unsafe --out fails before anything is read or written.
  checkOutputDir(outDir, keep);
  const { fleet, lock, lockText } = loadCheckedFleet(fleetFile, lockFile);
  const fleetDir = dirname(fleetFile);
  // Terraform state synth did not write must never be inside the folder it replaces.
  const stateFile = localStateFile(fleet, fleetDir);
  if (stateFile !== undefined && within(realPath(stateFile), realPath(outDir))) {
    throw new UnsafeOutputError(
      `refusing to write to ${outDir}: the fleet's Terraform state ${relative(process.cwd(), stateFile)} (spec.vault.backend.local.path, relative to the fleet file's folder) is inside it, and synth replaces the whole output folder; put the state outside it. Nothing was written`,
    );
  }
  const problems = [
    ...(options.today !== undefined ? expiredRelaxations(fleet, checkedDay(options.today)) : []),
  ];
  if (problems.length > 0) {
    const { locate } = readFleetFile(fleetFile);
    throw new FleetValidationError(
      toFleetErrors(problems, locate),
      fleetFile,
      `has expired relaxations (--today ${options.today})`,
    );
  }
  if (options.also !== undefined && options.also.length > 0) {
    const others = options.also.map((file) => ({ file, fleet: loadFleetFile(file) }));
    const collisions = fleetCollisions({ file: fleetFile, fleet }, others);
    if (collisions.length > 0) {
      const { locate } = readFleetFile(fleetFile);
      throw new FleetValidationError(
        toFleetErrors(collisions, locate),
        fleetFile,
        'collides with other fleets of the cluster (--also)',
      );
    }
  }
  const next = nextLock(fleet, lock);
  const updated = renderLock(next);
  const lockChanged = updated !== lockText;
  if (lockChanged && options.frozenLock) throw frozenLockError(lockFile, lock, next);

  const rendered = renderFleetOutput(fleet, { stack: { fleetDir, stackDir: join(outDir, 'vault') } });
  const files = withMarker(rendered.files);
  writeAtomically(outDir, files, keep);
  // After dist/: if writing the manifests failed, the record must not claim the new phases.
  if (lockChanged) writeFileAtomically(lockFile, updated);
  return {
    files: files.size,
    agents: fleet.spec.agents.length,
    lockFile,
    lockChanged,
    summary: summarize(fleet, files, rendered.manifests),
  };
}

/** --today must be a real day, YYYY-MM-DD, so the comparison with `until` is exact. */
function checkedDay(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new UnsafeOutputError(`--today ${day}: not a date; give YYYY-MM-DD, e.g. --today "$(date -u +%F)"`);
  }
  return day;
}

function frozenLockError(
  lockFile: string,
  before: FleetLock | undefined,
  after: FleetLock,
): FleetValidationError {
  const changes = lockChanges(before, after);
  const errors =
    before === undefined
      ? [{ path: '(file)', message: 'does not exist; run synth without --frozen-lock and commit it' }]
      : changes.length > 0
        ? toFleetErrors(changes).map((e) => ({
            ...e,
            message: `${e.message}; run synth without --frozen-lock and commit the lock`,
          }))
        : [{ path: '(file)', message: 'is not in the form synth writes; run synth without --frozen-lock' }];
  return new FleetValidationError(errors, lockFile, 'is out of date (--frozen-lock)');
}
