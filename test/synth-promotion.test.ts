/**
 * Promotion at the synth entry point: a rejected phase change leaves the output folder and the lock
 * byte-identical, an accepted one updates the lock deterministically, and --frozen-lock fails while a
 * change is pending.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../tools/toolchain';
import { agentguardInProcess } from './support/cli';
import { tree } from './support/files';

const BIN = join(REPO_ROOT, 'bin', 'agentguard.js');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const EXAMPLE = readFileSync(join(REPO_ROOT, 'examples', 'fleet.yaml'), 'utf8');
const EXAMPLE_LOCK = readFileSync(join(REPO_ROOT, 'examples', 'fleet.lock.yaml'), 'utf8');

/** cost-analyst is the example's first agent, in shadow, on line 18. */
function costAnalystAt(
  phase: string,
  promotion = `      promotion: { phase: ${phase}, approvedBy: erin@shop.example }\n`,
): string {
  const fleet = EXAMPLE.replace(
    '      phase: shadow\n',
    `      phase: ${phase}\n${promotion}      attribution: { initiators: ['finops@shop.example'] }\n`,
  );
  expect(fleet).not.toBe(EXAMPLE);
  return fleet;
}

/** `agentguard synth` through the bin, as a user runs it. */
function synthBin(...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'synth', ...args], { encoding: 'utf8' });
}

/** The same command in this process: the subject is what synth does with the lock and the output. */
const synth = (...args: string[]) => agentguardInProcess(['synth', ...args]);

/** A folder with the example synthesized into out/ and its lock beside it, then `fleet` as the fleet. */
async function workspace(fleet: string) {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-promo-'));
  const fleetFile = join(dir, 'fleet.yaml');
  const lockFile = join(dir, 'fleet.lock.yaml');
  const out = join(dir, 'out');
  writeFileSync(fleetFile, EXAMPLE);
  writeFileSync(lockFile, EXAMPLE_LOCK);
  expect((await synth('--fleet', fleetFile, '--out', out)).status).toBe(0);
  writeFileSync(fleetFile, fleet);
  return { dir, fleetFile, lockFile, out, before: tree(out) };
}

const rejectedHeader = (fleetFile: string, lockFile: string, n: number) =>
  `${fleetFile} is rejected by the promotion rules against ${lockFile} (${n} error${n === 1 ? '' : 's'}):\n`;

