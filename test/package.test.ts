/**
 * agentguard as its users get it: `npm pack`, the tarball installed into a new project beside the same
 * cdk8s and constructs, a cdk8s app compiled by `tsc` against the shipped declarations and run by plain
 * `node`, and the installed `agentguard` command. One pack and one install per run (npm's cache serves
 * the dependencies); the tarball is packed from build/, which `npm test` (and jest's global setup) has
 * just built, with --ignore-scripts so that prepack's clean build never pulls build/ from under the
 * CLI tests running beside this one.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../tools/toolchain';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function ok(command: string, args: readonly string[], options: SpawnSyncOptions = {}) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

const APP = `import { App } from 'cdk8s';
import { defineFleet, FleetValidationError, PolicyConstraints, PolicyTemplates, SecureAgent, type Fleet } from 'agentguard';
import { AgentKillSwitch, TrustPhase } from 'agentguard/constructs';

const fleet: Fleet = defineFleet({
  apiVersion: 'agentguard.dev/v1alpha1',
  kind: 'AgentFleet',
  metadata: { name: 'consumer' },
  spec: {
    agents: [{ name: 'cost-analyst', namespace: 'agents-cost', image: 'registry.example.com/a@sha256:${'a'.repeat(64)}' }],
  },
});
const app = new App({ outdir: 'dist' });
for (const agent of fleet.spec.agents) new SecureAgent(app, 'agent-' + agent.name, { fleet, agent });
const templates = new PolicyTemplates(app, 'policy-templates');
new PolicyConstraints(app, 'policy-constraints', { fleet }).addDependency(templates);
app.synth();
try {
  defineFleet({ apiVersion: 'agentguard.dev/v1alpha1', kind: 'AgentFleet', metadata: { name: 'x' }, spec: { agents: [{ name: 'a', namespace: 'n', image: 'i', phase: 'supervized' }] } } as never);
} catch (error) {
  console.log(error instanceof FleetValidationError ? 'invalid fleet refused' : 'unexpected ' + String(error));
}
console.log(typeof AgentKillSwitch, typeof TrustPhase);
`;

/** The subpaths, through Node's own resolution (exports) rather than TypeScript's node10 mapping. */
const SUBPATHS = `import type { VaultStackProps } from 'agentguard/vault';
import { policyCatalog } from 'agentguard/policies';
import { renderFleet } from 'agentguard/synth';
import { agentUsername } from 'agentguard/lib';
const props: Partial<VaultStackProps> = {};
console.log(policyCatalog().length, typeof renderFleet, typeof agentUsername, Object.keys(props).length);
`;

let project: string;
let tarball: string;

beforeAll(() => {
  const scratch = mkdtempSync(join(tmpdir(), 'package-'));
  ok(NPM, ['pack', '--ignore-scripts', '--pack-destination', scratch], { cwd: REPO_ROOT });
  tarball = join(scratch, readdirSync(scratch).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');
  project = join(scratch, 'consumer');
  ok('mkdir', ['-p', project]);
  const dev = manifest.devDependencies;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      private: true,
      dependencies: { agentguard: `file:${tarball}`, cdk8s: dev.cdk8s, constructs: dev.constructs },
      devDependencies: { typescript: dev.typescript, '@types/node': dev['@types/node'] },
    }),
  );
  ok(NPM, ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project });
}, 240_000);

const installed = (...parts: string[]) => join(project, 'node_modules', 'agentguard', ...parts);
const agentguard = (args: readonly string[]) =>
  run(join(project, 'node_modules', '.bin', 'agentguard'), args, { cwd: project });

test('the tarball holds compiled JavaScript, declarations and the assets the code reads, and no TypeScript sources', () => {
  const files = ok('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean);
  for (const file of [
    'package/build/index.js',
    'package/build/index.d.ts',
    'package/build/cli/main.js',
    'package/build/constructs/vault/index.d.ts',
    'package/build/tools/versions.json',
    'package/constructs/kill-switch/runtime.sh',
    'package/policies/wasm/hardened-pods.wasm',
    'package/policies/templates/hardened-pods.yaml',
    'package/rego/lib/agentguard.rego',
    'package/schema/fleet.schema.json',
    'package/examples/fleet.yaml',
    'package/LICENSE',
    'package/CHANGELOG.md',
    // Messages cite it (lib/invariants.ts): "(I2, see docs/design.md#i2)".
    'package/docs/design.md',
  ]) {
    expect(files).toContain(file);
  }
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('package/test/'))).toEqual([]);
});

