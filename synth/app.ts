/** Builds the cdk8s app for a fleet: one chart per agent. Shared by the CLI and `cdk8s synth`. */
import { App } from 'cdk8s';
import { SecureAgent } from '../constructs/secure-agent';
import type { Fleet } from '../lib/fleet/schema';

export function buildApp(fleet: Fleet, outdir?: string): { app: App; agents: SecureAgent[] } {
  const app = new App({ outdir });
  const agents = fleet.spec.agents.map(
    (agent) => new SecureAgent(app, `agent-${agent.name}`, { fleet, agent }),
  );
  return { app, agents };
}
