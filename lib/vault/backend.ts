/**
 * Where the Vault stack keeps its Terraform state. Synth replaces its output folder whole, so the state
 * must never live there: by default it is a local file beside the fleet file,
 * `.agentguard-state/<fleet name>.tfstate`, and a relative `local.path` is relative to the fleet
 * file's folder (not to the output folder, nor to where tofu runs). Remote backends (s3, gcs, http, pg,
 * kubernetes) are passed through as plain Terraform JSON.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Fleet } from '../fleet/schema';

export const DEFAULT_STATE_DIR = '.agentguard-state';

export interface BackendBlock {
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface StackLocation {
  /** Folder of the fleet file: relative state paths are relative to it. */
  readonly fleetDir: string;
  /** Folder the stack is written to and tofu runs in (e.g. dist/vault). */
  readonly stackDir: string;
}

/** The local state file the fleet names, absolute, or undefined for a remote backend. */
export function localStateFile(fleet: Fleet, fleetDir: string): string | undefined {
  const backend = fleet.spec.vault.backend;
  if (backend !== undefined && backend.local === undefined) return undefined;
  const path = backend?.local?.path ?? `${DEFAULT_STATE_DIR}/${fleet.metadata.name}.tfstate`;
  return resolve(fleetDir, path);
}

const posix = (path: string) => path.split('\\').join('/');

/**
 * The backend block as the stack writes it. A local path is rewritten relative to the stack folder,
 * so tofu, which resolves it against its working directory, finds the file the fleet means; it stays
 * relative, so the output does not depend on the checkout's absolute path. Workspaces other than
 * `default` go beside it (`<path>.d`), never into the stack folder.
 */
export function vaultBackend(fleet: Fleet, location?: StackLocation): BackendBlock {
  const backend = fleet.spec.vault.backend;
  for (const type of ['s3', 'gcs', 'http', 'pg', 'kubernetes'] as const) {
    const config = backend?.[type];
    if (config !== undefined) return { type, config };
  }
  const where = location ?? { fleetDir: '.', stackDir: '.' };
  const file = localStateFile(fleet, where.fleetDir) as string;
  const path = isAbsolute(backend?.local?.path ?? '') ? file : posix(relative(resolve(where.stackDir), file));
  return { type: 'local', config: { path, workspace_dir: `${path}.d` } };
}
