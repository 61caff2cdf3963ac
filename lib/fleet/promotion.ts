/**
 * Promotion rules (I5): a pure comparison of a validated fleet with the last recorded lock. It reads
 * no files, so library users can run it on any pair, and synth decides what to do with the result.
 *
 * - The phase rises by at most one step per change, and every rise names its approver.
 * - Demotion is always allowed, without approval: making an agent less trusted is never the risk.
 * - An agent the record does not know (or every agent, when there is no record) starts in shadow.
 * - No rise while the kill switch is engaged, nor in the change that releases it: releasing returns
 *   the agent to the phase it had, never higher.
 * - A record of another fleet is an error; agents recorded but gone from the fleet are dropped.
 */
import { PHASE_PROFILES, PHASES, type Phase } from '../phases';
import type { PathSegment, RuleError } from './errors';
import { API_VERSION, type Agent, type Fleet } from './schema';
import { LOCK_KIND, type FleetLock, type LockEntry } from './lock';

const rank = (phase: Phase): number => PHASE_PROFILES[phase].rank;

/** Every promotion problem of the fleet against the record, with fleet paths such as spec.agents[2].phase. */
export function checkPromotions(fleet: Fleet, lock: FleetLock | undefined): RuleError[] {
  if (lock !== undefined && lock.fleet !== fleet.metadata.name) {
    return [
      {
        path: ['metadata', 'name'],
        message: `"${fleet.metadata.name}" is not the fleet "${lock.fleet}" that the promotion lock records; use this fleet's own lock file, or rename the fleet back`,
      },
    ];
  }
  return fleet.spec.agents.flatMap((agent, index) =>
    checkAgent(agent, lock?.agents[agent.name], lock !== undefined, (...rest) => [
      'spec',
      'agents',
      index,
      ...rest,
    ]),
  );
}

function checkAgent(
  agent: Agent,
  recorded: LockEntry | undefined,
  hasLock: boolean,
  at: (...rest: PathSegment[]) => PathSegment[],
): RuleError[] {
  const name = `"${agent.name}"`;
  if (recorded === undefined) {
    if (agent.phase === 'shadow') return [];
    const why = hasLock ? 'is not in the promotion lock (a new agent)' : 'has no promotion lock yet';
    return [
      {
        path: at('phase'),
        message: `agent ${name} ${why} and must start in shadow, not ${agent.phase}; set phase: shadow and promote one phase per change`,
      },
    ];
  }
  const from = recorded.phase;
  const to = agent.phase;
  if (rank(to) <= rank(from)) return [];

  const errors: RuleError[] = [];
  if (agent.killSwitch.state === 'engaged') {
    errors.push({
      path: at('phase'),
      message: `agent ${name} cannot be promoted from ${from} to ${to} while its kill switch is engaged; keep phase: ${from}, release the switch, then promote in a later change`,
    });
  } else if (recorded.killSwitch === 'engaged') {
    errors.push({
      path: at('phase'),
      message: `agent ${name} cannot be promoted from ${from} to ${to} in the change that releases its kill switch; release it at phase ${from} first, then promote in a later change`,
    });
  }
  if (rank(to) - rank(from) > 1) {
    const next = PHASES[rank(from) + 1];
    errors.push({
      path: at('phase'),
      message: `agent ${name} cannot skip from ${from} to ${to}; promote to ${next} first (one phase per change)`,
    });
  }
  if (agent.promotion === undefined) {
    errors.push({
      path: at('promotion', 'approvedBy'),
      message: `is required to promote agent ${name} from ${from} to ${to}; add promotion.approvedBy with the human who approved it`,
    });
  }
  return errors;
}

/**
 * The record after this fleet is accepted: agents sorted by name, those gone from the fleet dropped.
 * approvedBy is kept while the phase stays, taken from the fleet on a rise, and cleared on a demotion
 * (no approval reached that phase).
 */
export function nextLock(fleet: Fleet, lock: FleetLock | undefined): FleetLock {
  const agents: Record<string, LockEntry> = {};
  for (const agent of [...fleet.spec.agents].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const recorded = lock?.agents[agent.name];
    const approvedBy =
      recorded === undefined || rank(agent.phase) < rank(recorded.phase)
        ? undefined
        : rank(agent.phase) === rank(recorded.phase)
          ? recorded.approvedBy
          : agent.promotion?.approvedBy;
    agents[agent.name] = {
      phase: agent.phase,
      ...(approvedBy !== undefined && { approvedBy }),
      ...(agent.killSwitch.state === 'engaged' && { killSwitch: 'engaged' as const }),
    };
  }
  return { apiVersion: API_VERSION, kind: LOCK_KIND, fleet: fleet.metadata.name, agents };
}

/** What would change in the record, one line per agent, for `--frozen-lock` failures. */
export function lockChanges(before: FleetLock | undefined, after: FleetLock): RuleError[] {
  const names = new Set([...Object.keys(before?.agents ?? {}), ...Object.keys(after.agents)]);
  const describe = (entry: LockEntry | undefined): string =>
    entry === undefined
      ? 'absent'
      : [
          entry.phase,
          entry.approvedBy && `approved by ${entry.approvedBy}`,
          entry.killSwitch && 'kill switch engaged',
        ]
          .filter(Boolean)
          .join(', ');
  return [...names].sort().flatMap((name) => {
    const was = describe(before?.agents[name]);
    const will = describe(after.agents[name]);
    return was === will ? [] : [{ path: ['agents', name], message: `would change from ${was} to ${will}` }];
  });
}
