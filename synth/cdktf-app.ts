/**
 * Entry point for the cdktf CLI (`cdktf synth`, see cdktf.json); AGENTGUARD_FLEET picks the fleet file.
 * The fleet passes the same promotion check as `agentguard synth` and `cdk8s synth` (the lock is only read).
 */
import { dirname, join } from 'node:path';
import { App } from 'cdktf';
import { vaultBackend } from '../lib/vault/backend';
import { VaultStack } from '../constructs/vault';
import { loadCheckedFleet } from './synth';
import { VAULT_STACK } from './vault';

const fleetFile = process.env.AGENTGUARD_FLEET ?? 'examples/fleet.yaml';
// Checked before the App exists: cdktf creates its output folder as soon as an App is constructed.
const { fleet } = loadCheckedFleet(fleetFile);
const app = new App();
// cdktf writes the stack to cdktf.out/stacks/<name>; a local state path is relative to the fleet file.
new VaultStack(app, VAULT_STACK, {
  fleet,
  backend: vaultBackend(fleet, {
    fleetDir: dirname(fleetFile),
    stackDir: join(app.outdir, 'stacks', VAULT_STACK),
  }),
});
app.synth();
