/**
 * Cross-field rules: what a schema cannot say about one field alone. Each rule reads agents that
 * validated on their own, so a fleet with type errors still gets its cross-field errors reported.
 */
import { formatDuration } from '../duration';
import { cite } from '../invariants';
import { POD_CARRYING_KINDS } from '../kinds';
import { agentUsername } from '../naming';
import { PHASE_PROFILES, vaultTtls } from '../phases';
import { AGENT_NAMESPACE_POLICY_IDS, FIXED_POLICIES } from '../enforcement';
import {
  DIGEST_PATTERN,
  agentMayCreate,
  exemptObjectParts,
  type Agent,
  type Exemption,
  type FleetEnforcement,
} from './schema';
import type { PathSegment, RuleError } from './errors';

/** Kubernetes' TokenRequest minimum (expirationSeconds), which Vault's secrets engine goes through. */
const MIN_KUBERNETES_TOKEN_SECONDS = 600;

/** Namespaces no agent may run in or act in: the control plane and the guardrails' own homes. */
export const RESERVED_NAMESPACES: readonly string[] = [
  'default',
  'gatekeeper-system',
  'kube-node-lease',
  'kube-public',
  'kube-system',
];

/** Vault path prefixes no agent policy may reach (issue tokens, change auth, read the audit trail). */
const RESERVED_VAULT_PREFIXES = ['sys/', 'auth/', 'identity/', 'cubbyhole/'];

export interface FleetContext {
  readonly allowTagsFrom: readonly string[];
  readonly vaultNamespace: string;
  /** Home of the in-cluster kill-switch runners (spec.killSwitch.namespace). */
  readonly killSwitchNamespace: string;
}

/** Rules over the whole fleet: uniqueness and agents reaching into each other. */
export function fleetRules(
  agents: ReadonlyArray<{ index: number; agent: Agent; valid: ReadonlySet<string> }>,
  rawNames: unknown[],
): RuleError[] {
  const errors: RuleError[] = [];
  const firstByName = new Map<string, number>();
  rawNames.forEach((name, index) => {
    if (typeof name !== 'string') return;
    const first = firstByName.get(name);
    if (first === undefined) firstByName.set(name, index);
    else
      errors.push({
        path: ['spec', 'agents', index, 'name'],
        message: `"${name}" is already the name of spec.agents[${first}]; agent names must be unique`,
      });
  });

  const ownerOfNamespace = new Map<string, string>();
  for (const { agent, valid } of agents) {
    if (valid.has('name') && valid.has('namespace') && !ownerOfNamespace.has(agent.namespace)) {
      ownerOfNamespace.set(agent.namespace, agent.name);
    }
  }
  for (const { index, agent, valid } of agents) {
    if (!valid.has('targets')) continue;
    agent.targets.forEach((target, t) => {
      const owner = ownerOfNamespace.get(target.namespace);
      if (owner !== undefined && target.namespace !== agent.namespace) {
        errors.push({
          path: ['spec', 'agents', index, 'targets', t, 'namespace'],
          message: `"${target.namespace}" is the namespace of agent "${owner}"; agents may not act in agent namespaces ${cite('I2')}`,
        });
      }
    });
  }
  return errors;
}

type AgentKey = keyof Agent;

interface AgentRule {
  /** Top-level agent fields the rule reads; it runs only when all of them validated. */
  readonly needs: readonly AgentKey[];
  readonly check: (
    agent: Agent,
    at: (...rest: PathSegment[]) => PathSegment[],
    ctx: FleetContext,
  ) => RuleError[];
}

/**
 * Rules within one agent. `valid` names the agent's fields that validated; a rule whose inputs are
 * not all valid is skipped, so one typo does not hide the agent's other problems.
 */
export function agentRules(
  agent: Agent,
  index: number,
  ctx: FleetContext,
  valid: ReadonlySet<string>,
): RuleError[] {
  const at = (...rest: PathSegment[]): PathSegment[] => ['spec', 'agents', index, ...rest];
  return AGENT_RULES.filter((rule) => rule.needs.every((key) => valid.has(key))).flatMap((rule) =>
    rule.check(agent, at, ctx),
  );
}

function reservedNamespace(namespace: string, ctx: Pick<FleetContext, 'vaultNamespace'>): boolean {
  return RESERVED_NAMESPACES.includes(namespace) || namespace === ctx.vaultNamespace;
}

