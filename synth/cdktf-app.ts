/** Entry point for the cdktf CLI (`cdktf synth`, see cdktf.json); AGENTGUARD_FLEET picks the fleet file. */
import { App } from 'cdktf';
import { VaultStack } from '../constructs/vault';
import { loadFleetFile } from '../lib/fleet/load';
import { VAULT_STACK } from './vault';

const app = new App();
new VaultStack(app, VAULT_STACK, {
  fleet: loadFleetFile(process.env.AGENTGUARD_FLEET ?? 'examples/fleet.yaml'),
});
app.synth();
