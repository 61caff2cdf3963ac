/**
 * `agentguard synth` through the real bin: the summary table agrees with the files written, output is
 * byte-identical run to run, and on any error the output folder does not change.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyFolders } from '../../policies/catalog';
import {
  agentguard,
  agentguardInProcess as inProcess,
  BIN,
  EXAMPLE_FLEET,
  type CliRun,
} from '../support/cli';
import { tree } from '../support/files';

const work = mkdtempSync(join(tmpdir(), 'agentguard-cli-synth-'));
const fleet = join(work, 'fleet.yaml');
const lock = join(work, 'fleet.lock.yaml');
cpSync(EXAMPLE_FLEET, fleet);
cpSync(EXAMPLE_FLEET.replace(/\.yaml$/, '.lock.yaml'), lock);

const args = (out: string, ...extra: string[]) => [
  'synth',
  '--fleet',
  fleet,
  '--out',
  out,
  '--frozen-lock',
  ...extra,
];
/** Through the bin, as a user runs it. */
const synth = (out: string, ...extra: string[]) => agentguard(args(out, ...extra));
/** The same command in this process, for what the library does with the output folder. */
const synthInProcess = (out: string, ...extra: string[]) => inProcess(args(out, ...extra));

describe('agentguard synth', () => {
  const first = join(work, 'first');
  let stdout = '';

  beforeAll(() => {
    const run = synth(first);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    stdout = run.stdout;
  });

  it('prints a summary table: agents, policies, objects per kind, Vault resources, files written', () => {
    const files = Object.keys(tree(first)).length;
    expect(stdout).toMatch(/^section\s+name\s+count$/m);
    expect(stdout).toMatch(/^fleet\s+agents\s+5$/m);
    // One per folder under rego/, so adding a policy does not edit this test.
    const policies = policyFolders().length;
    expect(policies).toBeGreaterThanOrEqual(8);
    expect(stdout).toMatch(new RegExp(`^policy pack\\s+policies\\s+${policies}$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^objects\\s+ConstraintTemplate\\s+${policies}$`, 'm'));
    expect(stdout).toMatch(/^objects\s+Deployment\s+3$/m);
    expect(stdout).toMatch(/^objects\s+NetworkPolicy\s+10$/m);
    expect(stdout).toMatch(/^vault\s+vault_policy\s+8$/m);
    expect(stdout).toMatch(new RegExp(`^output\\s+files written\\s+${files}$`, 'm'));
    expect(stdout.endsWith(`synthesized 5 agents into ${first}/ (${files} files)\n`)).toBe(true);
  });

  it('counts exactly the objects in the written files', () => {
    const written = Object.entries(tree(first))
      .filter(([path]) => path.endsWith('.yaml') && !path.endsWith('kustomization.yaml'))
      .reduce((n, [, text]) => n + (text.match(/^kind: /gm) ?? []).length, 0);
    const counted = [...stdout.matchAll(/^objects\s+\S+\s+(\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(written);
  });

  it('writes byte-identical trees for the same input, and the same summary', async () => {
    const second = join(work, 'second');
    const run = await synthInProcess(second);
    expect(run.status).toBe(0);
    expect(tree(second)).toEqual(tree(first));
    expect(run.stdout.replaceAll(second, first)).toBe(stdout);
  });

  it.each([
    [
      'an invalid fleet',
      () =>
        writeFileSync(
          fleet,
          readFileSync(EXAMPLE_FLEET, 'utf8').replace('phase: supervised', 'phase: bogus'),
        ),
      1,
      /"bogus" is not one of/,
    ],
    ['an empty fleet file', () => writeFileSync(fleet, ''), 1, /invalid|empty|fleet/i],
  ])(
    'on %s, exits %#, says nothing was written and leaves the output byte-identical',
    async (_, breakIt, _code, message) => {
      const out = join(work, `kept-${_code}-${Math.random().toString(36).slice(2)}`);
      cpSync(first, out, { recursive: true });
      const before = tree(out);
      breakIt();
      try {
        const run = await synthInProcess(out);
        expect(run.status).toBe(1);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain(`nothing was written to ${out}/`);
        expect(run.stdout).toBe('');
        expect(tree(out)).toEqual(before);
      } finally {
        cpSync(EXAMPLE_FLEET, fleet);
      }
    },
  );

  it('on a usage error (unknown flag), exits 2 and leaves the output alone', () => {
    const out = join(work, 'usage');
    cpSync(first, out, { recursive: true });
    const run = synth(out, '--force');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '--force'");
    expect(tree(out)).toEqual(tree(first));
  });
});

/**
 * The output folder is replaced whole, so synth refuses (exit 2, nothing written) any --out whose
 * replacement would lose something: a file, a folder synth did not write, one holding the fleet, the
 * lock or the working directory. Every case runs in a scratch workspace, never in the repository.
 */
describe('agentguard synth refuses an output folder it must not replace', () => {
  /** A folder with the example fleet and lock in it (or in `sub`), as a repository holds them. */
  const workspace = (sub = '') => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-out-'));
    mkdirSync(join(dir, sub), { recursive: true });
    cpSync(EXAMPLE_FLEET, join(dir, sub, 'fleet.yaml'));
    cpSync(EXAMPLE_FLEET.replace(/\.yaml$/, '.lock.yaml'), join(dir, sub, 'fleet.lock.yaml'));
    writeFileSync(join(dir, 'README.md'), '# mine\n');
    return { dir, fleet: join(dir, sub, 'fleet.yaml') };
  };
  const run = (cwd: string, ...args: string[]) => inProcess(['synth', ...args], {}, cwd);
  const refused = (result: CliRun, out: string, problem: RegExp) => {
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^agentguard: refusing to write to ${escape(out)}: `));
    expect(result.stderr).toMatch(problem);
    expect(result.stderr).toContain('Nothing was written');
    expect(result.status).toBe(2);
  };
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const stagedIn = (dir: string) => readdirSync(dir).filter((f) => f.includes('staged'));

  it('--out . (the working directory, holding the fleet): refused, the folder untouched', async () => {
    const { dir } = workspace();
    const before = tree(dir);
    refused(await run(dir, '--fleet', 'fleet.yaml', '--out', '.'), '.', /it is the working directory/);
    expect(tree(dir)).toEqual(before);
    expect(stagedIn(dir)).toEqual([]);
  });

  it('--out a parent of the working directory: refused', async () => {
    const { dir, fleet } = workspace();
    const cwd = join(dir, 'sub');
    mkdirSync(cwd);
    refused(await run(cwd, '--fleet', fleet, '--out', '..'), '..', /it contains the working directory/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# mine\n');
  });

  it('--out the folder of the fleet file and its lock (examples): refused, both kept', async () => {
    const { dir, fleet } = workspace('examples');
    const before = tree(dir);
    refused(
      await run(dir, '--fleet', fleet, '--out', 'examples'),
      'examples',
      /it contains the fleet file \(.*fleet\.yaml\); synth replaces the whole output folder, so give a folder of its own, e.g\. dist/,
    );
    expect(tree(dir)).toEqual(before);
  });

  it('--out a folder holding only the lock (--lock elsewhere): refused', async () => {
    const { dir, fleet } = workspace();
    const lockDir = join(dir, 'locks');
    mkdirSync(lockDir);
    const lock = join(lockDir, 'fleet.lock.yaml');
    cpSync(join(dir, 'fleet.lock.yaml'), lock);
    refused(
      await run(dir, '--fleet', fleet, '--lock', lock, '--out', lockDir),
      lockDir,
      /it contains the promotion lock/,
    );
    expect(readdirSync(lockDir)).toEqual(['fleet.lock.yaml']);
  });

  it('--out an existing file (README.md): refused, the file kept', async () => {
    const { dir, fleet } = workspace();
    refused(
      await run(dir, '--fleet', fleet, '--out', 'README.md'),
      'README.md',
      /it exists and is not a folder/,
    );
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# mine\n');
  });

  it('--out a non-empty folder synth did not write: refused, naming the marker', async () => {
    const { dir, fleet } = workspace();
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me\n');
    refused(
      await run(dir, '--fleet', fleet, '--out', 'mine'),
      'mine',
      /it is not empty and synth did not write it \(it has no \.agentguard-output file\); .*give a new or empty folder/,
    );
    expect(tree(mine)).toEqual({ 'notes.txt': 'keep me\n' });
  });

  it('writes into an empty folder, marks it, and replaces its own output byte-identically', async () => {
    const { dir, fleet } = workspace();
    const out = join(dir, 'out');
    mkdirSync(out);
    expect((await run(dir, '--fleet', fleet, '--out', 'out', '--frozen-lock')).status).toBe(0);
    const first = tree(out);
    expect(first['.agentguard-output']).toBe(
      'Written by agentguard synth, which replaces this whole folder on every run: edit the fleet file, not these files.\n',
    );
    const again = await run(dir, '--fleet', fleet, '--out', 'out', '--frozen-lock');
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(tree(out)).toEqual(first);
    expect(stagedIn(dir)).toEqual([]);
  });

  it('a symlinked output folder: the real folder is replaced beside itself, the link stays a link', async () => {
    const { dir, fleet } = workspace();
    const real = join(dir, 'real-dist');
    expect((await run(dir, '--fleet', fleet, '--out', real, '--frozen-lock')).status).toBe(0);
    const before = tree(real);
    writeFileSync(join(real, 'stale.yaml'), 'left over\n');
    symlinkSync(real, join(dir, 'dist'));
    const result = await run(dir, '--fleet', fleet, '--out', 'dist', '--frozen-lock');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(lstatSync(join(dir, 'dist')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'dist'))).toBe(real);
    expect(tree(real)).toEqual(before);
    expect(stagedIn(dir)).toEqual([]);
  });

  it('a symlink to a folder synth did not write, or to nothing: refused', async () => {
    const { dir, fleet } = workspace();
    symlinkSync(dir, join(dir, 'loop'));
    refused(await run(dir, '--fleet', fleet, '--out', 'loop'), 'loop', /it is the working directory/);
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    refused(await run(dir, '--fleet', fleet, '--out', 'dangling'), 'dangling', /it is a symlink to nothing/);
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true);
  });

  it.each([
    ['022', 0o755],
    ['027', 0o750],
  ])('the output folder gets 0755 less the umask (umask %s)', (umask, mode) => {
    const { dir, fleet } = workspace();
    const shell = spawnSync(
      'sh',
      [
        '-c',
        `umask ${umask} && exec "$0" "$@"`,
        process.execPath,
        BIN,
        'synth',
        '--fleet',
        fleet,
        '--out',
        'out',
        '--frozen-lock',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(shell.stderr).toBe('');
    expect(shell.status).toBe(0);
    expect(statSync(join(dir, 'out')).mode & 0o777).toBe(mode);
  });
});

test('the CLI names the output marker synth writes (cli/synth.ts repeats it to keep --help light)', async () => {
  const cli = await import('../../cli/synth');
  const write = await import('../../synth/write');
  expect(cli.OUTPUT_MARKER).toBe(write.OUTPUT_MARKER);
});
