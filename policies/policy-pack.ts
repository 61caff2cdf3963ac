/**
 * The Gatekeeper policy pack as cdk8s charts: the ConstraintTemplates generated from rego/ (never a
 * hand copy) and one Constraint per policy whose typed parameters come from the fleet. Templates and
 * constraints are separate charts because a Constraint can only be applied once its template's CRD
 * exists; GitOps tools apply the two folders in order.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { enforcementAction, exemptNamespaces, exemptObjects, strictest } from '../lib/enforcement';
import { ENFORCEMENT_ACTIONS, type Agent, type EnforcementAction, type Fleet } from '../lib/fleet/schema';
import { fleetLabels } from '../lib/naming';
import { CONSTRAINT_API_VERSION, policyByFolder, policyCatalog, type PolicyEntry } from './catalog';
import { packParameters, policyParameters, type PackParameters } from './parameters';

/** Kinds whose pods (or pod templates) the hardened-pods policy checks in agent namespaces. */
export const POD_KINDS = [
  { apiGroups: [''], kinds: ['Pod', 'ReplicationController'] },
  { apiGroups: ['apps'], kinds: ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'] },
  { apiGroups: ['batch'], kinds: ['CronJob', 'Job'] },
];

export interface PolicyPackProps {
  /** The validated fleet whose agents the constraints protect. */
  readonly fleet: Fleet;
  /**
   * Overrides the fleet's `spec.enforcement.action`: deny the request, or only warn or record it in
   * audit. Per-policy and per-agent settings of the fleet still apply over it.
   * @default the fleet's spec.enforcement.action (deny)
   */
  readonly enforcementAction?: EnforcementAction;
}

/**
 * A constraint's name: the fleet's name in it, so several fleets in one cluster never overwrite each
 * other's constraints (the kind already names the policy). The deny constraint keeps the plain name;
 * agents in another mode are in a constraint of their own, suffixed with the mode.
 */
export const constraintName = (
  policy: Pick<PolicyEntry, 'folder'>,
  fleetName: string,
  action: EnforcementAction = 'deny',
): string => `agentguard-${fleetName}-${policy.folder}${action === 'deny' ? '' : `-${action}`}`;

/**
 * Where Gatekeeper enforces each constraint: its webhook, its audit and gator, never `vap.k8s.io`.
 * Gatekeeper 3.20+ by default generates a ValidatingAdmissionPolicyBinding for every constraint whose
 * template carries CEL (`--default-create-vap-binding-for-constraints`). The pack's templates carry CEL
 * with `generateVAP: false` (synth writes its own VAPs, see `spec.engine`), so Gatekeeper cannot, and
 * said so on the constraint's status on every reconcile, clearing and re-adding the error: each
 * rewrite triggered the next. Measured on a real API server with the example fleet: about 200 status
 * writes a second for as long as the pack is installed, 1.7 cores of API server, etcd and Gatekeeper.
 * Scoped actions are the constraint's own way to say "no binding", so a default install stays quiet.
 */
export const GATEKEEPER_ENFORCEMENT_POINTS = [
  'validation.gatekeeper.sh',
  'audit.gatekeeper.sh',
  'gator.gatekeeper.sh',
] as const;

/** Argo CD: templates first, then constraints (their CRDs exist by then), then everything else. */
export const SYNC_WAVE = { templates: '-2', constraints: '-1' } as const;
export const ARGO_ANNOTATIONS = {
  syncWave: 'argocd.argoproj.io/sync-wave',
  syncOptions: 'argocd.argoproj.io/sync-options',
} as const;

/** The ConstraintTemplates, one per policy. */
export class PolicyTemplates extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const policy of policyCatalog()) {
      const { apiVersion, kind, metadata, spec } = policy.template as {
        apiVersion: string;
        kind: string;
        metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> };
        spec: unknown;
      };
      // Byte-identical for every fleet (shared by name in a cluster): nothing fleet-specific here.
      const annotations = { ...metadata.annotations, [ARGO_ANNOTATIONS.syncWave]: SYNC_WAVE.templates };
      new ApiObject(this, policy.folder, { apiVersion, kind, metadata: { ...metadata, annotations }, spec });
    }
  }
}

/**
 * The constraints, parameterised from the fleet: per policy one constraint per enforcement action in
 * use (deny always, warn and dryrun only when some agent is in them), each holding exactly the agents
 * in that action, so every agent is under exactly one constraint per policy. Exempted namespaces go
 * into every constraint of the policy as `match.excludedNamespaces`, exempted objects into its
 * `exemptObjects` parameter (Gatekeeper's match cannot exclude one object; the shared Rego skips it).
 */
export class PolicyConstraints extends Chart {
  private readonly fleet: Fleet;
  private allParameters?: PackParameters;

  /** Parameters of the deny constraints over the whole fleet (every agent), as a reviewer reads them. */
  public get parameters(): PackParameters {
    // Built on first read: synth never reads them, and they cost as much as the constraints.
    this.allParameters ??= packParameters(this.fleet);
    return this.allParameters;
  }

