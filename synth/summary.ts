/**
 * What a synthesis wrote, counted from the rendered files themselves (not from the fleet), so the
 * summary `agentguard synth` prints cannot disagree with the output folder.
 */
import { parseAllDocuments } from 'yaml';
import type { Fleet } from '../lib/fleet/schema';
import type { FileSet } from './render';

export interface SynthSummary {
  readonly agents: number;
  /** Kubernetes objects (kustomization files excluded) per kind, sorted by kind. */
  readonly objects: ReadonlyArray<readonly [kind: string, count: number]>;
  /** ConstraintTemplates written: one per policy of the pack. */
  readonly policies: number;
  /** Terraform resources of the Vault stack per resource type, sorted by type. */
  readonly vaultResources: ReadonlyArray<readonly [type: string, count: number]>;
  readonly files: number;
}

const sortedCounts = (counts: Map<string, number>) =>
  [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function summarize(fleet: Fleet, files: FileSet): SynthSummary {
  const kinds = new Map<string, number>();
  const resources = new Map<string, number>();
  for (const [path, content] of files) {
    if (path.endsWith('.json')) {
      const stack = JSON.parse(content) as { resource?: Record<string, Record<string, unknown>> };
      for (const [type, named] of Object.entries(stack.resource ?? {})) {
        resources.set(type, (resources.get(type) ?? 0) + Object.keys(named).length);
      }
      continue;
    }
    if (!path.endsWith('.yaml') || path.endsWith('kustomization.yaml')) continue;
    for (const doc of parseAllDocuments(content)) {
      const kind = (doc.toJS() as { kind?: unknown } | null)?.kind;
      if (typeof kind === 'string') kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  }
  return {
    agents: fleet.spec.agents.length,
    objects: sortedCounts(kinds),
    policies: kinds.get('ConstraintTemplate') ?? 0,
    vaultResources: sortedCounts(resources),
    files: files.size,
  };
}
