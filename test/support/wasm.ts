/**
 * Policies compiled to WebAssembly by the real OPA and evaluated by the real opa-wasm, with
 * Gatekeeper's input shape. A module is compiled once per content hash (the Rego, the shared library
 * and the OPA version) into a cache under .tools/, and loaded once per test process: recompiling per
 * test costs 140 ms instead of 4 ms (opa#3715).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { LIB_FOLDER, policyByFolder, REGO_DIR } from '../../policies/catalog';
import { QUIET_ENV, toolPath, toolsDir, versions } from '../../tools/toolchain';

export interface Violation {
  readonly msg: string;
  readonly details?: Record<string, unknown>;
}

export const wasmCacheDir = (): string => join(toolsDir(), 'cache', 'wasm');

const regoFiles = (folder: string): string[] => [
  join(REGO_DIR, LIB_FOLDER, 'agentguard.rego'),
  join(REGO_DIR, folder, 'policy.rego'),
];

export function entrypoint(folder: string): string {
  return `${policyByFolder(folder).packagePath.replace(/\./g, '/')}/violation`;
}

/** Path of the compiled module, building it with `opa build -t wasm` only when its inputs changed. */
export function compiledWasm(folder: string): { path: string; compiled: boolean } {
  const hash = createHash('sha256').update(`opa ${versions.go.opa.version}\n${entrypoint(folder)}\n`);
  for (const file of regoFiles(folder)) hash.update(readFileSync(file));
  const path = join(wasmCacheDir(), `${folder}-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(path)) return { path, compiled: false };
  mkdirSync(wasmCacheDir(), { recursive: true });
  const scratch = mkdtempSync(join(wasmCacheDir(), '.build-'));
  try {
    const bundle = join(scratch, 'bundle.tar.gz');
    const build = spawnSync(
      toolPath('opa'),
      ['build', '-t', 'wasm', '-e', entrypoint(folder), '-o', bundle, ...regoFiles(folder)],
      { encoding: 'utf8', env: { ...process.env, ...QUIET_ENV } },
    );
    if (build.status !== 0) throw new Error(`opa build -t wasm for rego/${folder} failed:\n${build.stderr}`);
    const untar = spawnSync('tar', ['-xzf', bundle, '-C', scratch, '/policy.wasm'], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`could not unpack policy.wasm: ${untar.stderr}`);
    // Renamed into place whole, so parallel test workers never read a half-written module.
    renameSync(join(scratch, 'policy.wasm'), path);
    return { path, compiled: true };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const loaded = new Map<string, Promise<LoadedPolicy>>();

export function policy(folder: string): Promise<LoadedPolicy> {
  let module = loaded.get(folder);
  if (!module) {
    module = loadPolicy(readFileSync(compiledWasm(folder).path));
    loaded.set(folder, module);
  }
  return module;
}

/** Evaluates one review as Gatekeeper would: input.review is the AdmissionRequest. */
export async function evaluate(folder: string, review: unknown, parameters: unknown): Promise<Violation[]> {
  const module = await policy(folder);
  const result = module.evaluate({ review, parameters }, entrypoint(folder)) as { result: Violation[] }[];
  if (result.length === 0) return [];
  return result[0].result;
}

export const messages = (violations: readonly Violation[]): string[] => violations.map((v) => v.msg).sort();
