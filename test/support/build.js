// The CLI tests run the compiled command (bin/agentguard.js → build/). `npm test` builds first; when
// jest runs on its own (`npx jest test/cli/…`), this rebuilds build/ if a source is newer than it,
// so a subprocess never runs stale code.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const SOURCES = [
  'index.ts',
  'lib',
  'constructs',
  'policies',
  'synth',
  'cli',
  'tools',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const STAMP = join(ROOT, 'build', '.tsbuildinfo');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(ts|json)$/.test(path) ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function ensureBuilt() {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  const changed = Math.max(
    ...SOURCES.map((s) => join(ROOT, s))
      .filter(existsSync)
      .map(newest),
  );
  if (changed <= built) return;
  process.stderr.write('\n[build] sources changed since the last build: npm run build\n');
  const run = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (run.status !== 0) throw new Error('npm run build failed; the CLI tests would run stale code');
  // tsc leaves its build info alone when no output changed; mark the build as current.
  const now = new Date();
  utimesSync(STAMP, now, now);
}

module.exports = { ensureBuilt };
