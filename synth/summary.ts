/**
 * What a synthesis wrote, counted from the rendered output (the objects each manifest file was
 * rendered from, and the Terraform JSON itself), not from the fleet, so the summary `agentguard
 * synth` prints cannot disagree with the output folder. A test checks the objects against the files.
 */
import type { Fleet } from '../lib/fleet/schema';
import { outputManifests, terraformResources, type OutputManifest } from './output-objects';
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

export function summarize(
  fleet: Fleet,
  files: FileSet,
  manifests: readonly OutputManifest[] = outputManifests(files),
): SynthSummary {
  const kinds = new Map<string, number>();
  const resources = new Map<string, number>();
  for (const { path, object } of manifests) {
    if (path.endsWith('kustomization.yaml') || typeof object.kind !== 'string') continue;
    kinds.set(object.kind, (kinds.get(object.kind) ?? 0) + 1);
  }
  for (const { type } of terraformResources(files)) resources.set(type, (resources.get(type) ?? 0) + 1);
  return {
    agents: fleet.spec.agents.length,
    objects: sortedCounts(kinds),
    policies: kinds.get('ConstraintTemplate') ?? 0,
    vaultResources: sortedCounts(resources),
    files: files.size,
  };
}
