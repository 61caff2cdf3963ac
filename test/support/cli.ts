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
