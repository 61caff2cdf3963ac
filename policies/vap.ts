/**
 * The pack as ValidatingAdmissionPolicies, for clusters without Gatekeeper (`spec.engine: vap`) or
 * beside it (`both`). The API server enforces them itself. Each policy with a K8sNativeValidation
 * block in its template becomes, per enforcement action in use, one ValidatingAdmissionPolicy and one
 * binding, holding exactly the agents in that action, as the constraints do.
 *
 * Parameters are inlined: the policy's first variable, `params`, is the fleet's parameters as a CEL
 * literal, so the validations read `variables.params` exactly as under Gatekeeper and the CEL is the
 * template's, unchanged. No param CRD to install, no ConfigMap (whose values are strings CEL cannot
 * parse), and the policy and its parameters change in one object, atomically. The cost: one policy
 * per fleet (named after it, like the constraints), and a fleet's parameters must fit in an object.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { EnforcementAction, Fleet } from '../lib/fleet/schema';
import { LABELS } from '../lib/naming';
import { policyCatalog, type PolicyEntry } from './catalog';
import { templateCelSource, type CelSource } from './cel';
import { constraintName, constraintUnits, POD_KINDS } from './policy-pack';

export const VAP_API_VERSION = 'admissionregistration.k8s.io/v1';

/** What each enforcement action becomes in a binding's validationActions. */
export const VALIDATION_ACTIONS: Readonly<Record<EnforcementAction, string[]>> = {
  deny: ['Deny'],
  warn: ['Warn'],
  dryrun: ['Audit'],
};

/**
 * Every resource and every subresource (`*∕*`: `deployments`, `deployments/scale`,
 * `pods/ephemeralcontainers`, `pods/eviction`, `serviceaccounts/token`), and DELETE named
 * explicitly: the API server runs a VAP only for what it matches. CONNECT (exec, attach,
 * port-forward) stays with RBAC, as under Gatekeeper.
 */
export const VAP_RESOURCE_RULES = [
  {
    apiGroups: ['*'],
    apiVersions: ['*'],
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    resources: ['*/*'],
    scope: '*',
  },
];

/** The pod kinds AG701 checks, as group/Kind ("/Pod", "apps/Deployment"), and their API groups. */
const POD_KIND_KEYS = POD_KINDS.flatMap((k) =>
  k.apiGroups.flatMap((g) => k.kinds.map((kind) => `${g}/${kind}`)),
).sort();
const POD_KIND_GROUPS = [...new Set(POD_KINDS.flatMap((k) => k.apiGroups))].sort();

/**
 * A JSON value as a CEL literal. JSON's strings, numbers, booleans and null are CEL syntax too; the API
 * server compiles with homogeneous aggregate literals, so every list element and map value is wrapped
 * in dyn() (a phase string beside a map of namespaces would otherwise not compile).
 */
export function celLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => `dyn(${celLiteral(v)})`).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    // Keys sorted, as cdk8s writes the constraints: the same parameters give the same text.
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: dyn(${celLiteral(v)})`).join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`parameter value ${value} is not a whole number; only integers are inlined`);
  }
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error(`parameter value ${String(value)} is not JSON`);
  return text;
}

/** The policies that have CEL, in catalog order. */
export function vapPolicies(): Array<{ policy: PolicyEntry; source: CelSource }> {
  return policyCatalog().flatMap((policy) => {
    const source = templateCelSource(policy.template);
    return source ? [{ policy, source }] : [];
  });
}

/** The ValidatingAdmissionPolicies and their bindings for one fleet. */
export class ValidatingAdmissionPolicies extends Chart {
  constructor(scope: Construct, id: string, props: { readonly fleet: Fleet }) {
    super(scope, id);
    const { fleet } = props;
    const withCel = vapPolicies();
    const sources = new Map(withCel.map(({ policy, source }) => [policy.id, source]));
    for (const {
      policy,
      action,
      parameters,
      excludedNamespaces: excluded,
      agentNamespaces: namespaces,
    } of constraintUnits(
      fleet,
      withCel.map(({ policy }) => policy),
    )) {
      const source = sources.get(policy.id);
      if (!source) throw new Error(`no CEL for ${policy.id}`); // constraintUnits keeps the policies given
      // Hardened pods looks at objects, not identities: pod kinds in agent namespaces, as its
      // constraint's match (kinds and namespaces), which the match conditions below spell in CEL.
      const podPolicy = policy.folder === 'hardened-pods';
      const name = constraintName(policy, fleet.metadata.name, action);
      const labels = { [LABELS.fleet]: fleet.metadata.name, [LABELS.managedBy]: 'agentguard' };
      const annotations = { 'agentguard.dev/policy-id': policy.id };
      new ApiObject(this, `${policy.folder}-${action}-policy`, {
        apiVersion: VAP_API_VERSION,
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name, labels, annotations },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: podPolicy
              ? [{ ...VAP_RESOURCE_RULES[0], apiGroups: POD_KIND_GROUPS, scope: 'Namespaced' }]
              : VAP_RESOURCE_RULES,
          },
          ...(podPolicy
            ? {
                matchConditions: [
                  {
                    name: 'pod-kinds',
                    expression: `(request.kind.group + '/' + request.kind.kind) in ${celLiteral(POD_KIND_KEYS)}`,
                  },
                  {
                    name: 'agent-namespaces',
                    expression: `request.namespace in ${celLiteral(namespaces)}`,
                  },
                ],
              }
            : excluded.length > 0
              ? {
                  // Exempted namespaces, as Gatekeeper's excludedNamespaces: requests naming one of them.
                  matchConditions: [
                    {
                      name: 'not-exempted',
                      expression: `!(request.namespace in ${celLiteral(excluded)})`,
                    },
                  ],
                }
              : {}),
          variables: [{ name: 'params', expression: `dyn(${celLiteral(parameters)})` }, ...source.variables],
          validations: source.validations.map((v) => ({ ...v })),
        },
      });
      new ApiObject(this, `${policy.folder}-${action}-binding`, {
        apiVersion: VAP_API_VERSION,
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name, labels, annotations },
        spec: { policyName: name, validationActions: VALIDATION_ACTIONS[action] },
      });
    }
  }
}