  constructor(scope: Construct, id: string, props: PolicyPackProps) {
    super(scope, id);
    const base = props.enforcementAction ?? props.fleet.spec.enforcement.action;
    if (!ENFORCEMENT_ACTIONS.includes(base)) {
      throw new Error(
        `PolicyPack enforcementAction "${String(base)}" is not one of ${ENFORCEMENT_ACTIONS.join(', ')}`,
      );
    }
    const fleet: Fleet =
      props.enforcementAction === undefined
        ? props.fleet
        : {
            ...props.fleet,
            spec: { ...props.fleet.spec, enforcement: { ...props.fleet.spec.enforcement, action: base } },
          };
    this.fleet = fleet;
    for (const { policy, action, parameters, excludedNamespaces, agentNamespaces } of constraintUnits(
      fleet,
      policyCatalog(),
    )) {
      // Agent rules key on the requesting identity, so they match every kind everywhere; pod
      // hardening looks at objects, so it matches pods and pod templates in agent namespaces.
      // Namespaced: Gatekeeper applies `namespaces` only to namespaced requests and would
      // otherwise match a pod-kind request that names no namespace at all.
      const match =
        policy.folder === 'hardened-pods'
          ? { kinds: POD_KINDS, namespaces: agentNamespaces, scope: 'Namespaced' }
          : {
              scope: '*',
              ...(excludedNamespaces.length > 0 ? { excludedNamespaces } : {}),
            };
      new ApiObject(this, action === 'deny' ? policy.folder : `${policy.folder}-${action}`, {
        apiVersion: CONSTRAINT_API_VERSION,
        kind: policy.kind,
        metadata: {
          name: constraintName(policy, fleet.metadata.name, action),
          labels: fleetLabels(fleet),
          annotations: {
            'agentguard.dev/policy-id': policy.id,
            [ARGO_ANNOTATIONS.syncWave]: SYNC_WAVE.constraints,
            // The CRD comes from the template at sync time; Argo CD's dry run would fail before.
            [ARGO_ANNOTATIONS.syncOptions]: 'SkipDryRunOnMissingResource=true',
          },
        },
        spec: {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [
            { action, enforcementPoints: GATEKEEPER_ENFORCEMENT_POINTS.map((name) => ({ name })) },
          ],
          match,
          parameters,
        },
      });
    }
  }
}

/** One constraint (or ValidatingAdmissionPolicy) to write for a fleet. */
export interface ConstraintUnit {
  readonly policy: PolicyEntry;
  readonly action: EnforcementAction;
  /** The agents under this action for this policy. */
  readonly agents: Agent[];
  /** The constraint's parameters: those agents' entries and the exempted objects. */
  readonly parameters: Record<string, unknown>;
  /** Namespaces exempted from the policy (Gatekeeper's `excludedNamespaces`). */
  readonly excludedNamespaces: string[];
  /** The namespaces of those agents, sorted (what hardened pods matches). */
  readonly agentNamespaces: string[];
}

/**
 * Per policy and enforcement action in use, what its constraint holds: the one plan that the
 * Gatekeeper constraints and the ValidatingAdmissionPolicies are both written from, so the two
 * engines always carry the same agents and exemptions. Hardened pods with no agent namespace gets no
 * unit: an empty `namespaces` would match every namespace in Gatekeeper.
 */
export function constraintUnits(fleet: Fleet, policies: readonly PolicyEntry[]): ConstraintUnit[] {
  return policies.flatMap((policy) => {
    const folder = policy.folder as keyof PackParameters;
    const excludedNamespaces = exemptNamespaces(fleet, policy.id);
    const objects = exemptObjects(fleet, policy.id);
    return agentsByAction(fleet, policy.id).flatMap(({ action, agents }) => {
      const agentNamespaces = [...new Set(agents.map((a) => a.namespace))].sort();
      if (folder === 'hardened-pods' && agentNamespaces.length === 0) return [];
      const parameters = {
        ...policyParameters({ ...fleet, spec: { ...fleet.spec, agents } }, folder),
        ...(objects.length > 0 ? { exemptObjects: objects } : {}),
      };
      return [{ policy, action, agents, parameters, excludedNamespaces, agentNamespaces }];
    });
  });
}

/**
 * The fleet's agents split by their action for one policy: deny always (possibly empty, so the deny
 * constraint, which the kill switch's emergency path patches, always exists), warn and dryrun only
 * when not empty. For hardened pods, which match namespaces, agents sharing a namespace all take the
 * strictest action among them, so a namespace is in exactly one constraint.
 */
export function agentsByAction(
  fleet: Fleet,
  policyId: string,
): Array<{ action: EnforcementAction; agents: Agent[] }> {
  let actionOf = (agent: Agent) => enforcementAction(fleet, agent, policyId);
  if (policyByFolder('hardened-pods').id === policyId) {
    const byNamespace = new Map<string, EnforcementAction>();
    for (const a of fleet.spec.agents) {
      byNamespace.set(a.namespace, strictest([byNamespace.get(a.namespace) ?? 'dryrun', actionOf(a)]));
    }
    const own = actionOf;
    actionOf = (agent) => byNamespace.get(agent.namespace) ?? own(agent);
  }
  return ENFORCEMENT_ACTIONS.map((action) => ({
    action,
    agents: fleet.spec.agents.filter((a) => actionOf(a) === action),
  })).filter(({ action, agents }) => action === 'deny' || agents.length > 0);
}
