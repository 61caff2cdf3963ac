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
import { exemptNamespaces } from '../lib/enforcement';
import type { EnforcementAction, Fleet } from '../lib/fleet/schema';
import { LABELS } from '../lib/naming';
import { policyCatalog, type PolicyEntry } from './catalog';
import { templateCelSource, type CelSource } from './cel';
import { packParameters, type PackParameters } from './parameters';
import { agentsByAction, constraintName } from './policy-pack';

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

/**
 * A JSON value as a CEL literal. JSON's strings, numbers, booleans and null are CEL syntax too; the API
 * server compiles with homogeneous aggregate literals, so every list element and map value is wrapped
 * in dyn() (a phase string beside a map of namespaces would otherwise not compile).
 */
export function celLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => `dyn(${celLiteral(v)})`).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
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
    for (const { policy, source } of vapPolicies()) {
      const folder = policy.folder as keyof PackParameters;
      const excluded = exemptNamespaces(fleet, policy.id);
      for (const { action, agents } of agentsByAction(fleet, policy.id)) {
        const parameters = packParameters({ ...fleet, spec: { ...fleet.spec, agents } })[folder];
        const name = constraintName(policy, fleet.metadata.name, action);
        const labels = { [LABELS.fleet]: fleet.metadata.name, [LABELS.managedBy]: 'agentguard' };
        const annotations = { 'agentguard.dev/policy-id': policy.id };
        new ApiObject(this, `${policy.folder}-${action}-policy`, {
          apiVersion: VAP_API_VERSION,
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name, labels, annotations },
          spec: {
            failurePolicy: 'Fail',
            matchConstraints: { resourceRules: VAP_RESOURCE_RULES },
            // Exempted namespaces, as Gatekeeper's excludedNamespaces: requests naming one of them.
            ...(excluded.length > 0
              ? {
                  matchConditions: [
                    {
                      name: 'not-exempted',
                      expression: `!(request.namespace in ${celLiteral(excluded)})`,
                    },
                  ],
                }
              : {}),
            variables: [
              { name: 'params', expression: `dyn(${celLiteral(parameters)})` },
              ...source.variables,
            ],
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
}
