/**
 * Promotion rules (I5) against the recorded lock, and the lock file itself. Each case asserts the
 * exact paths and messages, so a rule that stops firing or loses its fix fails here.
 */
import { toFleetErrors } from '../../lib/fleet/errors';
import { parseLock, renderLock, type FleetLock, type LockEntry } from '../../lib/fleet/lock';
import { checkPromotions, lockChanges, nextLock } from '../../lib/fleet/promotion';
import type { Fleet } from '../../lib/fleet/schema';
import { defineFleet, validateFleet } from '../../lib/fleet/validate';
import { mutated, type Loose } from '../support/fleets';

/** The test fleet (reader shadow, writer supervised, batch autonomous) with `mutate` applied. */
function fleet(mutate: (f: Loose) => void = () => undefined): Fleet {
  return defineFleet(mutated(mutate) as Parameters<typeof defineFleet>[0]);
}

function lock(agents: Record<string, LockEntry>, name = 'test-fleet'): FleetLock {
  return { apiVersion: 'agentguard.dev/v1alpha1', kind: 'AgentFleetLock', fleet: name, agents };
}

/** The lock that matches the unmutated test fleet. */
const RECORDED = lock({
  batch: { phase: 'autonomous', approvedBy: 'dana@example.com' },
  reader: { phase: 'shadow' },
  writer: { phase: 'supervised', approvedBy: 'sam@example.com' },
});

function errors(f: Fleet, l: FleetLock | undefined): Array<[string, string]> {
  return toFleetErrors(checkPromotions(f, l)).map((e) => [e.path, e.message]);
}

const approved = (phase: string, by = 'alice@example.com') => ({
  phase,
  approvedBy: by,
  reason: 'behaved well in the lower phase',
});

describe('checkPromotions', () => {
  it('accepts an unchanged fleet', () => {
    expect(errors(fleet(), RECORDED)).toEqual([]);
  });

  it('accepts a one-step promotion that names its approver', () => {
    const f = fleet((x) => {
      x.spec.agents[0].phase = 'advisory';
      x.spec.agents[0].attribution = { initiators: ['*@example.com'] };
      x.spec.agents[0].promotion = approved('advisory');
    });
    expect(errors(f, RECORDED)).toEqual([]);
  });

  it('rejects skipping a phase (shadow to supervised)', () => {
    const f = fleet((x) => {
      x.spec.agents[0].phase = 'supervised';
      x.spec.agents[0].attribution = { initiators: ['*@example.com'] };
      x.spec.agents[0].promotion = approved('supervised');
    });
    expect(errors(f, RECORDED)).toEqual([
      [
        'spec.agents[0].phase',
        'agent "reader" cannot skip from shadow to supervised; promote to advisory first (one phase per change)',
      ],
    ]);
  });

  it('rejects a promotion without promotion.approvedBy', () => {
    const f = fleet((x) => {
      x.spec.agents[0].phase = 'advisory';
      x.spec.agents[0].attribution = { initiators: ['*@example.com'] };
    });
    expect(errors(f, RECORDED)).toEqual([
      [
        'spec.agents[0].promotion.approvedBy',
        'is required to promote agent "reader" from shadow to advisory; add promotion.approvedBy with the human who approved it',
      ],
    ]);
  });

  it('reports a skip without approval as two errors', () => {
    const f = fleet((x) => (x.spec.agents[1].phase = 'supervised'));
    expect(errors(f, lock({ ...RECORDED.agents, writer: { phase: 'shadow' } }))).toEqual([
      [
        'spec.agents[1].phase',
        'agent "writer" cannot skip from shadow to supervised; promote to advisory first (one phase per change)',
      ],
      [
        'spec.agents[1].promotion.approvedBy',
        'is required to promote agent "writer" from shadow to supervised; add promotion.approvedBy with the human who approved it',
      ],
    ]);
  });

  it('requires a new agent to start in shadow', () => {
    const f = fleet((x) =>
      x.spec.agents.push({
        name: 'newcomer',
        namespace: 'agents-new',
        image: x.spec.agents[0].image,
        phase: 'advisory',
        attribution: { initiators: ['*@example.com'] },
        promotion: approved('advisory'),
      }),
    );
    expect(errors(f, RECORDED)).toEqual([
      [
        'spec.agents[3].phase',
        'agent "newcomer" is not in the promotion lock (a new agent) and must start in shadow, not advisory; set phase: shadow and promote one phase per change',
      ],
    ]);
  });

  it('without a lock, accepts an all-shadow fleet and rejects every other phase', () => {
    const allShadow = fleet((x) => {
      for (const a of x.spec.agents) a.phase = 'shadow';
      x.spec.agents[2].targets[0].deleteKinds = [];
    });
    expect(errors(allShadow, undefined)).toEqual([]);
    expect(errors(fleet(), undefined).map(([path]) => path)).toEqual([
      'spec.agents[1].phase',
      'spec.agents[2].phase',
    ]);
    expect(errors(fleet(), undefined)[0][1]).toBe(
      'agent "writer" has no promotion lock yet and must start in shadow, not supervised; set phase: shadow and promote one phase per change',
    );
  });

  it('rejects a promotion while the kill switch is engaged', () => {
    const f = fleet((x) => {
      x.spec.agents[1].phase = 'autonomous';
      x.spec.agents[1].promotion = approved('autonomous');
      x.spec.agents[1].killSwitch = { state: 'engaged', engagedBy: 'bob@example.com', reason: 'incident' };
    });
    expect(errors(f, RECORDED)).toEqual([
      [
        'spec.agents[1].phase',
        'agent "writer" cannot be promoted from supervised to autonomous while its kill switch is engaged; keep phase: supervised, release the switch, then promote in a later change',
      ],
    ]);
  });

  it('rejects a promotion in the change that releases the kill switch, and accepts the release alone', () => {
    const engaged = lock({ ...RECORDED.agents, writer: { phase: 'supervised', killSwitch: 'engaged' } });
    const promoted = fleet((x) => {
      x.spec.agents[1].phase = 'autonomous';
      x.spec.agents[1].promotion = approved('autonomous');
    });
    expect(errors(promoted, engaged)).toEqual([
      [
        'spec.agents[1].phase',
        'agent "writer" cannot be promoted from supervised to autonomous in the change that releases its kill switch; release it at phase supervised first, then promote in a later change',
      ],
    ]);
    expect(errors(fleet(), engaged)).toEqual([]);
  });

  it('allows demotion without approval, also by several phases and while engaged', () => {
    const f = fleet((x) => {
      x.spec.agents[2].phase = 'shadow';
      x.spec.agents[2].targets[0].deleteKinds = [];
      x.spec.agents[1].phase = 'advisory';
      x.spec.agents[1].killSwitch = { state: 'engaged', engagedBy: 'bob@example.com', reason: 'incident' };
    });
    expect(errors(f, RECORDED)).toEqual([]);
  });

  it('rejects a lock recorded for another fleet, and nothing else', () => {
    expect(errors(fleet(), lock(RECORDED.agents, 'other-fleet'))).toEqual([
      [
        'metadata.name',
        '"test-fleet" is not the fleet "other-fleet" that the promotion lock records; use this fleet\'s own lock file, or rename the fleet back',
      ],
    ]);
  });

  it('ignores agents recorded but gone from the fleet', () => {
    const withGone = lock({
      ...RECORDED.agents,
      retired: { phase: 'autonomous', approvedBy: 'x@example.com' },
    });
    expect(errors(fleet(), withGone)).toEqual([]);
    expect(Object.keys(nextLock(fleet(), withGone).agents)).toEqual(['batch', 'reader', 'writer']);
  });
});

