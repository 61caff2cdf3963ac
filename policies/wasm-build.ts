/**
 * Compiles a policy to WebAssembly with the pinned OPA (`opa build -t wasm`), which is byte-deterministic
 * for the same Rego and OPA version. Build time only (`npm run policies`, tests): it needs the OPA
 * binary from `npm run tools`. Tests compile from the Rego through a cache keyed by content hash (the
 * Rego, the shared library and the OPA version), so editing Rego never needs a regeneration step first.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUIET_ENV, toolPath, toolsDir, versions } from '../tools/toolchain';
import { libraryFiles, REGO_DIR } from './catalog';
import { entrypoint, PackEvaluator } from './wasm';

export const wasmCacheDir = (): string => join(toolsDir(), 'cache', 'wasm');

/**
 * Relative to REGO_DIR, where OPA runs: the module embeds the paths it was built from (for error
 * locations), so absolute paths would make the build depend on where the repository is cloned.
 */
const regoFiles = (folder: string): string[] => [...libraryFiles(), join(folder, 'policy.rego')];

/** Builds the module into `dir` (which must exist) and returns the path of policy.wasm there. */
function buildInto(folder: string, dir: string): string {
  const bundle = join(dir, 'bundle.tar.gz');
  const build = spawnSync(
    toolPath('opa'),
    ['build', '-t', 'wasm', '-e', entrypoint(folder), '-o', bundle, ...regoFiles(folder)],
    { encoding: 'utf8', cwd: REGO_DIR, env: { ...process.env, ...QUIET_ENV } },
  );
  if (build.status !== 0) throw new Error(`opa build -t wasm for rego/${folder} failed:\n${build.stderr}`);
  const untar = spawnSync('tar', ['-xzf', bundle, '-C', dir, '/policy.wasm'], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`could not unpack policy.wasm: ${untar.stderr}`);
  return join(dir, 'policy.wasm');
}

/** A fresh build of the module, bypassing every cache. */
export function buildWasm(folder: string): Buffer {
  const scratch = mkdtempSync(join(tmpdir(), 'agentguard-wasm-'));
  try {
    return readFileSync(buildInto(folder, scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Path of the compiled module, building it only when its inputs changed. */
export function compiledWasm(folder: string): { path: string; compiled: boolean } {
  // The file names are in the key because the module embeds them.
  const hash = createHash('sha256').update(`opa ${versions.go.opa.version}\n${entrypoint(folder)}\n`);
  for (const file of regoFiles(folder)) hash.update(`${file}\n`).update(readFileSync(join(REGO_DIR, file)));
  const path = join(wasmCacheDir(), `${folder}-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(path)) return { path, compiled: false };
  mkdirSync(wasmCacheDir(), { recursive: true });
  const scratch = mkdtempSync(join(wasmCacheDir(), '.build-'));
  try {
    // Renamed into place whole, so parallel test workers never read a half-written module.
    renameSync(buildInto(folder, scratch), path);
    return { path, compiled: true };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The pack compiled from the Rego as it is now (through the cache): what the tests evaluate. */
export const regoPack = new PackEvaluator((folder) => readFileSync(compiledWasm(folder).path));
