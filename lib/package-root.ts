/**
 * The folder of agentguard's own package.json: the repository in a clone, node_modules/agentguard when
 * installed. Assets (rego/, policies/wasm/, policies/templates/, the kill-switch runtime) are read from
 * there, so the same code finds them whether it runs from the TypeScript sources or from build/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'agentguard'
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`agentguard: no package.json of agentguard above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** The version in agentguard's package.json. */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

/** A path inside the package, e.g. packagePath('rego'). */
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
