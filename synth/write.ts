/**
 * Writes a file set to a directory atomically: everything is written to a sibling scratch folder,
 * then swapped in with renames. If anything fails, the old directory is left exactly as it was.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { FileSet } from './render';

/** Shell scripts (the kill-switch runbooks) are written executable; everything else is plain data. */
export const fileMode = (relative: string): number => (relative.endsWith('.sh') ? 0o755 : 0o644);

export function writeAtomically(outDir: string, files: FileSet): void {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staged = mkdtempSync(join(parent, `.${basename(target)}.staged-`));
  try {
    for (const [relative, content] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
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
