/**
 * I6 through GitOps: engaging an agent's kill switch in the fleet and synthesizing again changes
 * exactly the layers that stop the agent, and nothing else. Releasing it is the exact inverse and
 * returns the agent to the phase it had.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { parseLock } from '../../lib/fleet/lock';
import { checkPromotions, nextLock } from '../../lib/fleet/promotion';
import { validateFleet } from '../../lib/fleet/validate';
import type { Fleet } from '../../lib/fleet/schema';
import { agentUsername } from '../../lib/naming';
import { selectorMatches } from '../../lib/selectors';
import { PolicyConstraints } from '../../policies/policy-pack';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { renderFleet } from '../../synth/render';
import { REPO_ROOT } from '../../tools/toolchain';
import type { Loose } from '../support/fleets';
import { hasAllowances, ofKind, podTemplates, synthObjects } from '../support/manifests';
import { KINDS, request } from '../support/reviews';
import { outputDiff } from '../support/output-diff';

const exampleFile = join(REPO_ROOT, 'examples', 'fleet.yaml');
const raw: Loose = parse(readFileSync(exampleFile, 'utf8'));
const recorded = parseLock(readFileSync(join(REPO_ROOT, 'examples', 'fleet.lock.yaml'), 'utf8'), 'lock');

function fleetWith(change: (agents: Record<string, Loose>) => void): Fleet {
  const copy: Loose = structuredClone(raw);
  change(Object.fromEntries(copy.spec.agents.map((a: Loose) => [a.name, a])));
  const result = validateFleet(copy);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.fleet;
}

const ENGAGED = { state: 'engaged', engagedBy: 'oncall@shop.example', reason: 'deleted a ConfigMap' };
const before = fleetWith(() => undefined);
// A Deployment agent with Vault and targets, and a CronJob agent: every workload kind but Job, which
// the release case below covers.
const engaged = fleetWith((a) => {
  a['release-bot'].killSwitch = ENGAGED;
  a['batch-scaler'].killSwitch = ENGAGED;
});
const released = fleetWith((a) => (a['capacity-report'].killSwitch = { state: 'armed' }));

const killSwitchParams = (fleet: Fleet) =>
  new PolicyConstraints(new App(), 'pack', { fleet }).parameters['kill-switch'];

describe('engaging the kill switch in the fleet', () => {
  it('changes exactly: replicas or suspend, pod labels, RoleBindings, the AG601 constraint, the Vault roles', () => {
    const entry = JSON.stringify({ engagedBy: ENGAGED.engagedBy, reason: ENGAGED.reason });
    expect(outputDiff(renderFleet(before), renderFleet(engaged))).toEqual([
      `~ AgentGuardKillSwitch agentguard-shop-platform-kill-switch /spec/parameters/agents/system:serviceaccount:agents-batch:batch-scaler: ${entry} added`,
      `~ AgentGuardKillSwitch agentguard-shop-platform-kill-switch /spec/parameters/agents/system:serviceaccount:agents-release:release-bot: ${entry} added`,
      '~ CronJob agents-batch/batch-scaler /spec/jobTemplate/spec/template/metadata/labels/agentguard.dev~1kill-switch: "armed" → "engaged"',
      '~ CronJob agents-batch/batch-scaler /spec/suspend: false → true',
      '~ Deployment agents-release/release-bot /spec/replicas: 1 → 0',
      '~ Deployment agents-release/release-bot /spec/template/metadata/labels/agentguard.dev~1kill-switch: "armed" → "engaged"',
      '- RoleBinding batch/agentguard-batch-scaler',
      '- RoleBinding shop/agentguard-release-bot',
      '- vault_kubernetes_auth_backend_role.agent_batch-scaler_auth_role',
      '- vault_kubernetes_auth_backend_role.agent_release-bot_auth_role',
      '- vault_kubernetes_secret_backend_role.agent_batch-scaler_secrets_role',
      '- vault_kubernetes_secret_backend_role.agent_release-bot_secrets_role',
    ]);
  });

  it.each(['release-bot', 'batch-scaler'])(
    'takes the pods of %s out of every allow NetworkPolicy',
    (name) => {
      const agent = engaged.spec.agents.find((a) => a.name === name)!;
      for (const [fleet, selectedBefore] of [
        [before, true],
        [engaged, false],
      ] as const) {
        const objects = synthObjects(fleet);
        const policies = ofKind(objects, 'NetworkPolicy', agent.namespace);
        const allows = policies.filter(hasAllowances);
        const denies = policies.filter((p) => !hasAllowances(p));
        expect(allows.length).toBeGreaterThan(0);
        expect(denies.map((p) => p.metadata.name)).toEqual(['agentguard-default-deny']);
        const pods = podTemplates(ofKind(objects, 'Deployment', agent.namespace))
          .concat(podTemplates(ofKind(objects, 'CronJob', agent.namespace)))
          .map((p) => p.template.metadata.labels as Record<string, string>);
        expect(pods).toHaveLength(1);
        for (const policy of allows)
          expect(selectorMatches(policy.spec.podSelector, pods[0])).toBe(selectedBefore);
        // What is left is the default deny: no allowance selects the pod any more.
        for (const policy of denies) expect(selectorMatches(policy.spec.podSelector, pods[0])).toBe(true);
      }
    },
  );

  it('makes AG601 deny every request by the agent, and only by that agent', async () => {
    const bot = agentUsername(engaged.spec.agents.find((a) => a.name === 'release-bot')!);
    const read = (username: string) =>
      request({ user: username, operation: 'UPDATE', kind: KINDS.configMap, namespace: 'shop', name: 'x' });
    expect(await regoPack.evaluate('kill-switch', read(bot), killSwitchParams(before))).toEqual([]);
    expect(messages(await regoPack.evaluate('kill-switch', read(bot), killSwitchParams(engaged)))).toEqual([
      `[AG601] agent release-bot is stopped: its kill switch was engaged by ${ENGAGED.engagedBy} (${ENGAGED.reason}); every request is denied until the fleet releases it`,
    ]);
    const triage = agentUsername(engaged.spec.agents.find((a) => a.name === 'incident-triage')!);
    expect(await regoPack.evaluate('kill-switch', read(triage), killSwitchParams(engaged))).toEqual([]);
  });

  it('records the engaged switch in the promotion lock and nothing else there', () => {
    expect(checkPromotions(engaged, recorded)).toEqual([]);
    const next = nextLock(engaged, recorded);
    expect(next.agents['release-bot']).toEqual({ ...recorded.agents['release-bot'], killSwitch: 'engaged' });
    expect(next.agents['batch-scaler']).toEqual({
      ...recorded.agents['batch-scaler'],
      killSwitch: 'engaged',
    });
    const others = (lock: typeof next) =>
      Object.entries(lock.agents).filter(([n]) => n !== 'release-bot' && n !== 'batch-scaler');
    expect(others(next)).toEqual(others(recorded));
  });
});

describe('releasing the kill switch', () => {
  it('is the exact inverse for a Job agent: resumed, relabelled, its RoleBinding back, AG601 entry gone', () => {
    const entry = JSON.stringify(
      raw.spec.agents.find((a: Loose) => a.name === 'capacity-report').killSwitch,
      ['engagedBy', 'reason'],
    );
    expect(outputDiff(renderFleet(before), renderFleet(released))).toEqual([
      `~ AgentGuardKillSwitch agentguard-shop-platform-kill-switch /spec/parameters/agents/system:serviceaccount:agents-reports:capacity-report: ${entry} removed`,
      '~ Job agents-reports/capacity-report /spec/suspend: true → false',
      '~ Job agents-reports/capacity-report /spec/template/metadata/labels/agentguard.dev~1kill-switch: "engaged" → "armed"',
      '+ RoleBinding shop/agentguard-capacity-report',
    ]);
  });

  it('returns the agent to the phase it had; a promotion in the same change is refused', () => {
    expect(recorded.agents['capacity-report']).toMatchObject({ phase: 'shadow', killSwitch: 'engaged' });
    expect(checkPromotions(released, recorded)).toEqual([]);
    expect(nextLock(released, recorded).agents['capacity-report']).toEqual({ phase: 'shadow' });

    const promoted = fleetWith((a) => {
      a['capacity-report'].killSwitch = { state: 'armed' };
      a['capacity-report'].phase = 'advisory';
      a['capacity-report'].promotion = { phase: 'advisory', approvedBy: 'alice@shop.example' };
      a['capacity-report'].attribution = { initiators: ['*@shop.example'] };
    });
    expect(checkPromotions(promoted, recorded).map((e) => e.message)).toEqual([
      expect.stringMatching(/capacity-report.*kill switch/),
    ]);
  });
});
