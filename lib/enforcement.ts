/**
 * Staged rollout and exemptions: which enforcement action a policy has for an agent, and which
 * namespaces a policy is exempted in. One place, read by the policy pack, `check` and `report`.
 *
 * Precedence, most specific first: the agent's `enforcement.policies[ID]`, the agent's
 * `enforcement.action`, the fleet's `spec.enforcement.policies[ID]`, the fleet's
 * `spec.enforcement.action` (default deny). The kill switch (AG601) is always deny: a stop button
 * that only warns stops nothing (I6), and the emergency path patches its one deny constraint.
 */
import { EXEMPT_OBJECT_PATTERN, type Agent, type EnforcementAction, type Fleet } from './fleet/schema';
import { MANAGEABLE_KINDS } from './kinds';

export const KILL_SWITCH_POLICY_ID = 'AG601';
/** Policies that look at objects in agent namespaces only; they cannot be exempted anywhere useful. */
export const AGENT_NAMESPACE_POLICY_IDS: readonly string[] = ['AG701'];
/**
 * The pods an agent writes (AG202) are never exempted: an exempted namespace or workload would let
 * the agent run any image as any ServiceAccount with any Secret there, the escalation I2 forbids.
 * What a target's pods may use is widened in targets[].pods instead, one name at a time.
 */
export const AGENT_PODS_POLICY_ID = 'AG202';
/**
 * The Services and Ingresses an agent writes (AG203) are never exempted either: an exempted
 * namespace or object would let the agent take over traffic to any IP (externalIPs), open its pods to
 * the internet or run configuration in the ingress controller, which reads every Secret. What a
 * target may expose is widened in targets[].exposure instead.
 */
export const AGENT_EXPOSURE_POLICY_ID = 'AG203';

/** Strictest first: where agents of several modes share a namespace, the strictest wins. */
export const ACTION_ORDER: readonly EnforcementAction[] = ['deny', 'warn', 'dryrun'];

export function enforcementAction(fleet: Fleet, agent: Agent, policyId: string): EnforcementAction {
  if (policyId === KILL_SWITCH_POLICY_ID) return 'deny';
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
  const [, kind, namespace, name] = EXEMPT_OBJECT_PATTERN.exec(exempted) ?? [];
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
