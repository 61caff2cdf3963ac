/** Entry point for the cdktf CLI (`cdktf synth`, see cdktf.json); AGENTGUARD_FLEET picks the fleet file. */
import { dirname, join } from 'node:path';
import { App } from 'cdktf';
import { vaultBackend } from '../lib/vault/backend';
import { VaultStack } from '../constructs/vault';
import { loadFleetFile } from '../lib/fleet/load';
import { VAULT_STACK } from './vault';

const fleetFile = process.env.AGENTGUARD_FLEET ?? 'examples/fleet.yaml';
const app = new App();
const fleet = loadFleetFile(fleetFile);
// cdktf writes the stack to cdktf.out/stacks/<name>; a local state path is relative to the fleet file.
new VaultStack(app, VAULT_STACK, {
  fleet,
  backend: vaultBackend(fleet, {
    fleetDir: dirname(fleetFile),
    stackDir: join(app.outdir, 'stacks', VAULT_STACK),
  }),
});
app.synth();
