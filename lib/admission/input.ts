/**
 * Files to review: Kubernetes manifests (multi-document YAML or JSON; a `List` or any `…List` kind with
 * an `items` array contributes its items), each taken as a CREATE by one user in a namespace as
 * `kubectl apply -n` would send it, or AdmissionReview files (`admission.k8s.io/v1`), whose `request`
 * is used as is. Anything else is bad input: an InputError naming the file, the document and the fix,
 * raised before anything is evaluated.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { z } from 'zod';
import { createRequest, groupVersion, type Manifest, type UserInfo } from './request';
import { isClusterScoped } from './resources';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface ReviewInput {
  readonly file: string;
  /** 1-based position of the document in its file (items of a List share their List's). */
  readonly document: number;
  /** 1-based line where the object starts in its file (a List's item: the item's own line). */
  readonly line?: number;
  /** The AdmissionRequest, as Gatekeeper receives it in `input.review`. */
  readonly request: Record<string, unknown>;
}

/** The namespace kubectl would send namespaced objects to (`-n`; kubectl's default is `default`). */
export interface TargetNamespace {
  readonly name: string;
  /** Given on the command line: a manifest naming another namespace is then an error, as in kubectl. */
  readonly explicit: boolean;
}

export const DEFAULT_NAMESPACE: TargetNamespace = { name: 'default', explicit: false };

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

const manifestSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      namespace: z.string().optional(),
      generateName: z.string().optional(),
    })
    .optional(),
});

const requestSchema = z.looseObject({
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
  userInfo: z.looseObject({ username: z.string().optional() }).optional(),
});

const where = (file: string, document: number) => `${file} (document ${document})`;

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Where a document (or a List's item) sits: its number in the file and the line it starts on. */
interface Place {
  readonly file: string;
  readonly document: number;
  readonly line: number;
}

function fromReview({ file, document, line }: Place, review: Record<string, unknown>): ReviewInput {
  if (review.apiVersion !== ADMISSION_API_VERSION) {
    throw new InputError(
      `${where(file, document)}: AdmissionReview ${String(review.apiVersion)} is not supported; use apiVersion ${ADMISSION_API_VERSION} (v1beta1 reviews carry the same request: change the apiVersion)`,
    );
  }
  const parsed = requestSchema.safeParse(review.request);
  if (!parsed.success) {
    throw new InputError(
      `${where(file, document)}: AdmissionReview has no valid request (${issues(parsed.error)}); give request.operation, request.kind {group, version, kind} and request.object as the API server sends them`,
    );
  }
  return { file, document, line, request: parsed.data };
}

function fromDocument(
  place: Place,
  value: unknown,
  user: UserInfo,
  target: TargetNamespace,
  itemLine: (index: number) => number = () => place.line,
): ReviewInput[] {
  const { file, document } = place;
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      `${where(file, document)}: not a Kubernetes object (${issues(parsed.error)}); every document needs apiVersion and kind`,
    );
  }
  const object = parsed.data as Manifest;
  if (object.kind === 'AdmissionReview') return [fromReview(place, object)];
  // kubectl expands any list (`v1 List`, `apps/v1 DeploymentList`, …) into its items; reviewing the
  // list as one object would match no constraint and call a denied item "allowed".
  if (object.kind.endsWith('List') && (object.kind === 'List' || 'items' in object)) {
    if (object.items !== undefined && !Array.isArray(object.items)) {
      throw new InputError(
        `${where(file, document)}: ${object.kind} has items that are not a list; give items as a YAML sequence of objects`,
      );
    }
    const items = (object.items ?? []) as unknown[];
    return items.flatMap((item, i) => fromDocument({ ...place, line: itemLine(i) }, item, user, target));
  }
  const request = inNamespace(file, document, object, target);
  const { namespace, name } = request.metadata ?? {};
  const seed = [file, document, request.apiVersion, request.kind, namespace, name].join('\n');
  return [{ ...place, request: createRequest(request, user, seed) }];
}