describe('an approval is for one phase', () => {
  const phaseErrors = (mutate: (x: Loose) => void) => {
    const result = validateFleet(mutated(mutate));
    return result.ok ? [] : result.errors.map((e) => [e.path, e.message]);
  };

  it('refuses an approval left from the last promotion as the approval of the next one', () => {
    // writer was promoted to supervised; the same block cannot carry it to autonomous.
    const stale = phaseErrors((x) => {
      x.spec.agents[1].promotion = approved('supervised');
      x.spec.agents[1].phase = 'autonomous';
    });
    expect(stale).toEqual([
      [
        'spec.agents[1].promotion.phase',
        "approves phase supervised but the agent's phase is autonomous; an approval is for one phase: to promote to autonomous, set promotion.phase: autonomous with the human who approved this promotion; after a demotion, remove promotion",
      ],
    ]);
  });

  it('refuses it after a demotion too, so a later rise back needs a fresh approval', () => {
    const demoted = phaseErrors((x) => {
      x.spec.agents[1].promotion = approved('supervised');
      x.spec.agents[1].phase = 'advisory';
    });
    expect(demoted.map(([path]) => path)).toEqual(['spec.agents[1].promotion.phase']);
    expect(phaseErrors((x) => (x.spec.agents[1].phase = 'advisory'))).toEqual([]);
  });

  it('requires the phase in every approval', () => {
    const missing = phaseErrors((x) => (x.spec.agents[1].promotion = { approvedBy: 'alice@example.com' }));
    expect(missing.map(([path]) => path)).toEqual(['spec.agents[1].promotion.phase']);
  });
});

