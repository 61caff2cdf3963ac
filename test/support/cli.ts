/** Runs the real `agentguard` command as a user does: `node bin/agentguard.js …`, in a child process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tools/toolchain';

export const BIN = join(REPO_ROOT, 'bin', 'agentguard.js');
export const EXAMPLE_FLEET = join(REPO_ROOT, 'examples', 'fleet.yaml');

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function agentguard(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = REPO_ROOT,
): CliRun {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
