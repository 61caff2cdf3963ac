import { FleetValidationError } from '../lib/fleet/errors';

/**
 * The largest object synth writes. The API server stores each object in etcd, which refuses a request
 * over 1.5 MiB by default (`--max-request-bytes`), so a larger object is written by synth but can never
 * be applied: the constraints and policies carry every agent's parameters, and a fleet of several
 * thousand agents reaches it. synth refuses it up front, naming the object, instead.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * Throws a validation error on `spec.agents` (synth exits 1 and writes nothing) when an object's JSON
 * is over MAX_OBJECT_BYTES, naming the object and what to do about it.
 */
export function assertObjectFits(object: Record<string, unknown>, path: string, source?: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(object), 'utf8');
  if (bytes <= MAX_OBJECT_BYTES) return;
  const metadata = (object.metadata ?? {}) as { name?: string };
  const message =
    `${String(object.kind)} ${metadata.name ?? '(unnamed)'} (${path}) would be ${bytes} bytes, and ` +
    `the API server (etcd) refuses objects over ${MAX_OBJECT_BYTES} bytes, so it could never be applied; ` +
    'it holds one entry per agent: split the agents into several fleets (they coexist in one cluster, ' +
    'see "Several fleets in one cluster" in the README)';
  throw new FleetValidationError([{ path: 'spec.agents', message }], source);
}
