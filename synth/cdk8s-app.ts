/** Entry point for the cdk8s CLI (`cdk8s synth`, see cdk8s.yaml); writes to the CLI's output folder. */
import { loadFleetFile } from '../lib/fleet/load';
import { buildApp } from './app';

const { app } = buildApp(loadFleetFile(process.env.AGENTGUARD_FLEET ?? 'examples/fleet.yaml'));
app.synth();
