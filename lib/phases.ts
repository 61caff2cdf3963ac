/**
 * Trust phases (invariant I5) and what each one allows. Every other part of agentguard reads phase
 * behaviour from here, so the phase logic lives in one place.
 */
import { durationSeconds } from './duration';

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

/** The Vault token lifetimes of an agent: the fleet's ttl/maxTtl when set, else its phase's defaults. */
export interface VaultTtls {
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
}

export function vaultTtls(
  phase: Phase,
  vault: { readonly ttl?: string; readonly maxTtl?: string },
): VaultTtls {
  const profile = PHASE_PROFILES[phase];
  return {
    ttlSeconds: vault.ttl !== undefined ? durationSeconds(vault.ttl) : profile.defaultTtlSeconds,
    maxTtlSeconds: vault.maxTtl !== undefined ? durationSeconds(vault.maxTtl) : profile.defaultMaxTtlSeconds,
  };
}

/**
 * Capabilities the fleet may grant an agent on its own secret paths in a phase. Vault has no dry-run,
 * so shadow and advisory stay read-only; writes need a phase that mutates; delete, one that may delete.
 */
export function vaultCapabilitiesAllowed(phase: Phase): readonly string[] {
  const profile = PHASE_PROFILES[phase];
  return [
    'read',
    'list',
    ...(profile.mutations === 'allowlisted' ? ['create', 'update', 'patch'] : []),
    ...(profile.mayDelete ? ['delete'] : []),
  ];
}
