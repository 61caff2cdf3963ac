/**
 * The Gatekeeper policy pack as cdk8s charts: the ConstraintTemplates generated from rego/ (never a
 * hand copy) and one Constraint per policy whose typed parameters come from the fleet. Templates and
 * constraints are separate charts because a Constraint can only be applied once its template's CRD
 * exists; GitOps tools apply the two folders in order.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Fleet } from '../lib/fleet/schema';
import { LABELS } from '../lib/naming';
import { CONSTRAINT_API_VERSION, policyCatalog, type PolicyEntry } from './catalog';
import { packParameters, type PackParameters } from './parameters';

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
   * What Gatekeeper does with a violation: deny the request, or only warn or record it in audit
   * (for a dry run of the pack in a live cluster).
   * @default 'deny'
   */
  readonly enforcementAction?: 'deny' | 'warn' | 'dryrun';
}

export const constraintName = (policy: PolicyEntry): string => `agentguard-${policy.folder}`;

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
      new ApiObject(this, policy.folder, { apiVersion, kind, metadata, spec });
    }
  }
}

/** One Constraint per policy, parameterised from the fleet. */
export class PolicyConstraints extends Chart {
  public readonly parameters: PackParameters;

  constructor(scope: Construct, id: string, props: PolicyPackProps) {
    super(scope, id);
    const action = props.enforcementAction ?? 'deny';
    if (!['deny', 'warn', 'dryrun'].includes(action)) {
      throw new Error(`PolicyPack enforcementAction "${action}" is not one of deny, warn, dryrun`);
    }
    this.parameters = packParameters(props.fleet);
    const agentNamespaces = [...new Set(props.fleet.spec.agents.map((a) => a.namespace))].sort();
    for (const policy of policyCatalog()) {
      const folder = policy.folder as keyof PackParameters;
      const parameters = this.parameters[folder];
      if (!parameters) throw new Error(`no parameter builder for policy folder rego/${policy.folder}`);
      // Agent rules key on the requesting identity, so they match every kind everywhere; pod
      // hardening looks at objects, so it matches pods and pod templates in agent namespaces.
      const match =
        folder === 'hardened-pods'
          ? // Namespaced: Gatekeeper applies `namespaces` only to namespaced requests and would
            // otherwise match a pod-kind request that names no namespace at all.
            { kinds: POD_KINDS, namespaces: agentNamespaces, scope: 'Namespaced' }
          : { scope: '*' };
      new ApiObject(this, policy.folder, {
        apiVersion: CONSTRAINT_API_VERSION,
        kind: policy.kind,
        metadata: {
          name: constraintName(policy),
          labels: { [LABELS.fleet]: props.fleet.metadata.name, [LABELS.managedBy]: 'agentguard' },
          annotations: { 'agentguard.dev/policy-id': policy.id },
        },
        spec: { enforcementAction: action, match, parameters },
      });
    }
  }
}
