/** Turns the app into files: a map of relative path to content, built fully in memory first. */
import { App } from 'cdk8s';
import { auditPolicy } from '../lib/audit';
import type { Fleet } from '../lib/fleet/schema';
import type { StackLocation } from '../lib/vault/backend';
import { ValidatingAdmissionPolicies } from '../policies/vap';
import { buildPack } from './app';
import type { OutputManifest } from './output-objects';
import {
  addManifestFile,
  agentFolder,
  kustomization,
  renderAgents,
  type RenderedPart,
} from './render-agents';
import { startAgents, startVaultStack } from './worker';

export type FileSet = Map<string, string>;

/**
 * The share of the agents a worker thread renders (the Vault stack has a thread of its own): this
 * thread also renders the fleet-wide charts, so the worker takes a bit less than half.
 */
const WORKER_AGENT_SHARE = 0.4;
/** Below this many agents a thread's start (it loads cdk8s again) costs more than it saves. */
const WORKER_AGENTS_FROM = 200;

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
  // Started first: they run on other threads while this one renders the rest.
  const agents = fleet.spec.agents;
  const split = agents.length >= WORKER_AGENTS_FROM ? Math.floor(agents.length * WORKER_AGENT_SHARE) : 0;
  const vaultStack = startVaultStack(fleet, options.stack);
  const firstAgents = startAgents(fleet, 0, split);
  const rest = renderAgents(fleet, agents.slice(split));
  const part: RenderedPart = { files: [], manifests: [] };
  const manifestFile = (path: string, objects: ReadonlyArray<Record<string, unknown>>) =>
    addManifestFile(part, path, objects);
  const add = (path: string, content: string) => part.files.push([path, content]);
  const { templates, constraints, killSwitch } = buildPack(fleet);
  const folders = agents.map(agentFolder);
  const engine = fleet.spec.engine;
  const packs: string[] = [];
  if (engine !== 'vap') {
    // Two folders so GitOps can apply the templates (which create the constraint CRDs) first:
    // Flux with dependsOn, Argo CD with sync waves, or kubectl twice.
    manifestFile('policy-pack/templates/templates.yaml', templates.toJson());
    add('policy-pack/templates/kustomization.yaml', kustomization(['templates.yaml']));
    manifestFile('policy-pack/constraints/constraints.yaml', constraints.toJson());
    add('policy-pack/constraints/kustomization.yaml', kustomization(['constraints.yaml']));
    add('policy-pack/kustomization.yaml', kustomization(['templates', 'constraints']));
    packs.push('policy-pack');
  }
  if (engine !== 'gatekeeper') {
    // The API server's own admission: no CRDs to wait for, so one folder.
    const vap = new ValidatingAdmissionPolicies(new App(), 'vap', { fleet });
    manifestFile('vap/policies.yaml', vap.toJson());
    add('vap/kustomization.yaml', kustomization(['policies.yaml']));
    packs.push('vap');
  }
  // The emergency path: runbook scripts (not cluster objects, so not kustomize resources; written
  // executable) and, when the fleet names a runner image, the in-cluster runners.
  for (const agentSwitch of killSwitch.switches) {
    add(`kill-switch/${agentSwitch.scriptFile}`, agentSwitch.script);
  }
  const runners = killSwitch.toJson();
  if (runners.length > 0) {
    manifestFile('kill-switch/runners.yaml', runners);
    add('kill-switch/kustomization.yaml', kustomization(['runners.yaml']));
  }
  add(
    'kustomization.yaml',
    kustomization([...folders, ...packs, ...(runners.length > 0 ? ['kill-switch'] : [])]),
  );
  // The last stage for kubectl and Flux, once the constraints are in: the same objects without the
  // policy pack, so no two Flux Kustomizations own one object.
  add(
    'workloads/kustomization.yaml',
    kustomization([...folders, ...(runners.length > 0 ? ['kill-switch'] : [])].map((f) => `../${f}`)),
  );
  // An API server file, not a cluster object: kept out of the kustomization.
  manifestFile('audit/audit-policy.yaml', [auditPolicy(fleet) as unknown as Record<string, unknown>]);
  add('vault/cdk.tf.json', vaultStack.result()); // Terraform JSON for tofu/terraform, not kustomize
  // In the order one thread would have rendered them: the agents' folders first, in fleet order.
  const parts = [firstAgents.result(), rest, part];
  const files: FileSet = new Map(parts.flatMap((p) => p.files));
  return { files, manifests: parts.flatMap((p) => p.manifests) };
}
