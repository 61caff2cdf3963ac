/**
 * AdmissionRequests (admission.k8s.io/v1) for manifests, as the API server would send them to
 * Gatekeeper for a CREATE: the fields it fills in, with the requesting user's identity.
 */
import { createHash } from 'node:crypto';
import { resourceFor } from './resources';

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
}

/** The groups the API server gives a user: a ServiceAccount's two groups, and everyone's authenticated. */
export function userInfoFor(username: string): UserInfo {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(username);
  return {
    username,
    groups: sa
      ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`, 'system:authenticated']
      : ['system:authenticated'],
  };
}

/** `apps/v1` → group apps, version v1; `v1` → the core group "". */
export function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash === -1
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly generateName?: string };
  readonly [field: string]: unknown;
}

/**
 * A CREATE of `object` by `user`. The uid is derived from `seed` (the file and document), not random,
 * so the same input gives the same request.
 */
export function createRequest(object: Manifest, user: UserInfo, seed: string): Record<string, unknown> {
  const { group, version } = groupVersion(object.apiVersion);
  const kind = { group, version, kind: object.kind };
  const resource = { group, version, resource: resourceFor(group, object.kind) };
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace;
  return {
    uid: uuidFrom(seed),
    kind,
    resource,
    requestKind: kind,
    requestResource: resource,
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    operation: 'CREATE',
    userInfo: { username: user.username, groups: [...user.groups] },
    object,
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  };
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
