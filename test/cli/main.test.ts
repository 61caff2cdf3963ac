/** The command line itself: help on every command, conventional exit codes, errors on stderr. */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../../tools/toolchain';
import { agentguard } from '../support/cli';

const COMMANDS = ['synth', 'check', 'report', 'doctor'];

describe('agentguard', () => {
  it('lists every command in --help and exits 0', () => {
    const run = agentguard(['--help']);
    expect(run.status).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each(COMMANDS)('%s --help prints its usage and exit codes, and exits 0', (command) => {
    const run = agentguard([command, '--help']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Usage: agentguard ${command}`);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.status).toBe(0);
  });

  it.each([
    ['an unknown command', ['deploy'], /unknown command 'deploy'/],
    ['an unknown flag', ['synth', '--fleat', 'x'], /unknown option '--fleat'/],
    ['no command at all', [], /Usage: agentguard/],
  ])('exits 2 on %s, with the error on stderr only', (_, args, message) => {
    const run = agentguard(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('runs as `npx agentguard` inside the repository (npm resolves the project bin)', () => {
    const stdout = execFileSync('npx', ['--no-install', 'agentguard', '--help'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(stdout).toContain('Usage: agentguard');
  });

  it('never colours piped output', () => {
    const run = agentguard(
      [
        'check',
        '--fleet',
        'examples/fleet.yaml',
        'rego/kill-switch/samples/denied/capacity-report-stopped.yaml',
      ],
      {
        FORCE_COLOR: '1',
      },
    );
    expect(run.stdout).not.toContain('\u001b[');
  });
});
