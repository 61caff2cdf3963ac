/**
 * Builds the cdk8s app for a fleet: one chart per agent, the policy pack's two charts and the kill
 * switch's emergency path. Shared by the CLI and `cdk8s synth`.
 */
import { App } from 'cdk8s';
import { KillSwitchChart } from '../constructs/kill-switch/chart';
import { SecureAgent } from '../constructs/secure-agent';
import type { Agent, Fleet } from '../lib/fleet/schema';
import { PolicyConstraints, PolicyTemplates } from '../policies/policy-pack';

export interface FleetApp {
  /** The policy pack's and the kill switch's charts. */
  readonly app: App;
  /** Every app: `app`, then one per agent chart. */
  readonly apps: readonly App[];
  readonly agents: SecureAgent[];
  readonly templates: PolicyTemplates;
  readonly constraints: PolicyConstraints;
  readonly killSwitch: KillSwitchChart;
}

/** One agent's chart, in an App of its own. */
export function agentChart(fleet: Fleet, agent: Agent, outdir?: string): SecureAgent {
  // Each agent's chart gets an App of its own: cdk8s resolves dependencies across a whole App every
  // time it synthesizes one chart of it, so a fleet in one App costs agents × fleet size (quadratic;
  // 1,000 agents took 19 s). Agent charts depend on nothing outside themselves.
  return new SecureAgent(new App({ outdir }), `agent-${agent.name}`, { fleet, agent });
}

/** The fleet-wide charts: the policy pack's two and the kill switch's, in one App. */
export function buildPack(fleet: Fleet, outdir?: string): Omit<FleetApp, 'apps' | 'agents'> {
  const app = new App({ outdir });
  const templates = new PolicyTemplates(app, 'policy-templates');
  const constraints = new PolicyConstraints(app, 'policy-constraints', { fleet });
  // Constraints need their templates' CRDs; cdk8s orders charts by dependency.
  constraints.addDependency(templates);
  const killSwitch = new KillSwitchChart(app, 'kill-switch', { fleet });
  return { app, templates, constraints, killSwitch };
}

export function buildApp(fleet: Fleet, outdir?: string): FleetApp {
  const agents = fleet.spec.agents.map((agent) => agentChart(fleet, agent, outdir));
  const pack = buildPack(fleet, outdir);
  const apps = [pack.app, ...agents.map((agent) => agent.node.scope as App)];
  return { ...pack, apps, agents };
}