/**
 * The object as the API server admits it: a namespaced object without a namespace gets the request's
 * (-n, else `default`), one naming another namespace than an explicit -n is refused (kubectl: "the
 * namespace from the provided object does not match"), and a cluster-scoped one has none.
 */
function inNamespace(file: string, document: number, object: Manifest, target: TargetNamespace): Manifest {
  const own = object.metadata?.namespace;
  const { metadata = {} } = object;
  if (isClusterScoped(groupVersion(object.apiVersion).group, object.kind)) {
    if (own === undefined) return object;
    const rest = { ...metadata };
    delete rest.namespace;
    return { ...object, metadata: rest };
  }
  if (own !== undefined && own !== '') {
    if (target.explicit && own !== target.name) {
      throw new InputError(
        `${where(file, document)}: ${object.kind} ${own}/${metadata.name ?? '(unnamed)'} is in namespace ${own}, not ${target.name} (--namespace); drop --namespace or the manifest's metadata.namespace, as kubectl requires`,
      );
    }
    return object;
  }
  return { ...object, metadata: { ...metadata, namespace: target.name } };
}

/** What `check` reads standard input as (`check -`), and names it in its output. */
export const STDIN = '-';
export const STDIN_NAME = 'stdin';
const MANIFEST_FILE = /\.(ya?ml|json)$/;

/**
 * The files behind the command line's arguments, as kubeconform reads them: a file as it is, a folder
 * as every *.yaml, *.yml and *.json below it (recursively, sorted by path), `-` as standard input.
 */
export function expandInputPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === STDIN || !isDirectory(path)) {
      files.push(path);
      continue;
    }
    const found = walk(path);
    if (found.length === 0) {
      throw new InputError(`${path}: a folder without *.yaml, *.yml or *.json files; check the path`);
    }
    files.push(...found);
  }
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // missing: reported when it is read
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (MANIFEST_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

function readInput(file: string, stdin: () => string): string {
  try {
    return file === STDIN ? stdin() : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${file}: no such file; check the path`
        : `${file === STDIN ? STDIN_NAME : file}: cannot read (${(error as Error).message})`,
    );
  }
}

/** The line a List item starts on, from the document's YAML nodes (the List's own line if unknown). */
function itemLines(doc: Document, lines: LineCounter, fallback: number): (index: number) => number {
  const items = doc.get('items', true);
  return (index) => {
    const node = isSeq(items) ? items.items[index] : undefined;
    const start = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    return start === undefined ? fallback : lines.linePos(start).line;
  };
}

/**
 * Every review in one file, in document order. `-` reads standard input (named `stdin` in results);
 * `stdin` supplies it (tests pass text).
 */
export function readReviewInputs(
  file: string,
  user: UserInfo,
  target: TargetNamespace = DEFAULT_NAMESPACE,
  stdin: () => string = () => readFileSync(0, 'utf8'),
): ReviewInput[] {
  const text = readInput(file, stdin);
  const name = file === STDIN ? STDIN_NAME : file;
  const lines = new LineCounter();
  const inputs: ReviewInput[] = [];
  // JSON is YAML 1.2, so one parser reads both; `---` separates documents. Merge keys (`<<`) are
  // merged as kubectl (sigs.k8s.io/yaml) merges them: left literal, `<<: {privileged: true}` would
  // hide a field the API server sees.
  const docs = parseAllDocuments(text, { merge: true, lineCounter: lines });
  for (const [i, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    const document = i + 1;
    const problem = doc.errors[0];
    if (problem) {
      const line = problem.linePos?.[0];
      throw new InputError(
        `${name}${line ? `:${line.line}:${line.col}` : ''} (document ${document}): cannot parse: ${problem.message.split('\n')[0]}; fix the YAML or JSON syntax`,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document, as kubectl skips it
    // The object's first line: where its content starts, after any `---` and comments.
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lines.linePos(start).line;
    inputs.push(
      ...fromDocument({ file: name, document, line }, value, user, target, itemLines(doc, lines, line)),
    );
  }
  if (inputs.length === 0) {
    throw new InputError(
      `${name}: no Kubernetes objects or AdmissionReviews in it; give a file with at least one`,
    );
  }
  return inputs;
}