/** An agent running or acting where the runners live could stop, change or read its own stop button. */
function killSwitchNamespaceError(namespace: string, ctx: FleetContext): string | undefined {
  return namespace === ctx.killSwitchNamespace
    ? `"${namespace}" is the kill-switch runners' namespace (spec.killSwitch.namespace); an agent must not reach its own stop button ${cite('I2')}, so pick another namespace`
    : undefined;
}

const AGENT_RULES: readonly AgentRule[] = [
  {
    needs: ['namespace'],
    check: (agent, at, ctx) =>
      reservedNamespace(agent.namespace, ctx)
        ? [
            {
              path: at('namespace'),
              message: `"${agent.namespace}" is reserved (system, Gatekeeper or Vault); run the agent in a namespace of its own`,
            },
          ]
        : [],
  },
  {
    needs: ['namespace'],
    check: (agent, at, ctx) => {
      const message = killSwitchNamespaceError(agent.namespace, ctx);
      return message ? [{ path: at('namespace'), message }] : [];
    },
  },
  {
    needs: ['image'],
    check: (agent, at, ctx) => {
      if (DIGEST_PATTERN.test(agent.image)) return [];
      const registry = imageRegistry(agent.image);
      if (ctx.allowTagsFrom.includes(registry)) return [];
      return [
        {
          path: at('image'),
          message: `"${agent.image}" is not pinned by digest; pin it (image@sha256:<digest>) or add "${registry}" to spec.imagePolicy.allowTagsFrom`,
        },
      ];
    },
  },
  {
    needs: ['workload'],
    check: ({ workload }, at) => {
      if (workload.kind === 'cronjob' && workload.schedule === undefined) {
        return [{ path: at('workload', 'schedule'), message: 'is required when workload.kind is cronjob' }];
      }
      if (workload.kind !== 'cronjob' && workload.schedule !== undefined) {
        return [
          {
            path: at('workload', 'schedule'),
            message: `is only allowed when workload.kind is cronjob (kind is ${workload.kind}); remove it or set kind: cronjob`,
          },
        ];
      }
      return [];
    },
  },
  {
    needs: ['namespace', 'targets'],
    check: (agent, at, ctx) => {
      const errors: RuleError[] = [];
      const seen = new Map<string, number>();
      agent.targets.forEach((target, t) => {
        const path = at('targets', t, 'namespace');
        if (target.namespace === agent.namespace) {
          errors.push({
            path,
            message: `"${target.namespace}" is the agent's own namespace; an agent may not manage its own guardrails ${cite('I2')}`,
          });
        }
        if (reservedNamespace(target.namespace, ctx)) {
          errors.push({
            path,
            message: `"${target.namespace}" is reserved (system, Gatekeeper or Vault); agents may not act there`,
          });
        }
        const runners = killSwitchNamespaceError(target.namespace, ctx);
        if (runners) errors.push({ path, message: runners });
        const earlier = seen.get(target.namespace);
        if (earlier !== undefined) {
          errors.push({
            path,
            message: `"${target.namespace}" is already listed in targets[${earlier}]; merge the two entries`,
          });
        } else seen.set(target.namespace, t);
      });
      return errors;
    },
  },
  {
    needs: ['phase', 'targets'],
    check: (agent, at) =>
      agent.targets.flatMap((target, t) => [
        ...(target.deleteKinds.length > 0 && !PHASE_PROFILES[agent.phase].mayDelete
          ? [
              {
                path: at('targets', t, 'deleteKinds'),
                message: `only autonomous agents may delete (phase is ${agent.phase}); remove deleteKinds or promote the agent`,
              },
            ]
          : []),
        ...target.deleteKinds.flatMap((kind, k) =>
          target.kinds.includes(kind)
            ? []
            : [
                {
                  path: at('targets', t, 'deleteKinds', k),
                  message: `"${kind}" is not in kinds of this target; list it in kinds too`,
                },
              ],
        ),
      ]),
  },
  {
    // targets[].pods only means something where the agent writes objects that run pods.
    needs: ['targets'],
    check: (agent, at) =>
      agent.targets.flatMap((target, t) => {
        const pods = target.pods;
        const errors: RuleError[] = pods.serviceAccounts.flatMap((name, i) =>
          name === 'default'
            ? [
                {
                  path: at('targets', t, 'pods', 'serviceAccounts', i),
                  message: '"default" is always allowed; list only the other ServiceAccounts pods may use',
                },
              ]
            : [],
        );
        const set = Object.entries(pods).filter(([, values]) => values.length > 0);
        if (set.length > 0 && !target.kinds.some((kind) => POD_CARRYING_KINDS.includes(kind))) {
          errors.push({
            path: at('targets', t, 'pods'),
            message: `has no effect: none of kinds (${target.kinds.join(', ')}) runs pods; remove ${set.map(([key]) => `pods.${key}`).join(', ')} or add a workload kind such as Deployment`,
          });
        }
        return errors;
      }),
  },
  {
    // targets[].exposure only means something where the agent writes Services or Ingresses.
    needs: ['targets'],
    check: (agent, at) =>
      agent.targets.flatMap((target, t): RuleError[] => {
        const e = target.exposure;
        const fields: Array<[kind: string, field: string, set: boolean]> = [
          ['Service', 'serviceTypes', e.serviceTypes.length > 0],
          ['Service', 'loadBalancerSourceRanges', e.loadBalancerSourceRanges.length > 0],
          ['Ingress', 'ingressClasses', e.ingressClasses.length > 0],
          ['Ingress', 'tlsSecrets', e.tlsSecrets.length > 0],
          ['Ingress', 'defaultBackend', e.defaultBackend],
        ];
        return fields
          .filter(([kind, , set]) => set && !target.kinds.includes(kind))
          .map(([kind, field]) => ({
            path: at('targets', t, 'exposure', field),
            message: `has no effect: kinds (${target.kinds.join(', ')}) has no ${kind}; remove exposure.${field} or add ${kind} to kinds`,
          }));
      }),
  },
  {
    // Vault issues an agent with targets its Kubernetes tokens through TokenRequest, which refuses
    // anything shorter than 10 minutes: a shorter TTL would leave the agent unable to act at all.
    needs: ['phase', 'vault', 'targets'],
    check: (agent, at) => {
      if (agent.vault.secrets.length === 0 || agent.targets.length === 0) return [];
      const { ttlSeconds: ttl, maxTtlSeconds: maxTtl } = vaultTtls(agent.phase, agent.vault);
      return (
        [
          ['ttl', ttl],
          ['maxTtl', maxTtl],
        ] as const
      ).flatMap(([key, seconds]) =>
        seconds > 0 && seconds < MIN_KUBERNETES_TOKEN_SECONDS
          ? [
              {
                path: at('vault', key),
                message: `"${formatDuration(seconds)}" is below 10m, the shortest token Kubernetes issues (TokenRequest), so Vault could never issue this agent's Kubernetes credentials; raise it to at least 10m`,
              },
            ]
          : [],
      );
    },
  },
  {
    needs: ['phase', 'vault'],
    check: (agent, at) => {
      const errors: RuleError[] = [];
      const profile = PHASE_PROFILES[agent.phase];
      const { ttlSeconds: ttl, maxTtlSeconds: maxTtl } = vaultTtls(agent.phase, agent.vault);
      if (maxTtl > profile.maxTtlCeilingSeconds) {
        errors.push({
          path: at('vault', 'maxTtl'),
          message: `"${formatDuration(maxTtl)}" is above the ${formatDuration(profile.maxTtlCeilingSeconds)} ceiling of phase ${agent.phase}`,
        });
      }
      if (ttl > maxTtl) {
        errors.push({
          path: at('vault', 'ttl'),
          message: `"${formatDuration(ttl)}" is above maxTtl "${formatDuration(maxTtl)}"; lower ttl or raise maxTtl`,
        });
      }
      for (const [key, seconds] of [
        ['ttl', ttl],
        ['maxTtl', maxTtl],
      ] as const) {
        if (seconds === 0) {
          errors.push({
            path: at('vault', key),
            message: '"0s" is not allowed; Vault would apply its own, longer default',
          });
        }
      }
      return errors;
    },
  },
  {
    needs: ['vault'],
    check: (agent, at) =>
      agent.vault.secrets.flatMap((secret, s) => {
        const errors: RuleError[] = [];
        const path = at('vault', 'secrets', s, 'path');
        const reserved = RESERVED_VAULT_PREFIXES.find(
          (p) => secret.path === p.slice(0, -1) || secret.path.startsWith(p),
        );
        if (reserved) {
          errors.push({
            path,
            message: `"${secret.path}" is under ${reserved}, which no agent may reach; use a path of the agent's own secrets`,
          });
        }
        const star = secret.path.indexOf('*');
        if (star !== -1 && star !== secret.path.length - 1) {
          errors.push({
            path,
            message: `"${secret.path}" has a * before its end; Vault allows * only as the last character`,
          });
        }
        return errors;
      }),
  },
  {
    needs: ['phase', 'attribution'],
    check: (agent, at) =>
      agent.phase !== 'shadow' && agent.attribution.initiators.length === 0
        ? [
            {
              path: at('attribution', 'initiators'),
              message: `must list at least one human identity for phase ${agent.phase} ${cite('I3')}, e.g. "*@example.com"`,
            },
          ]
        : [],
  },
  {
    // An approval names the phase it is for. Without that, an approval left in the file from the last
    // promotion would silently approve the next one too.
    needs: ['phase', 'promotion'],
    check: (agent, at) =>
      agent.promotion !== undefined && agent.promotion.phase !== agent.phase
        ? [
            {
              path: at('promotion', 'phase'),
              message: `approves phase ${agent.promotion.phase} but the agent's phase is ${agent.phase}; an approval is for one phase: to promote to ${agent.phase}, set promotion.phase: ${agent.phase} with the human who approved this promotion; after a demotion, remove promotion`,
            },
          ]
        : [],
  },
  {
    // Only a human may approve a promotion: an agent approving itself (or another agent or a system
    // component approving it) would let promotion happen at machine speed, which I5 exists to stop.
    needs: ['name', 'namespace', 'promotion'],
    check: (agent, at) => {
      const approver = agent.promotion?.approvedBy;
      if (approver === undefined) return [];
      const path = at('promotion', 'approvedBy');
      if (approver === agentUsername(agent)) {
        return [
          {
            path,
            message: `"${approver}" is the agent's own identity; an agent cannot approve its own promotion, name the human who approved it`,
          },
        ];
      }
      if (approver.startsWith('system:')) {
        return [
          {
            path,
            message: `"${approver}" is a Kubernetes service account or system identity, not a human; name the human who approved the promotion`,
          },
        ];
      }
      return [];
    },
  },
  {
    needs: ['killSwitch'],
    check: ({ killSwitch }, at) => {
      if (killSwitch.state !== 'engaged') return [];
      return [
        ...(killSwitch.engagedBy === undefined
          ? [
              {
                path: at('killSwitch', 'engagedBy'),
                message: 'is required when the kill switch is engaged: who engaged it',
              },
            ]
          : []),
        ...(killSwitch.reason === undefined
          ? [
              {
                path: at('killSwitch', 'reason'),
                message: 'is required when the kill switch is engaged: why',
              },
            ]
          : []),
      ];
    },
  },
];

