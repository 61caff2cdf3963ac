/**
 * Entry point for the cdk8s CLI (`cdk8s synth`, see cdk8s.yaml); writes to the CLI's output folder.
 * The fleet passes the same promotion check as `npm run synth`; the lock itself is only read here.
 */
import { buildApp } from './app';
import { loadCheckedFleet } from './synth';

const { fleet } = loadCheckedFleet(process.env.AGENTGUARD_FLEET ?? 'examples/fleet.yaml');
// One App per agent chart (see buildApp); each writes its charts into the same output folder.
for (const app of buildApp(fleet).apps) app.synth();
