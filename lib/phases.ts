/**
 * Trust phases (invariant I5) and what each one allows. Every other part of agentguard reads phase
 * behaviour from here, so the phase logic lives in one place.
 */
export const PHASES = ['shadow', 'advisory', 'supervised', 'autonomous'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseProfile {
  readonly phase: Phase;
  /** Position in the promotion order; promotion moves one step at a time. */
  readonly rank: number;
  /** Whether the agent may send mutating requests at all (advisory: only as server-side dry-run). */
  readonly mutations: 'none' | 'dry-run-only' | 'allowlisted';
  /** Default Vault token TTL, in seconds, when the fleet sets none. */
  readonly defaultTtlSeconds: number;
  /** Default Vault token max TTL, in seconds, when the fleet sets none. */
  readonly defaultMaxTtlSeconds: number;
  /** The highest max TTL the fleet may ask for in this phase. */
  readonly maxTtlCeilingSeconds: number;
  /** Whether the fleet may grant delete of named kinds (I1 exception). */
  readonly mayDelete: boolean;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

// The seeds issue agent tokens for 1h with a 4h ceiling; earlier phases are kept tighter.
export const PHASE_PROFILES: Readonly<Record<Phase, PhaseProfile>> = Object.freeze({
  shadow: {
    phase: 'shadow',
    rank: 0,
    mutations: 'none',
    defaultTtlSeconds: 15 * MINUTE,
    defaultMaxTtlSeconds: 30 * MINUTE,
    maxTtlCeilingSeconds: HOUR,
    mayDelete: false,
  },
  advisory: {
    phase: 'advisory',
    rank: 1,
    mutations: 'dry-run-only',
    defaultTtlSeconds: 15 * MINUTE,
    defaultMaxTtlSeconds: HOUR,
    maxTtlCeilingSeconds: HOUR,
    mayDelete: false,
  },
  supervised: {
    phase: 'supervised',
    rank: 2,
    mutations: 'allowlisted',
    defaultTtlSeconds: 30 * MINUTE,
    defaultMaxTtlSeconds: 2 * HOUR,
    maxTtlCeilingSeconds: 2 * HOUR,
    mayDelete: false,
  },
  autonomous: {
    phase: 'autonomous',
    rank: 3,
    mutations: 'allowlisted',
    defaultTtlSeconds: HOUR,
    defaultMaxTtlSeconds: 4 * HOUR,
    maxTtlCeilingSeconds: 4 * HOUR,
    mayDelete: true,
  },
});
