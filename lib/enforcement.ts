/**
 * Staged rollout and exemptions: which enforcement action a policy has for an agent, and which
 * namespaces a policy is exempted in. One place, read by the policy pack, `check` and `report`.
 *
 * Precedence, most specific first: the agent's `enforcement.policies[ID]`, the agent's
 * `enforcement.action`, the fleet's `spec.enforcement.policies[ID]`, the fleet's
 * `spec.enforcement.action` (default deny). FIXED_POLICIES are always deny.
 */
import { exemptObjectParts, type Agent, type EnforcementAction, type Fleet } from './fleet/schema';
import type { InvariantId } from './invariants';
import { MANAGEABLE_KINDS } from './kinds';

export const KILL_SWITCH_POLICY_ID = 'AG601';
/** Policies that look at objects in agent namespaces only; they cannot be exempted anywhere useful. */
export const AGENT_NAMESPACE_POLICY_IDS: readonly string[] = ['AG701'];

/** A policy no fleet setting relaxes or exempts, and what would go wrong if one did. */
export interface FixedPolicy {
  /** How messages name it: "the kill switch". */
  readonly name: string;
  readonly invariant: InvariantId;
  /** Why warn or dryrun is refused. */
  readonly relaxed: string;
  /** Why an exemption is refused. */
  readonly exempted: string;
  /** What to do instead, where there is something. */
  readonly instead?: string;
}

/**
 * Always deny, never exempt: the kill switch (I6) and the guards against an agent giving itself
 * more power (I2). A request those policies only warn about has already gone through: the agent has
 * escalated by then, and an exemption does the same for one namespace or object. The emergency path
 * also patches the kill switch's one deny constraint.
 */
export const FIXED_POLICIES: Readonly<Record<string, FixedPolicy>> = {
  AG201: {
    name: 'no self-escalation',
    invariant: 'I2',
    relaxed: 'a self-escalation that is only reported has already happened',
    exempted: 'the agent could then change guardrails or grant itself access there',
  },
  AG202: {
    name: 'pods an agent writes',
    invariant: 'I2',
    relaxed: 'a pod that is only reported already runs with the ServiceAccount, Secrets and image it took',
    exempted: 'the agent could then run any image as any ServiceAccount with any Secret there',
    instead: 'list what its pods may use in targets[].pods instead',
  },
  AG203: {
    name: 'network exposure an agent writes',
    invariant: 'I2',
    relaxed:
      'a Service or Ingress that is only reported already takes over traffic, exposes pods or runs configuration in the ingress controller',
    exempted:
      'the agent could then take over traffic to any IP, expose pods outside the cluster or run configuration in the ingress controller there',
    instead: 'list what may be exposed in targets[].exposure instead',
  },
  AG601: {
    name: 'the kill switch',
    invariant: 'I6',
    relaxed: 'a stop button that only warns stops nothing',
    exempted: 'an engaged agent must be denied in every namespace, or it keeps acting where it is exempt',
  },
};

/** Strictest first: where agents of several modes share a namespace, the strictest wins. */
export const ACTION_ORDER: readonly EnforcementAction[] = ['deny', 'warn', 'dryrun'];

export function enforcementAction(fleet: Fleet, agent: Agent, policyId: string): EnforcementAction {
  if (Object.hasOwn(FIXED_POLICIES, policyId)) return 'deny';
  const own = agent.enforcement;
  return (
    own?.policies[policyId] ??
    own?.action ??
    fleet.spec.enforcement.policies[policyId] ??
    fleet.spec.enforcement.action
  );
}

/** The day a relaxation for this agent and policy ends, if it is relaxed and the fleet says so. */
export function relaxedUntil(fleet: Fleet, agent: Agent, policyId: string): string | undefined {
  if (enforcementAction(fleet, agent, policyId) === 'deny') return undefined;
  const own = agent.enforcement;
  if (own && (own.policies[policyId] !== undefined || own.action !== undefined)) return own.until;
  return fleet.spec.enforcement.until;
}

/** The strictest of several actions (deny over warn over dryrun). */
export const strictest = (actions: Iterable<EnforcementAction>): EnforcementAction =>
  ACTION_ORDER.find((a) => [...actions].includes(a)) ?? 'deny';

/** Namespaces exempted from a policy, sorted: rendered into its constraints' `match.excludedNamespaces`. */
export function exemptNamespaces(fleet: Fleet, policyId: string): string[] {
  return [
    ...new Set(
      fleet.spec.exemptions.filter((e) => e.policies.includes(policyId)).flatMap((e) => e.namespaces),
    ),
  ].sort();
}

/**
 * Objects exempted from a policy, sorted, as the shared Rego library matches them:
 * `<resource>[.<group>]/<namespace>/<name>`, e.g. `deployments.apps/shop/legacy-api`. The resource,
 * not the kind, because admission routes by resource (the API server sets it; a request body cannot
 * claim it) and a subresource request (`deployments/scale`, kind Scale) still names its parent.
 */
export function exemptObjects(fleet: Fleet, policyId: string): string[] {
  return [
    ...new Set(
      fleet.spec.exemptions
        .filter((e) => e.policies.includes(policyId))
        .flatMap((e) => e.objects)
        .map(objectRef),
    ),
  ].sort();
}

/** `Deployment/shop/web` → `deployments.apps/shop/web`. The schema has checked the kind. */
export function objectRef(exempted: string): string {
  const { kind, namespace, name } = exemptObjectParts(exempted) ?? {};
  const info = MANAGEABLE_KINDS[kind ?? ''];
  if (!info) throw new Error(`"${exempted}" is not Kind/namespace/name of a kind agents can manage`);
  const resource = info.group === '' ? info.resource : `${info.resource}.${info.group}`;
  return `${resource}/${namespace}/${name}`;
}

/**
 * Relaxations that have ended by `today` (YYYY-MM-DD), as paths and messages. Only `synth --today`
 * calls this: synth never reads the clock, so the same fleet always gives the same output.
 */
export function expiredRelaxations(
  fleet: Fleet,
  today: string,
): Array<{ path: (string | number)[]; message: string }> {
  const expired: Array<{ path: (string | number)[]; message: string }> = [];
  const { enforcement } = fleet.spec;
  const fleetRelaxed =
    enforcement.action !== 'deny' || Object.values(enforcement.policies).some((a) => a !== 'deny');
  if (fleetRelaxed && enforcement.until !== undefined && enforcement.until < today) {
    expired.push({
      path: ['spec', 'enforcement', 'until'],
      message: `"${enforcement.until}" has passed (today is ${today}); set the policies to deny, or agree a new date`,
    });
  }
  fleet.spec.agents.forEach((agent, index) => {
    const own = agent.enforcement;
    if (own !== undefined && own.until < today) {
      expired.push({
        path: ['spec', 'agents', index, 'enforcement', 'until'],
        message: `"${own.until}" has passed (today is ${today}); remove the agent's enforcement to put it under deny, or agree a new date`,
      });
    }
  });
  return expired;
}