describe('who may approve', () => {
  const approverErrors = (approvedBy: string) => {
    const result = validateFleet(
      mutated((x) => (x.spec.agents[1].promotion = { phase: 'supervised', approvedBy })),
    );
    return result.ok ? [] : result.errors.map((e) => [e.path, e.message]);
  };

  it('accepts a human', () => {
    expect(approverErrors('alice@example.com')).toEqual([]);
  });

  it("rejects the agent's own service account", () => {
    expect(approverErrors('system:serviceaccount:agents-writer:writer')).toEqual([
      [
        'spec.agents[1].promotion.approvedBy',
        '"system:serviceaccount:agents-writer:writer" is the agent\'s own identity; an agent cannot approve its own promotion, name the human who approved it',
      ],
    ]);
  });

  it('rejects any other service account or system identity', () => {
    expect(approverErrors('system:serviceaccount:agents-reader:reader')).toEqual([
      [
        'spec.agents[1].promotion.approvedBy',
        '"system:serviceaccount:agents-reader:reader" is a Kubernetes service account or system identity, not a human; name the human who approved the promotion',
      ],
    ]);
    expect(approverErrors('system:admin')[0][0]).toBe('spec.agents[1].promotion.approvedBy');
  });

  it('rejects a wildcard: one person approves', () => {
    expect(approverErrors('*@example.com')).toEqual([
      [
        'spec.agents[1].promotion.approvedBy',
        '"*@example.com" must be one username such as alice@example.com, without wildcards',
      ],
    ]);
  });
});

describe('nextLock', () => {
  it('records the approver of a rise, keeps it while the phase stays, clears it on demotion', () => {
    const start = lock({
      batch: { phase: 'autonomous', approvedBy: 'dana@example.com' },
      reader: { phase: 'shadow' },
      writer: { phase: 'advisory', approvedBy: 'sam@example.com' },
    });
    const f = fleet((x) => {
      x.spec.agents[0].promotion = approved('shadow', 'ignored@example.com'); // unchanged phase: not a promotion
      x.spec.agents[1].promotion = approved('supervised', 'carol@example.com');
      x.spec.agents[2].phase = 'supervised';
      x.spec.agents[2].targets[0].deleteKinds = [];
      x.spec.agents[2].killSwitch = { state: 'engaged', engagedBy: 'bob@example.com', reason: 'incident' };
    });
    expect(nextLock(f, start).agents).toEqual({
      batch: { phase: 'supervised', killSwitch: 'engaged' },
      reader: { phase: 'shadow' },
      writer: { phase: 'supervised', approvedBy: 'carol@example.com' },
    });
  });

  it('renders sorted, without timestamps, and parses back to the same record', () => {
    const text = renderLock(nextLock(fleet(), RECORDED));
    expect(text).toBe(
      '# Generated by agentguard synth: the trust phase each agent last reached and who approved it (I5).\n' +
        '# Commit it with the fleet; review changes to it like code. See "Trust-phase promotion" in the README.\n' +
        'apiVersion: agentguard.dev/v1alpha1\nkind: AgentFleetLock\nfleet: test-fleet\nagents:\n' +
        '  batch:\n    phase: autonomous\n    approvedBy: dana@example.com\n' +
        '  reader:\n    phase: shadow\n' +
        '  writer:\n    phase: supervised\n    approvedBy: sam@example.com\n',
    );
    expect(parseLock(text, 'x.lock.yaml')).toEqual(RECORDED);
  });

  it('lockChanges names each agent whose record would change', () => {
    const f = fleet((x) => (x.spec.agents[1].phase = 'advisory'));
    expect(toFleetErrors(lockChanges(RECORDED, nextLock(f, RECORDED)))).toEqual([
      {
        path: 'agents.writer',
        message: 'would change from supervised, approved by sam@example.com to advisory',
      },
    ]);
  });
});

describe('parseLock', () => {
  const HEAD = 'apiVersion: agentguard.dev/v1alpha1\nkind: AgentFleetLock\nfleet: test-fleet\nagents:\n';
  const failure = (text: string): string => {
    try {
      parseLock(text, 'f.lock.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('parseLock accepted the lock');
  };

  it('reports bad YAML with its position', () => {
    expect(failure(`${HEAD}  reader: {phase: shadow\n`)).toMatch(
      /^f\.lock\.yaml is not valid YAML \(1 error\):\n {2}f\.lock\.yaml:6:1: \(yaml\): /,
    );
  });

  it('reports an unknown key with a hint and its position', () => {
    expect(failure(`${HEAD}  reader:\n    phase: shadow\n    aprovedBy: alice@example.com\n`)).toBe(
      'f.lock.yaml is invalid (1 error):\n' +
        '  f.lock.yaml:7:5: agents.reader.aprovedBy: unknown key; did you mean "approvedBy"?',
    );
  });

  it('reports a wrong kind and an unknown phase together', () => {
    const text = HEAD.replace('AgentFleetLock', 'AgentFleet') + '  reader:\n    phase: supervized\n';
    expect(failure(text)).toBe(
      'f.lock.yaml is invalid (2 errors):\n' +
        '  f.lock.yaml:2:1: kind: "AgentFleet" must be "AgentFleetLock"\n' +
        '  f.lock.yaml:6:5: agents.reader.phase: "supervized" is not one of shadow, advisory, supervised, autonomous',
    );
  });

  it('rejects an agent recorded twice', () => {
    expect(failure(`${HEAD}  reader:\n    phase: shadow\n  reader:\n    phase: autonomous\n`)).toContain(
      'f.lock.yaml:7:3: (yaml): Map keys must be unique',
    );
  });
});
