/**
 * The toolchain installer and doctor, run as the user runs them. The real tools were installed by
 * `npm test` before jest started; these tests prove reruns are no-ops, PATH tools are reused, wrong
 * versions are reported and failures leave nothing that looks installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
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
import { dirname, join } from 'node:path';
import { rewriteLocalReplaces } from '../../tools/install';
import { binDir, cacheDir, REPO_ROOT, TOOLS, toolsDir } from '../../tools/toolchain';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function runScript(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const result = spawnSync(TSX, [join(REPO_ROOT, 'tools', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return {
    status: result.status,
    out: `${result.stdout}${result.stderr}`,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Every file under a folder with its size and modification time: what "changes nothing" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else out.push(`${path} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

function fakeTool(dir: string, name: string, output: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho '${output}'\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('installer', () => {
  it('a second run is a no-op: changes nothing and finishes in under 5 s', () => {
    const before = snapshot(toolsDir());
    const run = runScript('install.ts');
    expect(run.status).toBe(0);
    expect(run.out).toMatch(/all tools at their pinned versions; nothing to do/);
    expect(run.out).not.toMatch(/building|downloading|installed at/);
    expect(snapshot(toolsDir())).toEqual(before);
    expect(run.seconds).toBeLessThan(5);
  });

  it('uses a tool already on PATH at the pinned version as is', () => {
    const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
    const userBin = join(tools, 'user-bin');
    mkdirSync(userBin);
    symlinkSync(join(binDir(), 'opa'), join(userBin, 'opa'));
    const run = runScript('install.ts', ['opa'], {
      AGENTGUARD_TOOLS_DIR: join(tools, 'project'),
      PATH: `${userBin}:${process.env.PATH}`,
    });
    expect(run.out).toContain(`opa 1.19.0: found on PATH at ${join(userBin, 'opa')}; using it as is`);
    expect(run.out).not.toMatch(/building/);
    expect(run.status).toBe(0);
    expect(readlinkSync(join(tools, 'project', 'bin', 'opa'))).toBe(join(userBin, 'opa'));
  });

  it('does not reuse a PATH tool at another version, and says so', () => {
    const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
    const userBin = join(tools, 'user-bin');
    fakeTool(userBin, 'kubeconform', 'v0.6.4');
    // No Go on this PATH: the pinned build is attempted, fails, and must leave nothing behind.
    const run = runScript('install.ts', ['kubeconform'], {
      AGENTGUARD_TOOLS_DIR: join(tools, 'project'),
      AGENTGUARD_CACHE_DIR: join(tools, 'empty-cache'),
      PATH: `${userBin}:${dirname(process.execPath)}:/bin`,
    });
    expect(run.out).toContain(`kubeconform: ${join(userBin, 'kubeconform')} on PATH is 0.6.4, pinned 0.7.0`);
    expect(run.out).toContain('FAILED kubeconform 0.7.0: Go is not installed');
    expect(run.status).toBe(1);
    expect(existsSync(join(tools, 'project', 'bin', 'kubeconform'))).toBe(false);
    expect(existsSync(join(tools, 'project', 'tmp'))).toBe(false);
  });

  it('a fresh clone copies the machine-cached build instead of building again', () => {
    const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
    const run = runScript('install.ts', ['kubeconform', 'terraform-provider-vault'], {
      AGENTGUARD_TOOLS_DIR: tools,
      PATH: `${dirname(process.execPath)}:/bin`,
    });
    expect(run.out).toContain(
      `kubeconform 0.7.0: copying the build cached at ${join(cacheDir(), 'kubeconform-0.7.0', 'kubeconform')}`,
    );
    expect(run.out).not.toMatch(/building/);
    expect(run.status).toBe(0);
    const doctor = runScript('doctor.ts', [], { AGENTGUARD_TOOLS_DIR: tools });
    expect(doctor.out).toMatch(/^kubeconform\s+0\.7\.0\s+0\.7\.0\s+ok\s/m);
    expect(doctor.out).toMatch(/^terraform-provider-vault\s+5\.9\.0\s+5\.9\.0\s+ok\s/m);
  });

  it('uses a kubectl on PATH within one minor of kube-apiserver (the skew policy), and builds past it', () => {
    for (const [found, fits] of [
      ['v1.35.0', true],
      ['v1.33.7', true],
      ['v1.32.4-dispatcher', false],
    ] as const) {
      const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
      const userBin = join(tools, 'user-bin');
      fakeTool(userBin, 'kubectl', `Client Version: ${found}`);
      // No Go on this PATH: a build is attempted only when the PATH kubectl does not fit, and fails.
      const run = runScript('install.ts', ['kubectl'], {
        AGENTGUARD_TOOLS_DIR: join(tools, 'project'),
        AGENTGUARD_CACHE_DIR: join(tools, 'empty-cache'),
        PATH: `${userBin}:${dirname(process.execPath)}:/bin`,
      });
      if (fits) {
        expect(run.out).toContain(`within the supported skew of kube-apiserver 1.34.4; using it as is`);
        expect(run.status).toBe(0);
        expect(readlinkSync(join(tools, 'project', 'bin', 'kubectl'))).toBe(join(userBin, 'kubectl'));
        const doctor = runScript('doctor.ts', [], { AGENTGUARD_TOOLS_DIR: join(tools, 'project') });
        expect(doctor.out).toMatch(
          new RegExp(`^kubectl\\s+1\\.34\\.4\\s+${found.slice(1).replace(/\./g, '\\.')}\\s+ok\\s`, 'm'),
        );
      } else {
        expect(run.out).toContain('(or within 1 minor of kube-apiserver 1.34.4): installing the pinned one');
        expect(run.out).toContain('FAILED kubectl 1.34.4: Go is not installed');
        expect(run.status).toBe(1);
      }
    }
  });

  it('rewrites local replace directives as versions.json says: dropped, or pinned to a published version', () => {
    const work = mkdtempSync(join(tmpdir(), 'agentguard-gomod-'));
    const module = join(work, 'module');
    mkdirSync(module);
    writeFileSync(
      join(module, 'go.mod'),
      [
        'module example.com/tool',
        'go 1.24',
        'require (',
        '\texample.com/api v0.0.0',
        '\texample.com/remote v1.2.0',
        ')',
        'replace (',
        '\texample.com/api => ./staging/api',
        '\texample.com/sibling => ../sibling',
        '\texample.com/remote => example.com/fork v1.2.1',
        ')',
        '',
      ].join('\n'),
    );
    const edit = (rule: string) => {
      const into = join(work, rule);
      const changed = rewriteLocalReplaces(module, into, rule);
      const replaces = JSON.parse(
        execFileSync('go', ['mod', 'edit', '-json'], { cwd: into, encoding: 'utf8' }),
      ).Replace as Array<{ Old: { Path: string }; New: { Path: string; Version?: string } }>;
      return {
        changed,
        replaces: replaces.map((r) => `${r.Old.Path} => ${r.New.Path} ${r.New.Version ?? ''}`.trim()),
      };
    };
    expect(edit('drop')).toEqual({
      changed: ['example.com/api', 'example.com/sibling'],
      replaces: ['example.com/remote => example.com/fork v1.2.1'],
    });
    expect(edit('v0.34.4').replaces.sort()).toEqual([
      'example.com/api => example.com/api v0.34.4',
      'example.com/remote => example.com/fork v1.2.1',
      'example.com/sibling => example.com/sibling v0.34.4',
    ]);
    // The downloaded module itself is never edited.
    expect(readFileSync(join(module, 'go.mod'), 'utf8')).toContain('example.com/api => ./staging/api');
  });

  it('rejects an unknown tool name with exit 2', () => {
    const run = runScript('install.ts', ['opaa']);
    expect(run.status).toBe(2);
    expect(run.out).toContain('unknown tool(s): opaa; known: opa, gator');
  });
});

describe('doctor', () => {
  it('lists every tool at its pinned version with its path, and exits 0', () => {
    const run = runScript('doctor.ts');
    expect(run.status).toBe(0);
    for (const tool of TOOLS) {
      expect(run.out).toMatch(
        new RegExp(
          `^${tool.name}\\s+${tool.version.replace(/\./g, '\\.')}\\s+${tool.version.replace(/\./g, '\\.')}\\s+ok\\s+\\S*${tool.name}`,
          'm',
        ),
      );
    }
    expect(run.out).toMatch(/^kubernetes 1\.28\.0 schemas .* ok$/m);
    expect(run.out).toMatch(/^ConstraintTemplate schema .* ok$/m);
    expect(run.out).toMatch(/^Gatekeeper CRDs +3\.23\.0 +3\.23\.0 +ok$/m);
    expect(run.out).toMatch(
      /pinned: github\.com\/open-policy-agent\/gatekeeper\/v3@v3\.23\.0 deploy\/gatekeeper/,
    );
  });

  it('reports a wrong version and a missing tool, and exits 1', () => {
    const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
    fakeTool(join(tools, 'bin'), 'opa', 'Version: 0.60.0');
    const run = runScript('doctor.ts', [], { AGENTGUARD_TOOLS_DIR: tools });
    expect(run.status).toBe(1);
    expect(run.out).toMatch(/^opa\s+1\.19\.0\s+0\.60\.0\s+wrong-version\s/m);
    expect(run.out).toMatch(/^gator\s+3\.23\.0\s+-\s+missing\s/m);
    expect(run.out).toContain('run `npm run tools`');
  });

  it('does not trust a provider binary without its version stamp', () => {
    const tools = mkdtempSync(join(tmpdir(), 'agentguard-tools-'));
    fakeTool(join(tools, 'bin'), 'terraform-provider-vault', 'plugin');
    const run = runScript('doctor.ts', [], { AGENTGUARD_TOOLS_DIR: tools });
    expect(run.out).toMatch(/^terraform-provider-vault\s+5\.9\.0\s+-\s+wrong-version\s/m);
    expect(statSync(join(tools, 'bin', 'terraform-provider-vault')).isFile()).toBe(true);
  });
});
