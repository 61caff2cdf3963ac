/**
 * The network cut really takes an agent's pods out of every allowance: for every agent of the example
 * fleet, the exact label change its script makes (as recorded by the fake kubectl) is applied to the
 * synthesized pod template, and every NetworkPolicy of its namespace is evaluated with Kubernetes
 * label-selector semantics (lib/selectors). NetworkPolicies only add allowances, so "out of every
 * policy with rules" is what cutting means; the default deny must still select the pod.
 */
import { defineFleet } from '../../lib/fleet/validate';
import type { FleetInput } from '../../lib/fleet/schema';
import { selectorMatches } from '../../lib/selectors';
import { hasAllowances, ofKind, podTemplates, synthObjects } from '../support/manifests';
import { exampleFleet, scriptOf } from './example';
import { Fakes, kubectlCalls } from './fakes';

const fakes = new Fakes();

/** The example fleet with every switch armed: the state the emergency path starts from. */
const armed = () => {
  const fleet = structuredClone(exampleFleet()) as FleetInput;
  for (const agent of fleet.spec.agents) agent.killSwitch = { state: 'armed' };
  return defineFleet(fleet);
};

/** The one `kubectl label pods` call of a script run: namespace, equality selector and new labels. */
function labelChange(agentName: string) {
  const run = fakes.run(scriptOf({ name: agentName }), ['--by', 'oncall', '--reason', 'test'], {
    VAULT_TOKEN: 't',
  });
  const calls = kubectlCalls(run).filter((a) => a[0] === 'label');
  expect(calls).toHaveLength(1);
  const argv = calls[0];
  expect(argv.slice(0, 2)).toEqual(['label', 'pods']);
  expect(argv).toContain('--overwrite');
  const namespace = argv[argv.indexOf('-n') + 1];
  const selector = argv[argv.indexOf('-l') + 1];
  const rest = argv
    .slice(2)
    .filter((a, i, all) => !['-n', '-l', '--overwrite'].includes(a) && !['-n', '-l'].includes(all[i - 1]));
  const set = Object.fromEntries(rest.map((kv) => kv.split('=') as [string, string]));
  const matchLabels = Object.fromEntries(selector.split(',').map((kv) => kv.split('=') as [string, string]));
  return { namespace, matchLabels, set };
}

describe('network cut', () => {
  const fleet = armed();
  const objects = synthObjects(fleet);

  it.each(fleet.spec.agents.map((a) => [a.name, a] as const))(
    '%s: relabelled pods leave every allow policy',
    (name, agent) => {
      const change = labelChange(name);
      expect(change.namespace).toBe(agent.namespace);
      const policies = ofKind(objects, 'NetworkPolicy', agent.namespace);
      const allow = policies.filter(hasAllowances);
      const denyAll = policies.filter((p) => !hasAllowances(p));
      expect(allow.length).toBeGreaterThan(0);
      expect(denyAll.map((p) => p.spec.policyTypes)).toEqual([['Ingress', 'Egress']]);

      const templates = podTemplates(objects).filter(
        (t) => t.template.metadata.labels['agentguard.dev/agent'] === name,
      );
      expect(templates).toHaveLength(1);
      const before: Record<string, string> = templates[0].template.metadata.labels;
      // The script's selector finds the agent's pods ...
      expect(selectorMatches({ matchLabels: change.matchLabels }, before)).toBe(true);
      // ... which every allow policy selects before the cut ...
      for (const p of allow)
        expect({ policy: p.metadata.name, selected: selectorMatches(p.spec.podSelector, before) }).toEqual({
          policy: p.metadata.name,
          selected: true,
        });
      const after = { ...before, ...change.set };
      // ... and none after it, while the default deny still does.
      for (const p of allow)
        expect({ policy: p.metadata.name, selected: selectorMatches(p.spec.podSelector, after) }).toEqual({
          policy: p.metadata.name,
          selected: false,
        });
      for (const p of denyAll) expect(selectorMatches(p.spec.podSelector, after)).toBe(true);
    },
  );

  it('the GitOps path agrees: the engaged agent of the example fleet is synthesized already out', () => {
    const engaged = synthObjects(exampleFleet());
    const template = podTemplates(engaged).find((t) => t.owner === 'Job/capacity-report')!.template;
    const allow = ofKind(engaged, 'NetworkPolicy', 'agents-reports').filter(hasAllowances);
    expect(allow.length).toBeGreaterThan(0);
    for (const p of allow) expect(selectorMatches(p.spec.podSelector, template.metadata.labels)).toBe(false);
  });

  it('the proof can fail: a label the policies do not look at would leave the pod selected', () => {
    const policies = ofKind(objects, 'NetworkPolicy', 'agents-release').filter(hasAllowances);
    const labels = podTemplates(objects).find((t) => t.owner === 'Deployment/release-bot')!.template.metadata
      .labels;
    expect(
      policies.some((p) =>
        selectorMatches(p.spec.podSelector, { ...labels, 'agentguard.dev/stopped': 'true' }),
      ),
    ).toBe(true);
  });
});