describe('synth with the promotion lock', () => {
  it('accepts the example against its committed lock, also with --frozen-lock, and leaves the lock alone', async () => {
    const { fleetFile, lockFile, out, before } = await workspace(EXAMPLE);
    const run = synthBin('--fleet', fleetFile, '--out', out, '--frozen-lock');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`\nsynthesized 5 agents into ${out}/ \\(\\d+ files\\)\n$`));
    expect(readFileSync(lockFile, 'utf8')).toBe(EXAMPLE_LOCK);
    expect(tree(out)).toEqual(before);
  });

  it('rejects a skipped phase: every error printed, exit 1, output and lock byte-identical', async () => {
    const { fleetFile, lockFile, out, before } = await workspace(costAnalystAt('supervised', ''));
    const run = await synth('--fleet', fleetFile, '--out', out);
    expect(run.stderr).toBe(
      rejectedHeader(fleetFile, lockFile, 2) +
        `  ${fleetFile}:15:7: spec.agents[0].promotion.approvedBy: is required to promote agent "cost-analyst" from shadow to supervised; add promotion.approvedBy with the human who approved it\n` +
        `  ${fleetFile}:18:7: spec.agents[0].phase: agent "cost-analyst" cannot skip from shadow to supervised; promote to advisory first (one phase per change)\n` +
        `nothing was written to ${out}/ and ${lockFile} is unchanged\n`,
    );
    expect(run.status).toBe(1);
    expect(tree(out)).toEqual(before);
    expect(readFileSync(lockFile, 'utf8')).toBe(EXAMPLE_LOCK);
    expect(readdirSync(join(out, '..')).filter((f) => f.includes('staged'))).toEqual([]);
  });

  it('accepts an approved one-step promotion, records it, and is byte-identical on rerun', async () => {
    const { fleetFile, lockFile, out } = await workspace(costAnalystAt('advisory'));
    const first = await synth('--fleet', fleetFile, '--out', out);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(
      new RegExp(`\nsynthesized 5 agents into ${out}/ \\(\\d+ files\\); recorded phases in ${lockFile}\n$`),
    );
    const recorded = readFileSync(lockFile, 'utf8');
    expect(recorded).toBe(
      EXAMPLE_LOCK.replace(
        '  cost-analyst:\n    phase: shadow\n',
        '  cost-analyst:\n    phase: advisory\n    approvedBy: erin@shop.example\n',
      ),
    );
    const output = tree(out);
    expect(output['agents/cost-analyst/agent.yaml']).toContain('agentguard.dev/phase: advisory');

    const second = await synth('--fleet', fleetFile, '--out', out);
    expect(second.stdout).toMatch(new RegExp(`\nsynthesized 5 agents into ${out}/ \\(\\d+ files\\)\n$`));
    expect(readFileSync(lockFile, 'utf8')).toBe(recorded);
    expect(tree(out)).toEqual(output);
  });

  it('--frozen-lock fails while a change is pending, naming it, and writes nothing', async () => {
    const { fleetFile, lockFile, out, before } = await workspace(costAnalystAt('advisory'));
    const run = await synth('--fleet', fleetFile, '--out', out, '--frozen-lock');
    expect(run.stderr).toBe(
      `${lockFile} is out of date (--frozen-lock) (1 error):\n` +
        '  agents.cost-analyst: would change from shadow to advisory, approved by erin@shop.example; run synth without --frozen-lock and commit the lock\n' +
        `nothing was written to ${out}/ and ${lockFile} is unchanged\n`,
    );
    expect(run.status).toBe(1);
    expect(tree(out)).toEqual(before);
    expect(readFileSync(lockFile, 'utf8')).toBe(EXAMPLE_LOCK);
  });

  it('without a lock, rejects every agent beyond shadow; --frozen-lock also rejects creating one', async () => {
    const { fleetFile, lockFile, out, before } = await workspace(EXAMPLE);
    rmSync(lockFile);
    const run = await synth('--fleet', fleetFile, '--out', out);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(rejectedHeader(fleetFile, lockFile, 3));
    expect(run.stderr).toContain(
      `${fleetFile}:32:7: spec.agents[1].phase: agent "incident-triage" has no promotion lock yet and must start in shadow, not advisory; set phase: shadow and promote one phase per change\n`,
    );
    expect(existsSync(lockFile)).toBe(false);

    const shadowOnly = EXAMPLE.replace(/phase: (advisory|supervised|autonomous)/g, 'phase: shadow')
      .replace('          deleteKinds: [Job]\n', '')
      .replace('        ttl: 1h\n        maxTtl: 4h\n', '');
    writeFileSync(fleetFile, shadowOnly);
    const frozen = await synth('--fleet', fleetFile, '--out', out, '--frozen-lock');
    expect(frozen.stderr).toContain(
      `${lockFile} is out of date (--frozen-lock) (1 error):\n  (file): does not exist; run synth without --frozen-lock and commit it\n`,
    );
    expect(frozen.status).toBe(1);
    expect(tree(out)).toEqual(before);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('--lock reads and updates another file, leaving the one beside the fleet alone', async () => {
    const { dir, fleetFile, lockFile, out } = await workspace(costAnalystAt('advisory'));
    const other = join(dir, 'elsewhere.lock.yaml');
    writeFileSync(other, EXAMPLE_LOCK);
    const run = await synth('--fleet', fleetFile, '--out', out, '--lock', other);
    expect(run.status).toBe(0);
    expect(readFileSync(other, 'utf8')).toContain('    phase: advisory\n    approvedBy: erin@shop.example\n');
    expect(readFileSync(lockFile, 'utf8')).toBe(EXAMPLE_LOCK);
  });

  it('reports a malformed lock with its position and writes nothing', async () => {
    const { fleetFile, lockFile, out, before } = await workspace(EXAMPLE);
    const broken = EXAMPLE_LOCK.replace('kind: AgentFleetLock', 'kind: AgentFleet').replace(
      '    phase: supervised\n',
      '    phase: supervised\n    phaze: autonomous\n',
    );
    writeFileSync(lockFile, broken);
    const run = await synth('--fleet', fleetFile, '--out', out);
    expect(run.stderr).toBe(
      `${lockFile} is invalid (2 errors):\n` +
        `  ${lockFile}:4:1: kind: "AgentFleet" must be "AgentFleetLock"\n` +
        `  ${lockFile}:20:5: agents.release-bot.phaze: unknown key; did you mean "phase"?\n` +
        `nothing was written to ${out}/ and ${lockFile} is unchanged\n`,
    );
    expect(run.status).toBe(1);
    expect(tree(out)).toEqual(before);
    expect(readFileSync(lockFile, 'utf8')).toBe(broken);
  });

  it('rejects the lock of another fleet', async () => {
    const { fleetFile, lockFile, out } = await workspace(EXAMPLE);
    writeFileSync(lockFile, EXAMPLE_LOCK.replace('fleet: shop-platform', 'fleet: other-fleet'));
    const run = await synth('--fleet', fleetFile, '--out', out);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `${fleetFile}:8:3: metadata.name: "shop-platform" is not the fleet "other-fleet" that the promotion lock records`,
    );
  });
});

