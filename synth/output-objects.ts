/**
 * Reads a synthesized file set back as objects: every YAML document with the file it came from, and
 * every Terraform resource of the Vault stack. One reader for everything that inspects the output
 * (the synth summary, the tests that compare outputs), so they cannot disagree on what it holds.
 */
import { parseAllDocuments } from 'yaml';
import type { FileSet } from './render';

export interface OutputManifest {
  readonly path: string;
  // Manifests of every kind; readers pick the fields they need.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly object: Record<string, any>;
}

export interface TerraformResource {
  readonly type: string;
  readonly name: string;
  readonly body: unknown;
}

export const isTerraformFile = (path: string): boolean => path.endsWith('.tf.json');
export const isManifestFile = (path: string): boolean => path.endsWith('.yaml');

/** Every YAML document of the output (kustomization files included), in file and document order. */
export function outputManifests(files: FileSet): OutputManifest[] {
  return [...files].flatMap(([path, text]) =>
    isManifestFile(path)
      ? parseAllDocuments(text)
          .map((doc) => doc.toJS() as OutputManifest['object'] | null)
          .filter(
            (object): object is OutputManifest['object'] => object !== null && typeof object === 'object',
          )
          .map((object) => ({ path, object }))
      : [],
  );
}

/** Every resource of the Terraform JSON files, by type and name. */
export function terraformResources(files: FileSet): TerraformResource[] {
  return [...files].flatMap(([path, text]) => {
    if (!isTerraformFile(path)) return [];
    const stack = JSON.parse(text) as { resource?: Record<string, Record<string, unknown>> };
    return Object.entries(stack.resource ?? {}).flatMap(([type, named]) =>
      Object.entries(named).map(([name, body]) => ({ type, name, body })),
    );
  });
}
