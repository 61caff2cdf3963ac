/**
 * The `agentguard` command line: wiring only. Each command lives in a file of its own and calls
 * library functions; exit codes are conventional (see cli/output.ts). Command files load the library
 * (cdk8s, zod, opa-wasm, …) only inside their actions, so `--help` and `--version` start fast.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../lib/package-root';
import { checkCommand } from './check';
import { delegateCommand, keysCommand } from './delegate';
import { clusterCommand } from './cluster';
import { doctorCommand } from './doctor';
import { EXIT, err, UsageError } from './output';
import { reportCommand } from './report';
import { synthCommand } from './synth';

export function program(): Command {
  const cli = new Command()
    .name('agentguard')
    .description('Security guardrails for AI agents on Kubernetes, as versioned code')
    .version(packageVersion(), '-V, --version', 'print the agentguard version')
    // Commander's own errors (unknown flag or command, bad choice) become exceptions so they exit 2.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
  synthCommand(cli);
  checkCommand(cli);
  reportCommand(cli);
  doctorCommand(cli);
  delegateCommand(cli);
  keysCommand(cli);
  clusterCommand(cli);
  return cli;
}

export async function run(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync([...argv]);
  } catch (error) {
    process.exitCode = await exitCodeOf(error);
  }
}

async function exitCodeOf(error: unknown): Promise<number> {
  const { FleetSyntaxError, FleetValidationError, UnreadableFileError } = await import('../lib/fleet/errors');
  // Commander has already printed its message (or the help text, which exits 0).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  // A fleet or lock that cannot be read is bad input (2); one that reads but is invalid is a finding (1).
  if (error instanceof UsageError || error instanceof UnreadableFileError) {
    err(`agentguard: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof FleetSyntaxError) {
    err(error.message);
    return EXIT.usage;
  }
  if (error instanceof FleetValidationError) {
    err(error.message);
    return EXIT.findings;
  }
  err(`agentguard: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.findings;
}