/** The registry part of an image reference; Docker Hub images have none and count as docker.io. */
export function imageRegistry(image: string): string {
  const first = image.split('/')[0];
  const hasRegistry =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? first : 'docker.io';
}

/** What the rollout and exemption rules need to know besides the fleet's own settings. */
export interface SettingsContext {
  /** Policy IDs of the pack (AG101, …), from the policy catalog. */
  readonly policyIds: readonly string[];
  /** Agent namespaces and usernames of the fleet. */
  readonly agents: ReadonlyArray<{ index: number; agent: Agent; valid: ReadonlySet<string> }>;
  readonly killSwitchNamespace: string;
  readonly vaultNamespace: string;
}

const unknownPolicy = (id: string, known: readonly string[]) =>
  `"${id}" is not a policy of the pack; known: ${known.join(', ')}`;

/** spec.enforcement and every agent's enforcement: known policy IDs, and the kill switch never relaxed. */
export function enforcementRules(
  fleetEnforcement: FleetEnforcement | undefined,
  ctx: SettingsContext,
): RuleError[] {
  const errors: RuleError[] = [];
  const checkPolicies = (policies: Record<string, string>, at: PathSegment[]) => {
    for (const [id, action] of Object.entries(policies)) {
      if (!ctx.policyIds.includes(id))
        errors.push({ path: [...at, id], message: unknownPolicy(id, ctx.policyIds) });
      else if (Object.hasOwn(FIXED_POLICIES, id) && action !== 'deny') {
        const fixed = FIXED_POLICIES[id];
        errors.push({
          path: [...at, id],
          message: `"${action}": ${fixed.name} (${id}) is always deny; ${fixed.relaxed} ${cite(fixed.invariant)}`,
        });
      }
    }
  };
  if (fleetEnforcement) checkPolicies(fleetEnforcement.policies, ['spec', 'enforcement', 'policies']);
  for (const { index, agent, valid } of ctx.agents) {
    if (valid.has('enforcement') && agent.enforcement) {
      checkPolicies(agent.enforcement.policies, ['spec', 'agents', index, 'enforcement', 'policies']);
    }
  }
  return errors;
}

