/** Runs the real `agentguard` command as a user does: `node bin/agentguard.js …`, in a child process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tools/toolchain';
import type { ToolRun } from './tools';

export const BIN = join(REPO_ROOT, 'bin', 'agentguard.js');
export const EXAMPLE_FLEET = join(REPO_ROOT, 'examples', 'fleet.yaml');

/** A finished run, as for the pinned tools. */
export type CliRun = ToolRun;

export function agentguard(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = REPO_ROOT,
  input?: string,
): CliRun {
  // jest's workers may inherit FORCE_COLOR from a terminal; the CLI honours it, so a test sets it itself.
  const inherited = { ...process.env };
  delete inherited.FORCE_COLOR;
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...inherited, ...env },
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The same command run in this process: `run` from cli/main.ts with argv as the bin passes it, stdout
 * and stderr captured, the working directory and environment set for the run and restored after.
 * For tests whose subject is a command's behaviour (output, exit code, files written), this skips a
 * node start and a library load per run; each command keeps a few `agentguard` subprocess tests for
 * what only a process shows (the bin, standard input, real exit status). Standard input is not
 * available here: use `agentguard` for `-`.
 */
export async function agentguardInProcess(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = REPO_ROOT,
): Promise<CliRun> {
  // Imported here so a file that only spawns the bin does not load the CLI's sources.
  const { run } = await import('../../cli/main');
  const saved = {
    cwd: process.cwd(),
    env: { ...process.env },
    exitCode: process.exitCode,
    stdout: process.stdout.write,
    stderr: process.stderr.write,
  };
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  delete process.env.FORCE_COLOR;
  Object.assign(process.env, env);
  process.exitCode = undefined;
  process.chdir(cwd);
  process.stdout.write = capture((t) => (stdout += t)) as typeof process.stdout.write;
  process.stderr.write = capture((t) => (stderr += t)) as typeof process.stderr.write;
  let status: number;
  try {
    await run([process.execPath, BIN, ...args]);
    status = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
    process.exitCode = saved.exitCode;
  }
  return { status, stdout, stderr };
}
