/**
 * Several fleets in one cluster, staged rollout and exemptions (issue 14): two fleets synthesized side
 * by side share no object name except the ConstraintTemplates (byte-identical), and every agent of each
 * is still under every policy, evaluated in WASM over the union of both fleets' constraints; every
 * agent is under exactly one constraint per policy whatever modes a fleet sets; exemptions reach the
 * constraints and cannot reach agent namespaces or the kill switch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { enforcementAction, FIXED_POLICIES } from '../../lib/enforcement';
import { fleetCollisions } from '../../lib/fleet/collisions';
import type { Fleet, FleetInput } from '../../lib/fleet/schema';
import { defineFleet, validateFleet } from '../../lib/fleet/validate';
import { agentUsername } from '../../lib/naming';
import { policyCatalog } from '../../policies/catalog';
import { appliedConstraints, constraintMatches, type AppliedConstraint } from '../../policies/match';
import { PolicyConstraints } from '../../policies/policy-pack';
import { committedModules, PackEvaluator } from '../../policies/wasm';
import { renderFleet } from '../../synth/render';
import { renderReport } from '../../synth/report/markdown';
import { fleetReach } from '../../synth/report/reach';
import { agentguard } from '../support/cli';
import { DIGEST, mutated, validFleet, type Loose } from '../support/fleets';
import { KINDS, request } from '../support/reviews';

const teamA = (): FleetInput => ({ ...validFleet(), metadata: { name: 'team-a' } });

const teamB = (): FleetInput => ({
  apiVersion: 'agentguard.dev/v1alpha1',
  kind: 'AgentFleet',
  metadata: { name: 'team-b' },
  spec: {
    enforcement: { policies: { AG401: 'warn' }, until: '2026-09-01', reason: 'replica caps are new' },
    exemptions: [
      {
        policies: ['AG301'],
        namespaces: ['sandbox'],
        reason: 'experiments',
        approvedBy: 'alice@example.com',
      },
    ],
    agents: [
      {
        name: 'newbie',
        namespace: 'agents-newbie',
        image: `registry.example.com/agents/newbie@${DIGEST}`,
        phase: 'supervised',
        targets: [{ namespace: 'shop', kinds: ['ConfigMap'] }],
        attribution: { initiators: ['*@example.com'] },
        enforcement: {
          action: 'dryrun',
          policies: { AG501: 'warn' },
          until: '2026-08-01',
          reason: 'onboarding',
        },
      },
      {
        name: 'stopped',
        namespace: 'agents-stopped',
        image: `registry.example.com/agents/stopped@${DIGEST}`,
        killSwitch: { state: 'engaged', engagedBy: 'bob@example.com', reason: 'leak' },
      },
    ],
  },
});

/** Every agent in shadow: a fleet synth accepts without a promotion lock. */
function shadowed(input: FleetInput): FleetInput {
  const copy: Loose = structuredClone(input);
  for (const agent of copy.spec.agents) {
    agent.phase = 'shadow';
    for (const t of agent.targets ?? []) delete t.deleteKinds;
  }
  return copy;
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

function objects(fleet: Fleet): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of renderFleet(fleet)) {
    if (!file.endsWith('.yaml') || file.endsWith('kustomization.yaml') || file.startsWith('audit/')) continue;
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as K8sObject;
      const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      expect(out.has(key)).toBe(false);
      out.set(key, stringify(o));
    }
  }
  return out;
}

const constraintsOf = (fleet: Fleet): AppliedConstraint[] =>
  appliedConstraints(new PolicyConstraints(new App(), 'c', { fleet }));

/** Every policy ID of the pack, as the loader lists them. */
const KNOWN = policyCatalog()
  .map((p) => p.id)
  .join(', ');

const VIOLATED = ['AG101', 'AG201', 'AG301', 'AG401', 'AG501', 'AG601', 'AG701'];

