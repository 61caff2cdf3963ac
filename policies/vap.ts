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
 *
 * And in a CEL expression: the API server refuses an expression longer than 100,000 code points
 * (CEL_EXPRESSION_LIMIT), which one policy's inlined parameters pass at a few hundred agents. An agent
 * policy whose parameters would is split into parts, each a ValidatingAdmissionPolicy of its own with
 * some of the agents (every agent in exactly one part); AG701's by its agent namespaces. Every agent
 * rule looks its agent up by username, so a part that does not hold the agent answers as for anyone
 * else, and together the parts enforce what one policy would.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { EnforcementAction, Fleet } from '../lib/fleet/schema';
import { fleetLabels } from '../lib/naming';
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

/**
 * The longest CEL expression the API server compiles: cel-go's ExpressionSizeCodePointLimit, which
 * Kubernetes leaves at its default. A longer one is refused when the policy is applied ("expression
 * code point size exceeds limit"), so the policy would not exist at all.
 */
export const CEL_EXPRESSION_LIMIT = 100_000;

/** How long synth lets an inlined expression (params, a namespace list) grow before it splits the policy. */
export const VAP_EXPRESSION_BUDGET = 90_000;

/** Length as CEL counts it: in Unicode code points. */
export const codePoints = (text: string): number => Array.from(text).length;

/** The `params` variable's expression for these parameters. */
export const paramsExpression = (parameters: unknown): string => `dyn(${celLiteral(parameters)})`;

/**
 * Items split, in order, into as few consecutive groups as keep each group's expression within the
 * budget. An expression is `base` code points plus, per item, its `size` and a separator (", ") after
 * all but the last: how celLiteral writes a list or a map. `measure` gives a group's exact length,
 * which is checked. Throws when one item alone does not fit: no split helps then.
 */
function split<T>(
  items: readonly T[],
  base: number,
  size: (item: T) => number,
  measure: (group: readonly T[]) => number,
  what: (item: T) => string,
): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let length = base;
  for (const item of items) {
    const own = size(item);
    if (current.length > 0 && length + 2 + own > VAP_EXPRESSION_BUDGET) {
      groups.push(current);
      current = [];
      length = base;
    }
    length += (current.length > 0 ? 2 : 0) + own;
    current.push(item);
    if (length > VAP_EXPRESSION_BUDGET) {
      throw new Error(
        `${what(item)} alone makes a CEL expression of ${length} code points; the API server compiles at most ${CEL_EXPRESSION_LIMIT}`,
      );
    }
  }
  groups.push(current);
  for (const group of groups) {
    const exact = measure(group);
    if (exact > VAP_EXPRESSION_BUDGET) throw new Error(`a part of ${exact} code points: the split is wrong`);
  }
  return groups;
}

/**
 * One policy's parameters as the parts of a split policy hold them: `agents` divided so that each
 * part's `params` expression stays within VAP_EXPRESSION_BUDGET, everything else in every part. One
 * part (the parameters as they are) when they fit.
 */
export function parameterParts(
  parameters: Record<string, unknown>,
  policyId: string,
): Array<Record<string, unknown>> {
  const whole = codePoints(paramsExpression(parameters));
  if (whole <= VAP_EXPRESSION_BUDGET) return [parameters];
  const agents = parameters.agents as Record<string, unknown> | undefined;
  const entries = Object.entries(agents ?? {});
  if (entries.length === 0) {
    throw new Error(
      `${policyId}'s parameters make a CEL expression of ${whole} code points without any agent; the API server compiles at most ${CEL_EXPRESSION_LIMIT}`,
    );
  }
  const partOf = (group: ReadonlyArray<[string, unknown]>) => ({
    ...parameters,
    agents: Object.fromEntries(group),
  });
  return split(
    entries,
    codePoints(paramsExpression(partOf([]))),
    ([user, value]) => codePoints(`${JSON.stringify(user)}: dyn(${celLiteral(value)})`),
    (group) => codePoints(paramsExpression(partOf(group))),
    ([user]) => `${policyId}'s parameters for agent ${user}`,
  ).map(partOf);
}

const agentNamespacesCondition = (namespaces: readonly string[]): string =>
  `request.namespace in ${celLiteral(namespaces)}`;

/** AG701's agent namespaces split so that each part's match condition stays within the budget. */
function namespaceParts(namespaces: readonly string[]): string[][] {
  return split(
    namespaces,
    codePoints(agentNamespacesCondition([])),
    (ns) => codePoints(`dyn(${JSON.stringify(ns)})`),
    (group) => codePoints(agentNamespacesCondition(group)),
    (ns) => `agent namespace ${ns}`,
  );
}

/** A part's name: the constraint's for the first (so one part is named as before), then -2, -3, … */
export const partName = (name: string, part: number): string => (part === 0 ? name : `${name}-${part + 1}`);

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
      const notExempted = `!(request.namespace in ${celLiteral(excluded)})`;
      if (excluded.length > 0 && codePoints(notExempted) > VAP_EXPRESSION_BUDGET) {
        throw new Error(
          `${policy.id}: ${excluded.length} exempted namespaces make a CEL expression of ${codePoints(notExempted)} code points; the API server compiles at most ${CEL_EXPRESSION_LIMIT}`,
        );
      }
      // Parts: by agents (their parameters), or for hardened pods by agent namespaces.
      const parts = podPolicy
        ? // Its parameters (allowTagsFrom) hold no agents: one part of them, or an error.
          namespaceParts(namespaces).map((nss) => ({
            parameters: parameterParts(parameters, policy.id)[0],
            namespaces: nss,
          }))
        : parameterParts(parameters, policy.id).map((p) => ({
            parameters: p,
            namespaces,
          }));
      const labels = fleetLabels(fleet);
      const annotations = { 'agentguard.dev/policy-id': policy.id };
      parts.forEach((part, i) => {
        const name = partName(constraintName(policy, fleet.metadata.name, action), i);
        const id = partName(`${policy.folder}-${action}`, i);
        new ApiObject(this, `${id}-policy`, {
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
                    { name: 'agent-namespaces', expression: agentNamespacesCondition(part.namespaces) },
                  ],
                }
              : excluded.length > 0
                ? {
                    // Exempted namespaces, as Gatekeeper's excludedNamespaces: requests naming one of them.
                    matchConditions: [{ name: 'not-exempted', expression: notExempted }],
                  }
                : {}),
            variables: [
              { name: 'params', expression: paramsExpression(part.parameters) },
              ...source.variables,
            ],
            validations: source.validations.map((v) => ({ ...v })),
          },
        });
        new ApiObject(this, `${id}-binding`, {
          apiVersion: VAP_API_VERSION,
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name, labels, annotations },
          spec: { policyName: name, validationActions: VALIDATION_ACTIONS[action] },
        });
      });
    }
  }
}
