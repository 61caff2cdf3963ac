/**
 * Constraint parameters, typed per policy and derived from the fleet. Every map is keyed by the
 * agent's Kubernetes username, so a policy finds the requesting agent with one lookup (the cost of a
 * review does not grow with the fleet). Keys are sorted so output is byte-stable.
 */
import type { Agent, Fleet, Target } from '../lib/fleet/schema';
import { MANAGEABLE_KINDS } from '../lib/kinds';
import { agentUsername } from '../lib/naming';
import { PHASE_PROFILES, type Phase } from '../lib/phases';
import { durationSeconds } from '../lib/duration';
import { canonicalJson } from '../lib/json';

export type ByUsername<T> = Record<string, T>;

export interface DestructiveVerbsParameters {
  /** Per agent: namespace → resources (resource.group) it may delete there. */
  readonly agents: ByUsername<{ readonly deletable: Record<string, string[]> }>;
}
/** AG102 reads the same map as AG101: deletes by proxy are allowed exactly where DELETE is. */
export type DeletionByProxyParameters = DestructiveVerbsParameters;
export interface NoSelfEscalationParameters {
  readonly agents: ByUsername<{ readonly namespace: string }>;
}
export interface AttributionAgent {
  readonly initiators: string[];
  /** claimed: the initiator is what the request says; signed: a delegation token must prove it. */
  readonly mode: 'claimed' | 'signed';
  /** signed mode: names of the issuers trusted for this agent (keys of `issuers`). */
  readonly issuers: string[];
}
export interface DelegationIssuer {
  /** The `iss` claim, exactly. */
  readonly issuer: string;
  readonly audience: string;
  /** The issuer's JWKS as JSON text: the form io.jwt.verify_* takes. */
  readonly keys: string;
  readonly algorithms: string[];
  readonly subjectClaim: string;
}
export interface AttributionParameters {
  readonly agents: ByUsername<AttributionAgent>;
  /** Trusted issuers by name; only those a signed-mode agent names are emitted. */
  readonly issuers: Record<string, DelegationIssuer>;
  readonly maxTtlSeconds: number;
  readonly clockSkewSeconds: number;
}
export interface ReplicaLimitsParameters {
  readonly agents: ByUsername<{ readonly maxReplicas: number }>;
}
export interface NamespaceAllowlist {
  readonly create: string[];
  readonly update: string[];
  readonly delete: string[];
}
export interface TrustPhaseParameters {
  readonly agents: ByUsername<{
    readonly phase: Phase;
    readonly namespaces: Record<string, NamespaceAllowlist>;
  }>;
}
export interface KillSwitchParameters {
  /** Only agents whose switch is engaged. */
  readonly agents: ByUsername<{ readonly engagedBy: string; readonly reason: string }>;
}
export interface HardenedPodsParameters {
  readonly allowTagsFrom: string[];
}

/** What pods an agent writes in one namespace may use: the fleet's targets[].pods, sorted. */
export interface PodAllowance {
  readonly registries: string[];
  readonly serviceAccounts: string[];
  readonly secrets: string[];
  readonly persistentVolumeClaims: string[];
  readonly csiDrivers: string[];
}
export interface AgentPodsParameters {
  readonly allowTagsFrom: string[];
  /**
   * Per agent: its replica cap (which bounds the StatefulSet claims it can make) and, per target
   * namespace, what its pods there may use. Any other namespace: nothing.
   */
  readonly agents: ByUsername<{
    readonly maxReplicas: number;
    readonly namespaces: Record<string, PodAllowance>;
  }>;
}

/** Parameters of every policy, keyed by its rego/ folder. */
export interface PackParameters {
  readonly 'destructive-verbs': DestructiveVerbsParameters;
  readonly 'deletion-by-proxy': DeletionByProxyParameters;
  readonly 'no-self-escalation': NoSelfEscalationParameters;
  readonly attribution: AttributionParameters;
  readonly 'replica-limits': ReplicaLimitsParameters;
  readonly 'trust-phase': TrustPhaseParameters;
  readonly 'kill-switch': KillSwitchParameters;
  readonly 'hardened-pods': HardenedPodsParameters;
  readonly 'agent-pods': AgentPodsParameters;
}

