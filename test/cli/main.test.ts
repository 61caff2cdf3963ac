/** The command line itself: help on every command, conventional exit codes, errors on stderr. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tools/toolchain';
import { agentguard, BIN } from '../support/cli';

const COMMANDS = ['synth', 'check', 'report', 'doctor', 'cluster'];

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

  it('prints the package version with --version and -V', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      expect(agentguard([flag])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('loads no library code for --help and --version, so they start fast', () => {
    // A preload that lists, at exit, the heavy packages the command loaded.
    const probe = join(mkdtempSync(join(tmpdir(), 'probe-')), 'probe.js');
    writeFileSync(
      probe,
      `process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache).filter((m) => /node_modules\\/(cdk8s|cdktf|zod|yaml|@open-policy-agent)\\//.test(m)))));`,
    );
    for (const args of [['--help'], ['--version'], ['check', '--help']]) {
      const run = spawnSync(process.execPath, ['--require', probe, BIN, ...args], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stderr)).toEqual([]);
    }
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

  it('does not colour piped output unless FORCE_COLOR asks (test/cli/conventions.test.ts)', () => {
    const run = agentguard(
      [
        'check',
        '--fleet',
        'examples/fleet.yaml',
        'rego/kill-switch/samples/denied/capacity-report-stopped.yaml',
      ],
      {},
    );
    expect(run.stdout).not.toContain('\u001b[');
  });
});

/**
 * A fleet file that cannot be read is bad input (exit 2), told apart from an invalid fleet (exit 1),
 * so a wrong path in CI is not read as "denied" or "rejected".
 */
describe('an unreadable --fleet exits 2; an invalid fleet exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-fleet-'));
  const missing = join(dir, 'nope.yaml');
  const manifest = join(REPO_ROOT, 'rego/kill-switch/samples/denied/capacity-report-stopped.yaml');
  const invalid = join(dir, 'invalid.yaml');
  writeFileSync(invalid, 'apiVersion: agentguard.dev/v1alpha1\nkind: Fleet\n');

  it.each([
    ['check', ['check', '--fleet', missing, manifest]],
    ['synth', ['synth', '--fleet', missing, '--out', join(dir, 'out')]],
    ['report', ['report', '--fleet', missing]],
  ])('%s with a missing fleet file: exit 2, naming it', (_, args) => {
    const run = agentguard(args);
    expect(run.stderr).toBe(`agentguard: ${missing}: no such file; check the path\n`);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(2);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a folder given as the fleet file: exit 2', () => {
    const run = agentguard(['check', '--fleet', dir, manifest]);
    expect(run.stderr).toMatch(new RegExp(`^agentguard: ${dir}: cannot read \\(EISDIR.*\\); check the path`));
    expect(run.status).toBe(2);
  });

  it.each([['check', manifest], ['synth'], ['report']])(
    '%s with an invalid fleet: exit 1',
    (command, ...rest) => {
      const run = agentguard([
        command,
        '--fleet',
        invalid,
        ...(command === 'synth' ? ['--out', join(dir, 'o')] : []),
        ...rest.filter(Boolean),
      ]);
      expect(run.stderr).toContain(`${invalid} is invalid`);
      expect(run.status).toBe(1);
    },
  );
});
