/**
 * `npm run synth`: validates a fleet file, checks its phase changes against the promotion lock beside
 * it, writes its manifests to an output folder atomically, then records the new phases in the lock.
 * Bad input prints every error with its path and exits 1; nothing is written, the lock included.
 */
import { Command } from 'commander';
import { FleetValidationError, toFleetErrors } from '../lib/fleet/errors';
import { readFleetFile } from '../lib/fleet/load';
import { lockFileFor, readLockFile, renderLock, type FleetLock } from '../lib/fleet/lock';
import { checkPromotions, lockChanges, nextLock } from '../lib/fleet/promotion';
import { renderFleet } from './render';
import { writeAtomically, writeFileAtomically } from './write';

export interface SynthOptions {
  /** The promotion lock to check against and update. @default `<fleet stem>.lock.yaml` beside the fleet */
  readonly lockFile?: string;
  /** Fail instead of updating the lock when it would change (CI). @default false */
  readonly frozenLock?: boolean;
}

export interface SynthResult {
  readonly files: number;
  readonly agents: number;
  readonly lockFile: string;
  readonly lockChanged: boolean;
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
  const { fleet, lock, lockText } = loadCheckedFleet(fleetFile, lockFile);
  const next = nextLock(fleet, lock);
  const updated = renderLock(next);
  const lockChanged = updated !== lockText;
  if (lockChanged && options.frozenLock) throw frozenLockError(lockFile, lock, next);

  const files = renderFleet(fleet);
  writeAtomically(outDir, files);
  // After dist/: if writing the manifests failed, the record must not claim the new phases.
  if (lockChanged) writeFileAtomically(lockFile, updated);
  return { files: files.size, agents: fleet.spec.agents.length, lockFile, lockChanged };
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

if (require.main === module) {
  const program = new Command()
    .name('synth')
    .description('Synthesize the guardrails of a fleet into an output folder')
    .option('-f, --fleet <file>', 'fleet file', 'examples/fleet.yaml')
    .option('-o, --out <dir>', 'output folder (replaced atomically)', 'dist')
    .option(
      '--lock <file>',
      'promotion lock to check and update (default: <fleet stem>.lock.yaml beside the fleet)',
    )
    .option(
      '--frozen-lock',
      'fail instead of updating the promotion lock when it would change (for CI)',
      false,
    )
    .showHelpAfterError()
    .parse();
  const opts = program.opts<{ fleet: string; out: string; lock?: string; frozenLock: boolean }>();
  const lockFile = opts.lock ?? lockFileFor(opts.fleet);
  try {
    const result = synth(opts.fleet, opts.out, { lockFile, frozenLock: opts.frozenLock });
    process.stdout.write(
      `synthesized ${result.agents} agents into ${opts.out}/ (${result.files} files)` +
        (result.lockChanged ? `; recorded phases in ${result.lockFile}\n` : '\n'),
    );
  } catch (err) {
    if (err instanceof FleetValidationError) {
      process.stderr.write(
        `${err.message}\nnothing was written to ${opts.out}/ and ${lockFile} is unchanged\n`,
      );
      process.exit(1);
    }
    throw err;
  }
}
