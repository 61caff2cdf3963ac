/**
 * What changes between two synthesized outputs, object by object: every Kubernetes object keyed by
 * kind, namespace and name, every Terraform resource by its address, and any other file by its path.
 * Differences are listed leaf by leaf, so a test can assert exactly what a fleet change does.
 */
import {
  isManifestFile,
  isTerraformFile,
  outputManifests,
  terraformResources,
} from '../../synth/output-objects';
import type { FileSet } from '../../synth/render';

type Json = unknown;

function objectsOf(files: FileSet): Map<string, Json> {
  const objects = new Map<string, Json>();
  for (const { type, name, body } of terraformResources(files)) objects.set(`${type}.${name}`, body);
  for (const [path, text] of files) {
    if (!isManifestFile(path) && !isTerraformFile(path)) objects.set(path, text);
  }
  for (const { path, object: o } of outputManifests(files)) {
    const key = o.metadata?.name
      ? `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`
      : `${path}#${o.kind}`;
    if (objects.has(key)) throw new Error(`two objects with the key ${key}`);
    objects.set(key, o);
  }
  return objects;
}

const pointer = (path: readonly string[]) =>
  path.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
const show = (v: Json) => JSON.stringify(v);
const isRecord = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function leafChanges(before: Json, after: Json, path: string[], out: string[]): void {
  if (isRecord(before) && isRecord(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      if (!(key in after)) out.push(`${pointer([...path, key])}: ${show(before[key])} removed`);
      else if (!(key in before)) out.push(`${pointer([...path, key])}: ${show(after[key])} added`);
      else leafChanges(before[key], after[key], [...path, key], out);
    }
    return;
  }
  if (show(before) !== show(after)) out.push(`${pointer(path)}: ${show(before)} → ${show(after)}`);
}

/** `- key`, `+ key`, or `~ key /json/pointer: old → new` for each difference, sorted. */
export function outputDiff(before: FileSet, after: FileSet): string[] {
  const a = objectsOf(before);
  const b = objectsOf(after);
  const lines: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!b.has(key)) lines.push(`- ${key}`);
    else if (!a.has(key)) lines.push(`+ ${key}`);
    else {
      const changes: string[] = [];
      leafChanges(a.get(key), b.get(key), [], changes);
      lines.push(...changes.map((c) => `~ ${key} ${c}`));
    }
  }
  return lines;
}
