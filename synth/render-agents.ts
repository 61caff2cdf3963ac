/**
 * The per-agent part of synth's output: each agent's folder (its manifests and a kustomization),
 * rendered from its own chart. A slice of the fleet's agents at a time, so synth can render slices on
 * two threads (synth/worker.ts) and get the same bytes as one.
 */
import type { Agent, Fleet } from '../lib/fleet/schema';
import { toYaml } from '../lib/yaml-output';
import { agentChart } from './app';
import { assertObjectFits } from './object-size';
import type { OutputManifest } from './output-objects';

export function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map(toYaml).join('---\n');
}

export function kustomization(resources: readonly string[]): string {
  return toYaml({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...resources],
  });
}

/** Files (path, content) in order, and the objects behind each manifest file. */
export interface RenderedPart {
  readonly files: Array<[path: string, content: string]>;
  readonly manifests: OutputManifest[];
}

/** A manifest file: each object checked against etcd's size limit, recorded, and written as YAML. */
export function addManifestFile(
  part: RenderedPart,
  path: string,
  objects: ReadonlyArray<Record<string, unknown>>,
): void {
  for (const object of objects) {
    assertObjectFits(object, path);
    part.manifests.push({ path, object });
  }
  part.files.push([path, yamlDocuments(objects)]);
}

/** `agents/<name>/agent.yaml` and its kustomization, for each of these agents of the fleet. */
export function renderAgents(fleet: Fleet, agents: readonly Agent[]): RenderedPart {
  const part: RenderedPart = { files: [], manifests: [] };
  for (const agent of agents) {
    const folder = agentFolder(agent);
    addManifestFile(part, `${folder}/agent.yaml`, agentChart(fleet, agent).toJson());
    part.files.push([`${folder}/kustomization.yaml`, kustomization(['agent.yaml'])]);
  }
  return part;
}

export const agentFolder = (agent: Pick<Agent, 'name'>): string => `agents/${agent.name}`;
