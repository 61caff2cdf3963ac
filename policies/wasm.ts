/**
 * The policy pack evaluated in WebAssembly by the real opa-wasm, with Gatekeeper's input shape
 * (`{review, parameters}`). Pure runtime: it loads modules someone else compiled, so `agentguard check`
 * needs neither OPA nor Go. Each module is loaded once per evaluator: reloading per review costs 140 ms
 * instead of 4 ms (opa#3715).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { packagePath } from '../lib/package-root';
import { policyByFolder } from './catalog';
import { jwtBuiltins, systemClock, type Clock } from './jwt-builtins';

export interface Violation {
  readonly msg: string;
  readonly details?: Record<string, unknown>;
}

/** Where `npm run policies` commits each policy's module, built by the pinned OPA. */
export const WASM_DIR = packagePath('policies', 'wasm');
export const committedWasmFile = (folder: string): string => join(WASM_DIR, `${folder}.wasm`);

/** The rule Gatekeeper queries, as an `opa build -e` entrypoint: <package path>/violation. */
export function entrypoint(folder: string): string {
  return `${policyByFolder(folder).packagePath.replace(/\./g, '/')}/violation`;
}

/** Gives the compiled module of a policy folder. */
export type ModuleSource = (folder: string) => Buffer;

/** The modules committed under policies/wasm/ (what the CLI uses). */
export const committedModules: ModuleSource = (folder) => {
  const file = committedWasmFile(folder);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing; run \`npm run policies\` to build the policy modules`);
  }
  return readFileSync(file);
};

/**
 * Evaluates reviews against the pack's modules, loading each module once. The builtins opa-wasm
 * lacks (time and JWT, for signed attribution) come from ./jwt-builtins; `clock` gives the time
 * `time.now_ns` returns (the system clock, or a pinned one in tests), read once per evaluation as OPA
 * does per query.
 */
export class PackEvaluator {
  private readonly loaded = new Map<string, Promise<LoadedPolicy>>();
  private now = 0n;
  private readonly builtins = jwtBuiltins(() => this.now);

  constructor(
    private readonly source: ModuleSource,
    private readonly clock: Clock = systemClock,
  ) {}

  policy(folder: string): Promise<LoadedPolicy> {
    let module = this.loaded.get(folder);
    if (!module) {
      module = loadPolicy(this.source(folder), undefined, this.builtins);
      this.loaded.set(folder, module);
    }
    return module;
  }

  /** Evaluates one review as Gatekeeper would: input.review is the AdmissionRequest. */
  readonly evaluate = async (
    folder: string,
    review: unknown,
    parameters: unknown,
    clock: Clock = this.clock,
  ): Promise<Violation[]> => {
    const module = await this.policy(folder);
    this.now = clock();
    const result = module.evaluate({ review, parameters }, entrypoint(folder)) as { result: Violation[] }[];
    return result.length === 0 ? [] : result[0].result;
  };
}

export const messages = (violations: readonly Violation[]): string[] => violations.map((v) => v.msg).sort();