test('the manifest is publishable: not private, public access, no lifecycle script that needs the sources', () => {
  const published = JSON.parse(readFileSync(installed('package.json'), 'utf8')) as {
    private?: boolean;
    publishConfig?: { access?: string };
    scripts: Record<string, string>;
  };
  expect(published.private).toBeUndefined();
  expect(published.publishConfig).toEqual({ access: 'public' });
  // A consumer installing the tarball runs only install scripts; prepare/prepack run in this repository.
  for (const hook of ['preinstall', 'install', 'postinstall'])
    expect(published.scripts[hook]).toBeUndefined();
});

test('tsx is no runtime dependency: the installed command runs compiled JavaScript', () => {
  const installedManifest = JSON.parse(readFileSync(installed('package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  expect(Object.keys(installedManifest.dependencies)).not.toContain('tsx');
  expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
  const version = agentguard(['--version']);
  expect(version).toMatchObject({ status: 0, stdout: `${manifest.version}\n` });
});

test('a cdk8s app compiled by tsc against the package, run by node', () => {
  writeFileSync(join(project, 'main.ts'), APP);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        lib: ['ES2022'],
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        outDir: 'out',
      },
      files: ['main.ts'],
    }),
  );
  ok(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
    cwd: project,
  });
  const app = ok(process.execPath, ['out/main.js'], { cwd: project });
  expect(app.stdout).toBe('invalid fleet refused\nfunction function\n');
  const manifests = readdirSync(join(project, 'dist')).sort();
  expect(manifests).toEqual([
    '0000-agent-cost-analyst.k8s.yaml',
    '0001-policy-templates.k8s.yaml',
    '0002-policy-constraints.k8s.yaml',
  ]);
  const agent = readFileSync(join(project, 'dist', manifests[0]), 'utf8');
  expect(agent).toContain('kind: Deployment');
  expect(agent).toContain('readOnlyRootFilesystem: true');
  expect(readFileSync(join(project, 'dist', manifests[1]), 'utf8')).toContain('kind: ConstraintTemplate');
});

test('subpath exports resolve under node16 module resolution', () => {
  writeFileSync(join(project, 'subpaths.ts'), SUBPATHS);
  ok(
    process.execPath,
    [
      join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
      ...[
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
      ],
      ...['--types', 'node', '--outDir', 'out16', 'subpaths.ts'],
    ],
    { cwd: project },
  );
  const result = ok(process.execPath, ['out16/subpaths.js'], { cwd: project });
  expect(result.stdout).toBe('9 function function 0\n');
  const versionOf = ok(process.execPath, ['-p', "require('agentguard/package.json').version"], {
    cwd: project,
  });
  expect(versionOf.stdout.trim()).toBe(manifest.version);
});

test('the installed agentguard synthesizes the example fleet and checks manifests with the shipped WASM', () => {
  for (const file of ['fleet.yaml', 'fleet.lock.yaml']) {
    copyFileSync(join(REPO_ROOT, 'examples', file), join(project, file));
  }
  const synth = agentguard(['synth', '--fleet', 'fleet.yaml', '--out', 'gen']);
  expect(synth.stderr).toBe('');
  expect(synth.status).toBe(0);
  expect(synth.stdout).toMatch(/synthesized 5 agents into gen\//);
  expect(readdirSync(join(project, 'gen', 'kill-switch')).some((f) => f.endsWith('.sh'))).toBe(true);

  writeFileSync(
    join(project, 'pod.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: { name: probe, namespace: agents-release }\nspec: { containers: [{ name: c, image: busybox }] }\n',
  );
  const check = agentguard(['check', '--fleet', 'fleet.yaml', 'pod.yaml']);
  expect(check.status).toBe(1);
  expect(check.stdout).toContain('[AG701]');
});
