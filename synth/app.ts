/**
 * Builds the cdk8s app for a fleet: one chart per agent, the policy pack's two charts and the kill
 * switch's emergency path. Shared by the CLI and `cdk8s synth`.
 */
import { App } from 'cdk8s';
import { KillSwitchChart } from '../constructs/kill-switch/chart';
import { SecureAgent } from '../constructs/secure-agent';
import type { Fleet } from '../lib/fleet/schema';
import { PolicyConstraints, PolicyTemplates } from '../policies/policy-pack';

export interface FleetApp {
  readonly app: App;
  readonly agents: SecureAgent[];
  readonly templates: PolicyTemplates;
  readonly constraints: PolicyConstraints;
  readonly killSwitch: KillSwitchChart;
}

export function buildApp(fleet: Fleet, outdir?: string): FleetApp {
  const app = new App({ outdir });
  const agents = fleet.spec.agents.map(
    (agent) => new SecureAgent(app, `agent-${agent.name}`, { fleet, agent }),
  );
  const templates = new PolicyTemplates(app, 'policy-templates');
  const constraints = new PolicyConstraints(app, 'policy-constraints', { fleet });
  // Constraints need their templates' CRDs; cdk8s orders charts by dependency.
  constraints.addDependency(templates);
  const killSwitch = new KillSwitchChart(app, 'kill-switch', { fleet });
  return { app, agents, templates, constraints, killSwitch };
}