/** A kind as RBAC and admission reviews spell its resource: deployments.apps, configmaps. */
export function resourceKey(kindName: string): string {
  const kind = MANAGEABLE_KINDS[kindName];
  if (!kind) throw new Error(`unknown kind ${kindName}; known: ${Object.keys(MANAGEABLE_KINDS).join(', ')}`);
  return kind.group === '' ? kind.resource : `${kind.resource}.${kind.group}`;
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

function byUsername<T>(agents: readonly Agent[], value: (agent: Agent) => T): ByUsername<T> {
  return Object.fromEntries(
    agents
      .map((agent) => [agentUsername(agent), value(agent)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function byNamespace<T>(targets: readonly Target[], value: (target: Target) => T): Record<string, T> {
  return Object.fromEntries(
    [...targets].sort((a, b) => a.namespace.localeCompare(b.namespace)).map((t) => [t.namespace, value(t)]),
  );
}

/** Deletes only an autonomous agent may hold, and only for kinds the fleet names (I1). */
function deletable(agent: Agent, target: Target): string[] {
  return PHASE_PROFILES[agent.phase].mayDelete ? sorted(target.deleteKinds.map(resourceKey)) : [];
}

function allowlist(agent: Agent, target: Target): NamespaceAllowlist {
  const writes = PHASE_PROFILES[agent.phase].mutations !== 'none';
  const update = target.kinds.flatMap((k) =>
    MANAGEABLE_KINDS[k].scalable ? [resourceKey(k), `${resourceKey(k)}/scale`] : [resourceKey(k)],
  );
  return {
    create: writes && target.create ? sorted(target.kinds.map(resourceKey)) : [],
    update: writes ? sorted(update) : [],
    delete: deletable(agent, target),
  };
}

function podAllowance(target: Target): PodAllowance {
  const { registries, serviceAccounts, secrets, persistentVolumeClaims, csiDrivers } = target.pods;
  return {
    registries: sorted(registries),
    serviceAccounts: sorted(serviceAccounts),
    secrets: sorted(secrets),
    persistentVolumeClaims: sorted(persistentVolumeClaims),
    csiDrivers: sorted(csiDrivers),
  };
}

/** Builds each policy's parameters from the fleet, one builder per rego/ folder. */
const BUILDERS: { readonly [F in keyof PackParameters]: (fleet: Fleet) => PackParameters[F] } = {
  'destructive-verbs': deletesParameters,
  'deletion-by-proxy': deletesParameters,
  'no-self-escalation': (fleet) => ({
    agents: byUsername(fleet.spec.agents, (a) => ({ namespace: a.namespace })),
  }),
  attribution: attributionParameters,
  'replica-limits': (fleet) => ({
    agents: byUsername(fleet.spec.agents, (a) => ({ maxReplicas: a.limits.maxReplicas })),
  }),
  'trust-phase': (fleet) => ({
    agents: byUsername(fleet.spec.agents, (a) => ({
      phase: a.phase,
      namespaces: byNamespace(a.targets, (t) => allowlist(a, t)),
    })),
  }),
  'kill-switch': (fleet) => ({
    agents: byUsername(
      fleet.spec.agents.filter((a) => a.killSwitch.state === 'engaged'),
      (a) => ({ engagedBy: a.killSwitch.engagedBy ?? '', reason: a.killSwitch.reason ?? '' }),
    ),
  }),
  'hardened-pods': (fleet) => ({ allowTagsFrom: [...fleet.spec.imagePolicy.allowTagsFrom] }),
  'agent-pods': (fleet) => ({
    allowTagsFrom: [...fleet.spec.imagePolicy.allowTagsFrom],
    agents: byUsername(fleet.spec.agents, (a) => ({
      maxReplicas: a.limits.maxReplicas,
      namespaces: byNamespace(a.targets, podAllowance),
    })),
  }),
};

function deletesParameters(fleet: Fleet): DestructiveVerbsParameters {
  return {
    agents: byUsername(fleet.spec.agents, (a) => ({
      deletable: byNamespace(
        a.targets.filter((t) => deletable(a, t).length > 0),
        (t) => deletable(a, t),
      ),
    })),
  };
}

/** One policy's parameters; building only the one a constraint needs keeps synth linear in the fleet. */
export function policyParameters<F extends keyof PackParameters>(fleet: Fleet, folder: F): PackParameters[F] {
  const build = BUILDERS[folder] as ((fleet: Fleet) => PackParameters[F]) | undefined;
  if (!build) throw new Error(`no parameter builder for policy folder rego/${String(folder)}`);
  return build(fleet);
}

/** Parameters of every policy. */
export function packParameters(fleet: Fleet): PackParameters {
  return Object.fromEntries(
    (Object.keys(BUILDERS) as Array<keyof PackParameters>).map((folder) => [folder, BUILDERS[folder](fleet)]),
  ) as unknown as PackParameters;
}

/** The issuers a signed-mode agent trusts: those it lists, or every fleet issuer. */
export function agentIssuers(fleet: Fleet, agent: Agent): string[] {
  if (agent.attribution.mode !== 'signed') return [];
  return sorted(agent.attribution.issuers ?? fleet.spec.attribution.issuers.map((i) => i.name));
}

function attributionParameters(fleet: Fleet): AttributionParameters {
  const agents = fleet.spec.agents;
  const used = new Set(agents.flatMap((a) => agentIssuers(fleet, a)));
  const settings = fleet.spec.attribution;
  return {
    agents: byUsername(agents, (a) => ({
      initiators: [...a.attribution.initiators],
      mode: a.attribution.mode,
      issuers: agentIssuers(fleet, a),
    })),
    issuers: Object.fromEntries(
      [...settings.issuers]
        .filter((i) => used.has(i.name))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((i) => [
          i.name,
          {
            issuer: i.issuer,
            audience: i.audience,
            keys: canonicalJson(i.jwks ?? { keys: [] }),
            algorithms: sorted(i.algorithms),
            subjectClaim: i.subjectClaim,
          },
        ]),
    ),
    maxTtlSeconds: durationSeconds(settings.maxTtl),
    clockSkewSeconds: durationSeconds(settings.clockSkew),
  };
}
