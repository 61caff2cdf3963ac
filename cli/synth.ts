/** `agentguard synth`: the command line of synth/synth.ts, plus a summary table of what was written. */
import type { Command } from 'commander';
import { formatTable } from '../lib/text-table';
import type { SynthSummary } from '../synth/summary';
import { EXIT, err, out, UsageError } from './output';

/** synth/write.ts OUTPUT_MARKER, repeated here so that --help loads no library code (a test keeps them equal). */
export const OUTPUT_MARKER = '.agentguard-output';

interface SynthFlags {
  readonly fleet: string;
  readonly out: string;
  readonly lock?: string;
  readonly frozenLock: boolean;
  readonly also: string[];
  readonly today?: string;
}

export function summaryTable(summary: SynthSummary): string[] {
  return formatTable([
    ['section', 'name', 'count'],
    ['fleet', 'agents', String(summary.agents)],
    ['policy pack', 'policies', String(summary.policies)],
    ...summary.objects.map(([kind, n]) => ['objects', kind, String(n)]),
    ...summary.vaultResources.map(([type, n]) => ['vault', type, String(n)]),
    ['output', 'files written', String(summary.files)],
  ]);
}

export function synthCommand(program: Command): void {
  program
    .command('synth')
    .description(
      'Validate a fleet, check its promotions against the lock, and write the GitOps tree atomically',
    )
    .option('-f, --fleet <file>', 'fleet file', 'examples/fleet.yaml')
    .option(
      '-o, --out <dir>',
      `output folder, replaced whole and atomically (unchanged on any error); it must be new, empty or written by synth (it has ${OUTPUT_MARKER}), and not hold the fleet, the lock or the working directory`,
      'dist',
    )
    .option(
      '--lock <file>',
      'promotion lock to check and update (default: <fleet stem>.lock.yaml beside the fleet)',
    )
    .option(
      '--frozen-lock',
      'fail instead of updating the promotion lock when it would change (for CI)',
      false,
    )
    .option(
      '--also <fleet>',
      'another fleet file applied to the same cluster (repeatable): refuse collisions with it (fleet name, agent namespaces and names, targets in its agent namespaces, Vault state); nothing is written for it',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--today <YYYY-MM-DD>',
      'refuse relaxed enforcement (warn, dryrun) whose until date is before this day; synth never reads the clock itself, so pass it explicitly in CI: --today "$(date -u +%F)"',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 written; 1 invalid fleet, rejected promotion or stale lock (nothing written); 2 usage, an unreadable fleet or lock file, one that is not valid YAML, or an unsafe --out (nothing written).',
    )
    .action(async (flags: SynthFlags) => {
      const { FleetSyntaxError, FleetValidationError } = await import('../lib/fleet/errors');
      const { lockFileFor } = await import('../lib/fleet/lock');
      const { synth } = await import('../synth/synth');
      const { UnsafeOutputError } = await import('../synth/write');
      const lockFile = flags.lock ?? lockFileFor(flags.fleet);
      let result;
      try {
        result = synth(flags.fleet, flags.out, {
          lockFile,
          frozenLock: flags.frozenLock,
          also: flags.also,
          today: flags.today,
        });
      } catch (error) {
        // Bad input, as an unknown flag is: exit 2 with the message naming the path and the fix.
        if (error instanceof UnsafeOutputError) throw new UsageError(error.message);
        if (!(error instanceof FleetValidationError)) throw error;
        err(`${error.message}\nnothing was written to ${flags.out}/ and ${lockFile} is unchanged`);
        // A fleet or lock that is not YAML is bad input (2), like an unreadable one; an invalid one is 1.
        process.exitCode = error instanceof FleetSyntaxError ? EXIT.usage : EXIT.findings;
        return;
      }
      out(summaryTable(result.summary).join('\n'));
      out(
        `synthesized ${result.agents} agents into ${flags.out}/ (${result.files} files)` +
          (result.lockChanged ? `; recorded phases in ${result.lockFile}` : ''),
      );
      process.exitCode = EXIT.ok;
    });
}
