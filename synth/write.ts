/**
 * Writes a file set to a directory atomically: everything is written to a sibling scratch folder,
 * then swapped in with renames. If anything fails, the old directory is left exactly as it was.
 *
 * The swap replaces the whole folder, so before anything is written the target is checked: it must be
 * missing, empty, or a folder this writer wrote before (it carries OUTPUT_MARKER), and must not hold
 * the working directory or a file the caller names (the fleet, its lock). Otherwise `--out .` or
 * `--out examples` would delete what the user meant to keep.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FileSet } from './render';

/** Shell scripts (the kill-switch runbooks) are written executable; everything else is plain data. */
export const fileMode = (relative: string): number => (relative.endsWith('.sh') ? 0o755 : 0o644);

/** Written at the top of every output folder, so a later run knows the folder is its own to replace. */
export const OUTPUT_MARKER = '.agentguard-output';
export const OUTPUT_MARKER_TEXT =
  'Written by agentguard synth, which replaces this whole folder on every run: edit the fleet file, not these files.\n';

/** The files as written: the marker added (idempotent), so counts and summaries include it. */
export const withMarker = (files: FileSet): FileSet =>
  new Map([...files, [OUTPUT_MARKER, OUTPUT_MARKER_TEXT]]);

/** The output folder cannot be replaced safely; nothing was written. The message names the fix. */
export class UnsafeOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeOutputError';
  }
}

/** A path the output folder must not equal or contain, with what it is for the message. */
export interface KeptPath {
  readonly path: string;
  readonly what: string;
}

/** The real path of `path` even when it does not exist yet: its deepest existing ancestor, resolved. */
export function realPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
  }
}

export const within = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * The real directory to replace (symlinks followed, so a linked output folder stays linked), after
 * checking it is safe to replace. Throws UnsafeOutputError otherwise.
 */
export function checkOutputDir(outDir: string, keep: readonly KeptPath[] = []): string {
  const refuse = (problem: string, fix: string) =>
    new UnsafeOutputError(
      `refusing to write to ${outDir}: ${problem}; synth replaces the whole output folder, so ${fix}. Nothing was written`,
    );
  let link;
  try {
    link = lstatSync(outDir);
  } catch {
    link = undefined;
  }
  if (link?.isSymbolicLink() && !existsSync(outDir)) {
    throw refuse('it is a symlink to nothing', 'point the link at a folder or give another output folder');
  }
  const target = realPath(outDir);
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw refuse(
      'it exists and is not a folder',
      'give the path of a folder (new or written by synth), e.g. dist',
    );
  }
  for (const { path, what } of [{ path: process.cwd(), what: 'the working directory' }, ...keep]) {
    if (within(realPath(path), target)) {
      throw refuse(
        `it ${realPath(path) === target ? 'is' : 'contains'} ${what} (${path})`,
        'give a folder of its own, e.g. dist',
      );
    }
  }
  const state = existsSync(target) ? terraformState(target) : [];
  if (state.length > 0) {
    throw refuse(
      `it holds Terraform state synth did not write (${state.map((s) => relative(target, s)).join(', ')})`,
      'move it where the fleet\'s spec.vault.backend points (default: .agentguard-state/<fleet>.tfstate beside the fleet file; README, "Vault state"), then synth again',
    );
  }
  if (existsSync(target) && readdirSync(target).length > 0) {
    const marker = join(target, OUTPUT_MARKER);
    if (!existsSync(marker) || !lstatSync(marker).isFile()) {
      throw refuse(
        `it is not empty and synth did not write it (it has no ${OUTPUT_MARKER} file)`,
        'give a new or empty folder, or delete this one first if nothing in it is needed',
      );
    }
  }
  return target;
}

/**
 * Terraform state files under a folder: `*.tfstate`, `*.tfstate.backup` and workspace folders
 * `terraform.tfstate.d`. `.terraform/` (providers and backend settings, rebuilt by `tofu init`) is not state.
 */
export function terraformState(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.name === 'terraform.tfstate.d' || /\.tfstate(\.backup)?$/.test(entry.name)) found.push(path);
      else if (entry.isDirectory() && !entry.isSymbolicLink() && entry.name !== '.terraform') walk(path);
    }
  };
  walk(dir);
  return found.sort();
}

export function writeAtomically(outDir: string, files: FileSet, keep: readonly KeptPath[] = []): void {
  const target = checkOutputDir(outDir, keep);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  // Not mkdtemp, which makes 0700: the folder the swap installs gets the usual 0755, less the umask.
  // mkdirSync fails if the name exists, so the scratch folder is still ours alone.
  const staged = join(parent, `.${basename(target)}.staged-${randomBytes(6).toString('hex')}`);
  mkdirSync(staged, { mode: 0o755 });
  try {
    for (const [relative, content] of [...withMarker(files).entries()].sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      if (relative.startsWith('/') || relative.split('/').includes('..')) {
        throw new Error(`refusing to write outside the output folder: ${relative}`);
      }
      const path = join(staged, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      // Set explicitly: the mode writeFileSync applies depends on the caller's umask.
      chmodSync(path, fileMode(relative));
    }
    const old = `${staged}.old`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(staged, target);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(staged, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Replaces one file atomically: the content goes to a scratch file in the same folder (same file
 * system, so the rename is atomic), then is renamed over the target. Readers see old or new, never half.
 */
export function writeFileAtomically(file: string, content: string): void {
  const target = resolve(file);
  const scratch = mkdtempSync(join(dirname(target), `.${basename(target)}.staged-`));
  try {
    const staged = join(scratch, basename(target));
    writeFileSync(staged, content);
    renameSync(staged, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
