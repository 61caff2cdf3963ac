/** Turns the app into files: a map of relative path to content, built fully in memory first. */
import { App, type Chart } from 'cdk8s';
import { auditPolicy } from '../lib/audit';
import { toYaml } from '../lib/yaml-output';
import type { Fleet } from '../lib/fleet/schema';
import type { StackLocation } from '../lib/vault/backend';
import { ValidatingAdmissionPolicies } from '../policies/vap';
import { buildApp } from './app';
import type { OutputManifest } from './output-objects';
import { assertObjectFits } from './object-size';
import { startVaultStack } from './vault-worker';

export type FileSet = Map<string, string>;

export function yamlDocuments(objects: readonly unknown[]): string {
  return objects.map(toYaml).join('---\n');
}

function kustomization(resources: readonly string[]): string {
  return toYaml({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...resources],
  });
}

export interface RenderOptions {
  /** Where the fleet file is and where the Vault stack goes, to place a local state file (lib/vault/backend.ts). */
  readonly stack?: StackLocation;
}

/**
 * Per-agent folders and the policy pack, each a kustomization, plus a root kustomization over them
 * (Argo CD, ordered by sync waves) and `workloads/` (everything but the policy pack, the last stage
 * of kubectl and Flux: templates, then constraints, then workloads).
 */
export function renderFleet(fleet: Fleet, options: RenderOptions = {}): FileSet {
  return renderFleetOutput(fleet, options).files;
}

/** The files, and the Kubernetes objects each manifest file was rendered from (kustomizations aside). */
export interface RenderedFleet {
  readonly files: FileSet;
  readonly manifests: readonly OutputManifest[];
}

/**
 * renderFleet with the objects behind its manifest files, so a reader that counts them (the synth
 * summary) need not parse the YAML it has just written: on a fleet of 1,000 agents that parse cost
 * more than rendering.
 */
export function renderFleetOutput(fleet: Fleet, options: RenderOptions = {}): RenderedFleet {
  // Started first: it runs on another thread while this one renders the manifests.
  const vaultStack = startVaultStack(fleet, options.stack);
  const files: FileSet = new Map();
  const manifests: OutputManifest[] = [];
  const manifestFile = (path: string, objects: ReadonlyArray<Record<string, unknown>>) => {
    for (const object of objects) {
      assertObjectFits(object, path);
      manifests.push({ path, object });
    }
    files.set(path, yamlDocuments(objects));
  };
  const { agents, templates, constraints, killSwitch } = buildApp(fleet);
  const folders: string[] = [];
  for (const chart of agents as Chart[]) {
    const folder = `agents/${chart.node.id.replace(/^agent-/, '')}`;
    folders.push(folder);
    manifestFile(`${folder}/agent.yaml`, chart.toJson());
    files.set(`${folder}/kustomization.yaml`, kustomization(['agent.yaml']));
  }
  const engine = fleet.spec.engine;
  const packs: string[] = [];
  if (engine !== 'vap') {
    // Two folders so GitOps can apply the templates (which create the constraint CRDs) first:
    // Flux with dependsOn, Argo CD with sync waves, or kubectl twice.
    manifestFile('policy-pack/templates/templates.yaml', templates.toJson());
    files.set('policy-pack/templates/kustomization.yaml', kustomization(['templates.yaml']));
    manifestFile('policy-pack/constraints/constraints.yaml', constraints.toJson());
    files.set('policy-pack/constraints/kustomization.yaml', kustomization(['constraints.yaml']));
    files.set('policy-pack/kustomization.yaml', kustomization(['templates', 'constraints']));
    packs.push('policy-pack');
  }
  if (engine !== 'gatekeeper') {
    // The API server's own admission: no CRDs to wait for, so one folder.
    const vap = new ValidatingAdmissionPolicies(new App(), 'vap', { fleet });
    manifestFile('vap/policies.yaml', vap.toJson());
    files.set('vap/kustomization.yaml', kustomization(['policies.yaml']));
    packs.push('vap');
  }
  // The emergency path: runbook scripts (not cluster objects, so not kustomize resources; written
  // executable) and, when the fleet names a runner image, the in-cluster runners.
  for (const agentSwitch of killSwitch.switches) {
    files.set(`kill-switch/${agentSwitch.scriptFile}`, agentSwitch.script);
  }
  const runners = killSwitch.toJson();
  if (runners.length > 0) {
    manifestFile('kill-switch/runners.yaml', runners);
    files.set('kill-switch/kustomization.yaml', kustomization(['runners.yaml']));
  }
  files.set(
    'kustomization.yaml',
    kustomization([...folders, ...packs, ...(runners.length > 0 ? ['kill-switch'] : [])]),
  );
  // The last stage for kubectl and Flux, once the constraints are in: the same objects without the
  // policy pack, so no two Flux Kustomizations own one object.
  files.set(
    'workloads/kustomization.yaml',
    kustomization([...folders, ...(runners.length > 0 ? ['kill-switch'] : [])].map((f) => `../${f}`)),
  );
  // An API server file, not a cluster object: kept out of the kustomization.
  manifestFile('audit/audit-policy.yaml', [auditPolicy(fleet) as unknown as Record<string, unknown>]);
  files.set('vault/cdk.tf.json', vaultStack.json()); // Terraform JSON for tofu/terraform, not kustomize
  return { files, manifests };
}
