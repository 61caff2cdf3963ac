/**
 * `agentguard synth` through the real bin: the summary table agrees with the files written, output is
 * byte-identical run to run, and on any error the output folder does not change.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentguard, EXAMPLE_FLEET } from '../support/cli';
import { tree } from '../support/files';

const work = mkdtempSync(join(tmpdir(), 'agentguard-cli-synth-'));
const fleet = join(work, 'fleet.yaml');
const lock = join(work, 'fleet.lock.yaml');
cpSync(EXAMPLE_FLEET, fleet);
cpSync(EXAMPLE_FLEET.replace(/\.yaml$/, '.lock.yaml'), lock);

const synth = (out: string, ...extra: string[]) =>
  agentguard(['synth', '--fleet', fleet, '--out', out, '--frozen-lock', ...extra]);

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
    expect(stdout).toMatch(/^policy pack\s+policies\s+7$/m);
    expect(stdout).toMatch(/^objects\s+ConstraintTemplate\s+7$/m);
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

  it('writes byte-identical trees for the same input, and the same summary', () => {
    const second = join(work, 'second');
    const run = synth(second);
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
    (_, breakIt, _code, message) => {
      const out = join(work, `kept-${_code}-${Math.random().toString(36).slice(2)}`);
      cpSync(first, out, { recursive: true });
      const before = tree(out);
      breakIt();
      try {
        const run = synth(out);
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
