/**
 * Several fleets in one cluster. Every cluster-scoped name and every constraint carries the fleet's
 * name, and the ConstraintTemplates are byte-identical for every fleet, so two fleets only collide
 * where they claim the same thing: the fleet name itself, an agent namespace, an agent name (it names
 * the agent's Vault policies, auth mount and roles, and its kill-switch runner objects in a shared
 * runners' namespace), a target in another fleet's agent namespace (I2 across fleets), one local
 * Terraform state file, or both managing the same secrets-engine mount. `synth --also` runs this.
 */
import { resolve, dirname } from 'node:path';
import { cite } from '../invariants';
import { localStateFile } from '../vault/backend';
import type { PathSegment, RuleError } from './errors';
import { agentMayCreate, exemptObjectParts, type Fleet } from './schema';

export interface FleetFile {
  readonly file: string;
  readonly fleet: Fleet;
}

/** Errors in `self`'s paths, each naming the other fleet file it collides with. */
export function fleetCollisions(self: FleetFile, others: readonly FleetFile[]): RuleError[] {
  const errors: RuleError[] = [];
  const { fleet } = self;
  for (const other of others) {
    if (resolve(other.file) === resolve(self.file)) continue;
    const theirs = other.fleet;
    const where = `fleet "${theirs.metadata.name}" (${other.file})`;
    if (theirs.metadata.name === fleet.metadata.name) {
      errors.push({
        path: ['metadata', 'name'],
        message: `"${fleet.metadata.name}" is also the name of ${other.file}; fleets in one cluster need names of their own (constraints and cluster-scoped names carry it)`,
      });
    }
    const agentNamespaces = new Map(theirs.spec.agents.map((a) => [a.namespace, a.name]));
    const agentNames = new Set(theirs.spec.agents.map((a) => a.name));
    fleet.spec.agents.forEach((agent, i) => {
      const owner = agentNamespaces.get(agent.namespace);
      if (owner !== undefined) {
        errors.push({
          path: ['spec', 'agents', i, 'namespace'],
          message: `"${agent.namespace}" is also the namespace of agent "${owner}" of ${where}; an agent namespace belongs to one fleet`,
        });
      }
      if (agentNames.has(agent.name)) {
        errors.push({
          path: ['spec', 'agents', i, 'name'],
          message: `"${agent.name}" is also an agent of ${where}; agent names key Vault policies, auth mounts and kill-switch runners, so they must be unique across the cluster`,
        });
      }
      agent.targets.forEach((target, t) => {
        const targetOwner = agentNamespaces.get(target.namespace);
        if (targetOwner !== undefined) {
          errors.push({
            path: ['spec', 'agents', i, 'targets', t, 'namespace'],
            message: `"${target.namespace}" is the namespace of agent "${targetOwner}" of ${where}; agents may not act in agent namespaces ${cite('I2')}`,
          });
        }
      });
    });
    fleet.spec.exemptions.forEach((exemption, e) => {
      const exempted: Array<[string, string, PathSegment[]]> = [
        ...exemption.namespaces.map((ns, n): [string, string, PathSegment[]] => [
          ns,
          `"${ns}" is`,
          ['spec', 'exemptions', e, 'namespaces', n],
        ]),
        ...exemption.objects.map((ref, o): [string, string, PathSegment[]] => [
          exemptObjectParts(ref)?.namespace ?? '',
          `"${ref}" is in`,
          ['spec', 'exemptions', e, 'objects', o],
        ]),
      ];
      for (const [ns, what, path] of exempted) {
        const owner = agentNamespaces.get(ns);
        if (owner !== undefined) {
          errors.push({
            path,
            message: `${what} the namespace of agent "${owner}" of ${where}; agent namespaces are never exempted`,
          });
        }
      }
      // As within one fleet: an object an agent of the other fleet may create is not safe to exempt.
      exemption.objects.forEach((ref, o) => {
        const parts = exemptObjectParts(ref);
        if (parts === undefined) return;
        const { kind, namespace, name } = parts;
        for (const agent of theirs.spec.agents) {
          if (agentMayCreate(agent, kind, namespace)) {
            errors.push({
              path: ['spec', 'exemptions', e, 'objects', o],
              message: `agent "${agent.name}" of ${where} may create ${kind} objects in ${namespace}, so it could create "${name}" for this fleet's agents to change unchecked; exempt only objects no agent may create`,
            });
          }
        }
      });
    });
    const ours = localStateFile(fleet, dirname(self.file));
    if (ours !== undefined && ours === localStateFile(theirs, dirname(other.file))) {
      errors.push({
        path: ['spec', 'vault', 'backend'],
        message: `the Terraform state ${ours} is also the state of ${where}; each fleet's Vault stack needs its own state`,
      });
    }
    if (
      fleet.spec.vault.manageBackends &&
      theirs.spec.vault.manageBackends &&
      fleet.spec.vault.kubernetesSecretsPath === theirs.spec.vault.kubernetesSecretsPath
    ) {
      errors.push({
        path: ['spec', 'vault', 'kubernetesSecretsPath'],
        message: `"${fleet.spec.vault.kubernetesSecretsPath}" is also managed by ${where}; only one fleet may manage a mount (set manageBackends: false in one, or use another path)`,
      });
    }
  }
  return errors;
}