/** A request by `user` that the policy `id` denies (for AG601 only when the agent is engaged). */
function violating(id: string, user: string, agentNamespace: string): Record<string, unknown> {
  const ns = 'elsewhere';
  switch (id) {
    case 'AG101':
      return request({ operation: 'DELETE', user, kind: KINDS.configMap, namespace: ns, name: 'x' });
    case 'AG201':
      return request({
        operation: 'CREATE',
        user,
        kind: KINDS.role,
        namespace: ns,
        name: 'x',
        object: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'x', namespace: ns },
        },
      });
    case 'AG401':
      return request({
        operation: 'CREATE',
        user,
        kind: KINDS.deployment,
        namespace: ns,
        name: 'x',
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'x', namespace: ns },
          spec: { replicas: 1000 },
        },
      });
    case 'AG701':
      return request({
        operation: 'CREATE',
        user,
        kind: KINDS.pod,
        namespace: agentNamespace,
        name: 'x',
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'x', namespace: agentNamespace },
          spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }] },
        },
      });
    default: // AG301, AG501, AG601: any unattributed write the phase does not allow
      return request({
        operation: 'CREATE',
        user,
        kind: KINDS.configMap,
        namespace: ns,
        name: 'x',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: ns } },
      });
  }
}

describe('two fleets in one cluster', () => {
  const a = defineFleet(teamA());
  const b = defineFleet(teamB());

  it('share no object name but the ConstraintTemplates, which are byte-identical', () => {
    const ours = objects(a);
    const theirs = objects(b);
    const shared = [...ours.keys()].filter((k) => theirs.has(k));
    expect(shared.length).toBe(policyCatalog().length);
    for (const key of shared) {
      expect(key).toMatch(/^templates\.gatekeeper\.sh\/v1\/ConstraintTemplate\/\//);
      expect(theirs.get(key)).toBe(ours.get(key));
    }
  });

  it('a fixed constraint name would collide: the names carry the fleet', () => {
    const names = (f: Fleet) => constraintsOf(f).map((c) => `${c.policy.kind}/${c.name}`);
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
    expect(names(a)).toContain('AgentGuardKillSwitch/agentguard-team-a-kill-switch');
  });

  it('every agent of each fleet is still under every policy (WASM, union of both fleets’ constraints)', async () => {
    const evaluator = new PackEvaluator(committedModules);
    const all = [...constraintsOf(a), ...constraintsOf(b)];
    for (const fleet of [a, b]) {
      for (const agent of fleet.spec.agents) {
        const user = agentUsername(agent);
        // The policies a request below violates; a policy added later is covered by the
        // one-constraint-per-agent property test until it gets a request here.
        for (const policy of policyCatalog().filter((p) => VIOLATED.includes(p.id))) {
          if (policy.id === 'AG601' && agent.killSwitch.state !== 'engaged') continue;
          const review = violating(policy.id, user, agent.namespace);
          const found: string[] = [];
          for (const c of all.filter((x) => x.policy.id === policy.id)) {
            if (!constraintMatches(c.match, review)) continue;
            const violations = await evaluator.evaluate(policy.folder, review, c.parameters);
            if (violations.length > 0) found.push(`${c.name} ${c.enforcementAction}`);
          }
          // Exactly one constraint finds it, in the agent's own mode.
          const mode = enforcementAction(fleet, agent, policy.id);
          expect([agent.name, policy.id, found]).toEqual([
            agent.name,
            policy.id,
            [expect.stringMatching(new RegExp(`^agentguard-${fleet.metadata.name}-.* ${mode}$`))],
          ]);
        }
      }
    }
  });

  it('synth --also refuses fleets that claim the same agent namespace or agent name; each error names both', () => {
    const clash = defineFleet({
      ...teamB(),
      metadata: { name: 'team-c' },
      spec: {
        ...teamB().spec,
        agents: [
          {
            ...(teamB().spec.agents[0] as Loose),
            namespace: 'agents-writer',
            targets: [{ namespace: 'agents-batch', kinds: ['ConfigMap'] }],
          },
        ],
      },
    });
    const errors = fleetCollisions({ file: 'c.yaml', fleet: clash }, [{ file: 'a.yaml', fleet: a }]);
    expect(errors.map((e) => e.path.join('.'))).toEqual([
      'spec.agents.0.namespace',
      'spec.agents.0.targets.0.namespace',
    ]);
    expect(fleetCollisions({ file: 'b.yaml', fleet: b }, [{ file: 'a.yaml', fleet: a }])).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), 'agentguard-fleets-'));
    writeFileSync(join(dir, 'a.yaml'), stringify(shadowed(teamA())));
    writeFileSync(join(dir, 'c.yaml'), stringify({ ...shadowed(teamA()), metadata: { name: 'team-c' } }));
    const run = agentguard([
      'synth',
      '--fleet',
      join(dir, 'a.yaml'),
      '--out',
      join(dir, 'out'),
      '--also',
      join(dir, 'c.yaml'),
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('collides with other fleets of the cluster (--also)');
    expect(run.stderr).toContain(
      `spec.agents[0].namespace: "agents-reader" is also the namespace of agent "reader" of fleet "team-c" (${join(dir, 'c.yaml')})`,
    );
    const ok = agentguard([
      'synth',
      '--fleet',
      join(dir, 'a.yaml'),
      '--out',
      join(dir, 'out'),
      '--also',
      join(dir, 'a.yaml'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });
});

describe('staged rollout', () => {
  const modes = fc.constantFrom('deny', 'warn', 'dryrun');
  const ids = policyCatalog()
    .map((p) => p.id)
    .filter((id) => !Object.hasOwn(FIXED_POLICIES, id));

  it('every agent is under exactly one constraint per policy, in its own mode, for any modes', () => {
    fc.assert(
      fc.property(
        modes,
        fc.dictionary(fc.constantFrom(...ids), modes),
        fc.array(
          fc.option(
            fc.record({
              action: fc.option(modes, { nil: undefined }),
              policies: fc.dictionary(fc.constantFrom(...ids), modes),
            }),
            { nil: undefined },
          ),
          { minLength: 3, maxLength: 3 },
        ),
        fc.boolean(),
        (action, policies, perAgent, shareNamespace) => {
          const input = mutated((f) => {
            f.spec.enforcement = { action, policies };
            perAgent.forEach((e, i) => {
              if (e)
                f.spec.agents[i].enforcement = {
                  ...e,
                  ...(e.action ? {} : { action: undefined }),
                  until: '2026-08-01',
                  reason: 'new',
                };
              if (e && e.action === undefined) delete f.spec.agents[i].enforcement.action;
            });
            // Two agents in one namespace: hardened pods takes the strictest of their modes.
            if (shareNamespace) f.spec.agents[2].namespace = f.spec.agents[1].namespace;
          });
          const result = validateFleet(input);
          if (!result.ok) throw new Error(JSON.stringify(result.errors));
          const fleet = result.fleet;
          const constraints = constraintsOf(fleet);
          for (const policy of policyCatalog()) {
            const mine = constraints.filter((c) => c.policy.id === policy.id);
            expect(new Set(mine.map((c) => c.enforcementAction)).size).toBe(mine.length);
            for (const agent of fleet.spec.agents) {
              const user = agentUsername(agent);
              const holding = mine.filter((c) =>
                policy.folder === 'hardened-pods'
                  ? (c.match.namespaces ?? []).includes(agent.namespace)
                  : policy.id === 'AG601'
                    ? true // holds only engaged agents; every one of them, whatever its mode
                    : user in ((c.parameters as { agents: object }).agents ?? {}),
              );
              expect(holding).toHaveLength(1);
              const expected =
                policy.folder === 'hardened-pods'
                  ? ['deny', 'warn', 'dryrun'].find((m) =>
                      fleet.spec.agents.some(
                        (x) =>
                          x.namespace === agent.namespace && enforcementAction(fleet, x, policy.id) === m,
                      ),
                    )
                  : enforcementAction(fleet, agent, policy.id);
              expect(holding[0].enforcementAction).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the kill switch and the escalation guards are always one deny constraint, even when the fleet runs everything in dryrun', () => {
    const fleet = defineFleet(mutated((f) => (f.spec.enforcement = { action: 'dryrun' })) as FleetInput);
    const fixed = constraintsOf(fleet).filter((c) => Object.hasOwn(FIXED_POLICIES, c.policy.id));
    expect(fixed.map((c) => [c.name, c.enforcementAction])).toEqual([
      ['agentguard-test-fleet-no-self-escalation', 'deny'],
      ['agentguard-test-fleet-agent-pods', 'deny'],
      ['agentguard-test-fleet-kill-switch', 'deny'],
    ]);
    // The other policies hold every agent in dryrun; their deny constraints stay, empty.
    for (const c of constraintsOf(fleet).filter((x) => !Object.hasOwn(FIXED_POLICIES, x.policy.id))) {
      const held =
        c.policy.folder === 'hardened-pods'
          ? c.match.namespaces
          : Object.keys((c.parameters as { agents: object }).agents);
      expect([c.name, c.enforcementAction === 'dryrun' || held?.length === 0]).toEqual([c.name, true]);
    }
  });

  it('check lists warn and dryrun findings apart and exits 0 for them; deny still exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-rollout-'));
    const manifest = join(dir, 'cm.yaml');
    writeFileSync(
      manifest,
      stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } }),
    );
    const fleetWith = (agentEnforcement: unknown) => {
      const file = join(dir, `f-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, stringify(mutated((f) => (f.spec.agents[1].enforcement = agentEnforcement))));
      return file;
    };
    const relaxed = agentguard([
      'check',
      '--fleet',
      fleetWith({ action: 'warn', policies: { AG501: 'dryrun' }, until: '2026-08-01', reason: 'new' }),
      '--as',
      'writer',
      manifest,
    ]);
    expect(relaxed.stdout).toMatch(/warn: {3}\[AG301\] agent writer/);
    expect(relaxed.stdout).not.toMatch(/^\s+dryrun: \[AG301\]/m);
    expect(relaxed.stdout).toContain('1 reviewed: 1 allowed, 0 denied (0 violations, 2 warnings');
    expect(relaxed.status).toBe(0);
    const strict = agentguard([
      'check',
      '--fleet',
      fleetWith({ action: 'deny', until: '2026-08-01', reason: 'new' }),
      '--as',
      'writer',
      manifest,
    ]);
    expect(strict.stdout).toContain('[AG301] agent writer');
    expect(strict.status).toBe(1);
  });

  it('synth --today refuses a relaxation past its date; without --today the clock is never read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-today-'));
    const file = join(dir, 'fleet.yaml');
    const input: Loose = shadowed(validFleet());
    input.spec.agents[0].enforcement = { action: 'warn', until: '2026-08-01', reason: 'new' };
    writeFileSync(file, stringify(input));
    const out = join(dir, 'out');
    const late = agentguard(['synth', '--fleet', file, '--out', out, '--today', '2026-08-02']);
    expect(late.status).toBe(1);
    expect(late.stderr).toContain(
      'spec.agents[0].enforcement.until: "2026-08-01" has passed (today is 2026-08-02)',
    );
    expect(agentguard(['synth', '--fleet', file, '--out', out, '--today', '2026-08-01']).status).toBe(0);
    expect(agentguard(['synth', '--fleet', file, '--out', out]).status).toBe(0);
    expect(agentguard(['synth', '--fleet', file, '--out', out, '--today', 'tomorrow']).status).toBe(2);
  });
});

describe('report', () => {
  it('shows each agent’s relaxed modes with until and reason, marks relaxed rows, and lists exemptions', () => {
    const b = defineFleet(teamB());
    const markdown = renderReport(b.metadata.name, fleetReach(b), b.spec.exemptions);
    expect(markdown).toContain('| AG301 | sandbox | — | experiments | alice@example.com |');
    // Every policy but the always-deny ones (AG201, AG202, AG601), AG501 warned, the rest in dryrun.
    const relaxed = policyCatalog()
      .filter((p) => !Object.hasOwn(FIXED_POLICIES, p.id))
      .map((p) => `${p.id} ${p.id === 'AG501' ? 'warn' : 'dryrun'} until 2026-08-01`);
    expect(markdown).toContain(`| enforcement (not deny) | ${relaxed.join(', ')} (onboarding) |`);
    expect(markdown).toMatch(/\| AG501 \| Trust phase \| WARN ONLY \(not denied\): /);
    expect(markdown).toMatch(
      /\| AG301 \| Attribution \| DRYRUN ONLY \(audit, not denied\): .*; not in exempted namespaces sandbox \|/,
    );
    // The engaged agent: AG401 in warn from the fleet, its kill switch in deny whatever the fleet says.
    expect(markdown).toContain(
      '| enforcement (not deny) | AG401 warn until 2026-09-01 (replica caps are new) |',
    );
    expect(markdown).toMatch(
      /\| AG601 \| Kill switch \| every request denied: engaged by bob@example.com \(leak\)/,
    );
  });
});

describe('exemptions', () => {
  it('go into match.excludedNamespaces of every constraint of the policy, and nowhere else', () => {
    const b = defineFleet(teamB());
    for (const c of constraintsOf(b)) {
      expect([c.policy.id, c.match.excludedNamespaces]).toEqual([
        c.policy.id,
        c.policy.id === 'AG301' ? ['sandbox'] : undefined,
      ]);
    }
  });

  it.each([
    [
      'an agent namespace',
      { policies: ['AG301'], namespaces: ['agents-writer'] },
      'spec.exemptions[0].namespaces[0]',
      '"agents-writer" is the namespace of agent "writer"; agent namespaces are never exempted (their guardrails live there)',
    ],
    [
      'the kill switch',
      { policies: ['AG601'], namespaces: ['legacy'] },
      'spec.exemptions[0].policies[0]',
      '"AG601" (kill switch) cannot be exempted: an engaged agent must be denied in every namespace, or it keeps acting where it is exempt (I6, see docs/design.md#i6)',
    ],
    [
      'the runners’ namespace',
      { policies: ['AG101'], namespaces: ['agentguard-system'] },
      'spec.exemptions[0].namespaces[0]',
      `"agentguard-system" is the kill-switch runners' namespace (spec.killSwitch.namespace); it is never exempted`,
    ],
    [
      'an unknown policy',
      { policies: ['AG999'], namespaces: ['legacy'] },
      'spec.exemptions[0].policies[0]',
      `"AG999" is not a policy of the pack; known: ${KNOWN}`,
    ],
    [
      'an agent as approver',
      {
        policies: ['AG301'],
        namespaces: ['legacy'],
        approvedBy: 'system:serviceaccount:agents-writer:writer',
      },
      'spec.exemptions[0].approvedBy',
      `"system:serviceaccount:agents-writer:writer" is an agent's own identity, not a human; name the human who approved the exemption`,
    ],
  ])('refuses %s', (_what, exemption, path, message) => {
    const result = validateFleet(
      mutated(
        (f) => (f.spec.exemptions = [{ reason: 'because', approvedBy: 'alice@example.com', ...exemption }]),
      ),
    );
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([[path, message]]);
  });

  it('needs a reason and a human approver', () => {
    const result = validateFleet(
      mutated((f) => (f.spec.exemptions = [{ policies: ['AG301'], namespaces: ['legacy'] }])),
    );
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      'spec.exemptions[0].reason',
      'spec.exemptions[0].approvedBy',
    ]);
  });

  it.each([
    [
      'a mode typo',
      (f: Loose) => (f.spec.enforcement = { action: 'wran' }),
      'spec.enforcement.action',
      '"wran" is not one of deny, warn, dryrun',
    ],
    [
      'a policy typo',
      (f: Loose) => (f.spec.enforcement = { policies: { AG31: 'warn' } }),
      'spec.enforcement.policies.AG31',
      `"AG31" is not a policy of the pack; known: ${KNOWN}`,
    ],
    [
      'a relaxed kill switch',
      (f: Loose) =>
        (f.spec.agents[0].enforcement = { policies: { AG601: 'warn' }, until: '2026-08-01', reason: 'x' }),
      'spec.agents[0].enforcement.policies.AG601',
      '"warn": the kill switch (AG601) is always deny; a stop button that only warns stops nothing (I6, see docs/design.md#i6)',
    ],
    [
      'a per-agent mode without until',
      (f: Loose) => (f.spec.agents[0].enforcement = { action: 'warn', reason: 'x' }),
      'spec.agents[0].enforcement.until',
      'is required (a string)',
    ],
    [
      'a credential in the backend',
      (f: Loose) => (f.spec.vault = { backend: { s3: { bucket: 'b', secret_key: 'k' } } }),
      'spec.vault.backend.s3.secret_key',
      'is a credential and synth output is committed; pass it through the environment or `tofu init -backend-config` instead',
    ],
    [
      'two backends',
      (f: Loose) => (f.spec.vault = { backend: { local: { path: 's' }, gcs: { bucket: 'b' } } }),
      'spec.vault.backend',
      'must set exactly one of local, s3, gcs, http, pg, kubernetes',
    ],
  ])('refuses %s with a path-naming error', (_what, mutate, path, message) => {
    const result = validateFleet(mutated(mutate));
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.message])).toEqual([[path, message]]);
  });
});
