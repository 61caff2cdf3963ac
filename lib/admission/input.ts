/**
 * Files to review: Kubernetes manifests (multi-document YAML or JSON; a `List` contributes its items),
 * each taken as a CREATE by one user, or AdmissionReview files (`admission.k8s.io/v1`), whose
 * `request` is used as is. Anything else is bad input: an InputError naming the file, the document and
 * the fix, raised before anything is evaluated.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { createRequest, type Manifest, type UserInfo } from './request';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface ReviewInput {
  readonly file: string;
  /** 1-based position of the document in its file (items of a List share their List's). */
  readonly document: number;
  /** The AdmissionRequest, as Gatekeeper receives it in `input.review`. */
  readonly request: Record<string, unknown>;
}

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

function fromReview(file: string, document: number, review: Record<string, unknown>): ReviewInput {
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
  return { file, document, request: parsed.data };
}

function fromDocument(file: string, document: number, value: unknown, user: UserInfo): ReviewInput[] {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      `${where(file, document)}: not a Kubernetes object (${issues(parsed.error)}); every document needs apiVersion and kind`,
    );
  }
  const object = parsed.data as Manifest;
  if (object.kind === 'AdmissionReview') return [fromReview(file, document, object)];
  if (object.kind === 'List' && object.apiVersion === 'v1') {
    const items = Array.isArray(object.items) ? object.items : [];
    return items.flatMap((item) => fromDocument(file, document, item, user));
  }
  const { namespace, name } = object.metadata ?? {};
  const seed = [file, document, object.apiVersion, object.kind, namespace, name].join('\n');
  return [{ file, document, request: createRequest(object, user, seed) }];
}

/** Every review in one file, in document order. */
export function readReviewInputs(file: string, user: UserInfo): ReviewInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${file}: no such file; check the path`
        : `${file}: cannot read (${(error as Error).message})`,
    );
  }
  const inputs: ReviewInput[] = [];
  // JSON is YAML 1.2, so one parser reads both; `---` separates documents.
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    const document = i + 1;
    const problem = doc.errors[0];
    if (problem) {
      const line = problem.linePos?.[0];
      throw new InputError(
        `${file}${line ? `:${line.line}:${line.col}` : ''} (document ${document}): cannot parse: ${problem.message.split('\n')[0]}; fix the YAML or JSON syntax`,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document, as kubectl skips it
    inputs.push(...fromDocument(file, document, value, user));
  }
  if (inputs.length === 0) {
    throw new InputError(
      `${file}: no Kubernetes objects or AdmissionReviews in it; give a file with at least one`,
    );
  }
  return inputs;
}