/**
 * spec.exemptions: only known policies, never a fixed policy (FIXED_POLICIES: AG201, AG202, AG203, AG601),
 * never AG701 (it applies only in agent namespaces), never a namespace or object in an agent namespace
 * or the runners' namespace, approved by a human.
 */
export function exemptionRules(exemptions: readonly Exemption[], ctx: SettingsContext): RuleError[] {
  const errors: RuleError[] = [];
  const agentNamespaces = new Map<string, string>();
  const agentUsernames = new Set<string>();
  for (const { agent, valid } of ctx.agents) {
    if (valid.has('namespace') && valid.has('name')) {
      if (!agentNamespaces.has(agent.namespace)) agentNamespaces.set(agent.namespace, agent.name);
      agentUsernames.add(agentUsername(agent));
    }
  }
  exemptions.forEach((exemption, e) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['spec', 'exemptions', e, ...rest];
    exemption.policies.forEach((id, p) => {
      if (!ctx.policyIds.includes(id))
        errors.push({ path: at('policies', p), message: unknownPolicy(id, ctx.policyIds) });
      else if (Object.hasOwn(FIXED_POLICIES, id)) {
        const fixed = FIXED_POLICIES[id];
        errors.push({
          path: at('policies', p),
          message: `"${id}" (${fixed.name.replace(/^the /, '')}) cannot be exempted: ${fixed.exempted} ${cite(fixed.invariant)}${fixed.instead ? `; ${fixed.instead}` : ''}`,
        });
      } else if (AGENT_NAMESPACE_POLICY_IDS.includes(id)) {
        errors.push({
          path: at('policies', p),
          message: `"${id}" applies only in agent namespaces, which cannot be exempted; fix the pods instead`,
        });
      }
    });
    const namespaceErrors = (ns: string, path: PathSegment[], what: string): void => {
      const owner = agentNamespaces.get(ns);
      if (owner !== undefined) {
        errors.push({
          path,
          message: `${what} the namespace of agent "${owner}"; agent namespaces are never exempted (their guardrails live there)`,
        });
      }
      if (ns === ctx.killSwitchNamespace) {
        errors.push({
          path,
          message: `${what} the kill-switch runners' namespace (spec.killSwitch.namespace); it is never exempted`,
        });
      } else if (reservedNamespace(ns, ctx)) {
        errors.push({
          path,
          message: `${what} a reserved namespace (system, Gatekeeper or Vault); agents never act there, and its guardrails are never lifted`,
        });
      }
    };
    exemption.namespaces.forEach((ns, n) => namespaceErrors(ns, at('namespaces', n), `"${ns}" is`));
    exemption.objects.forEach((ref, o) => {
      const parts = exemptObjectParts(ref);
      if (parts === undefined) return;
      const { kind, namespace, name } = parts;
      namespaceErrors(namespace, at('objects', o), `"${ref}" is in`);
      // Only an object no agent can make is safe to exempt: otherwise an agent creates it (CREATE
      // is never exempt, but every UPDATE after it is) and acts on it without the policies.
      for (const { agent, valid } of ctx.agents) {
        if (!valid.has('targets')) continue;
        if (agentMayCreate(agent, kind, namespace)) {
          errors.push({
            path: at('objects', o),
            message: `agent "${agent.name}" may create ${kind} objects in ${namespace} (targets[].create), so it could create "${name}" itself and then change it unchecked; exempt only objects no agent may create, or fix the object`,
          });
        }
      }
    });
    const approver = exemption.approvedBy;
    if (approver.startsWith('system:') || agentUsernames.has(approver)) {
      errors.push({
        path: at('approvedBy'),
        message: `"${approver}" is ${agentUsernames.has(approver) ? "an agent's own identity" : 'a Kubernetes service account or system identity'}, not a human; name the human who approved the exemption`,
      });
    }
  });
  return errors;
}