describe('cdk8s synth entry point (synth/cdk8s-app.ts)', () => {
  it('applies the same promotion rules: the example fleet without its lock is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-cdk8s-'));
    try {
      const fleetFile = join(dir, 'fleet.yaml');
      cpSync(join(REPO_ROOT, 'examples', 'fleet.yaml'), fleetFile);
      const run = spawnSync(TSX, [join(REPO_ROOT, 'synth', 'cdk8s-app.ts')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, AGENTGUARD_FLEET: fleetFile },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/rejected by the promotion rules/);
      expect(existsSync(join(dir, 'dist'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cdktf synth entry point (synth/cdktf-app.ts)', () => {
  it('applies the same promotion rules: the example fleet without its lock is rejected, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-cdktf-'));
    try {
      const fleetFile = join(dir, 'fleet.yaml');
      cpSync(join(REPO_ROOT, 'examples', 'fleet.yaml'), fleetFile);
      const run = spawnSync(TSX, [join(REPO_ROOT, 'synth', 'cdktf-app.ts')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, AGENTGUARD_FLEET: fleetFile },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/rejected by the promotion rules/);
      expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
      // With its lock the same fleet synthesizes.
      cpSync(join(REPO_ROOT, 'examples', 'fleet.lock.yaml'), join(dir, 'fleet.lock.yaml'));
      const ok = spawnSync(TSX, [join(REPO_ROOT, 'synth', 'cdktf-app.ts')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, AGENTGUARD_FLEET: fleetFile },
      });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(existsSync(join(dir, 'cdktf.out', 'stacks', 'vault', 'cdk.tf.json'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cdk8s synth with the pinned cdk8s-cli (cdk8s.yaml)', () => {
  const CDK8S = join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s');

  it('writes to cdk8s.out, never dist/: the cdk8s CLI deletes its output folder first', () => {
    const config = readFileSync(join(REPO_ROOT, 'cdk8s.yaml'), 'utf8');
    expect(config).toMatch(/^output: cdk8s\.out$/m);
    expect(readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8')).toContain('cdk8s.out/');
  });

  it('synthesizes the same objects as agentguard synth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-cdk8s-cli-'));
    try {
      // The repository's cdk8s.yaml and app, the output redirected into the scratch folder.
      const run = spawnSync(CDK8S, ['synth', '--output', join(dir, 'cdk8s.out')], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      });
      expect(run.status).toBe(0);
      const objects = (folder: string) =>
        Object.entries(tree(folder))
          .filter(
            ([file]) =>
              file.endsWith('.yaml') && !file.endsWith('kustomization.yaml') && !file.startsWith('audit/'),
          )
          .flatMap(([, text]) => [
            ...text.matchAll(/^kind: (\S+)\n(?:.*\n)*?metadata:\n(?:  .*\n)*?  name: (\S+)/gm),
          ])
          .map(([, kind, name]) => `${kind}/${name}`)
          .sort();
      const out = join(dir, 'dist');
      const agentguard = spawnSync(process.execPath, [BIN, 'synth', '--out', out], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(agentguard.status).toBe(0);
      const fromCdk8s = objects(join(dir, 'cdk8s.out'));
      expect(fromCdk8s.length).toBeGreaterThan(40);
      expect(fromCdk8s).toEqual(objects(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
