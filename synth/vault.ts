/**
 * The fleet's Vault stack as Terraform JSON, exactly as cdktf's own synthesizer writes it
 * (`cdktf synth` gives the same bytes through synth/cdktf-app.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { VaultStack } from '../constructs/vault';
import type { Fleet } from '../lib/fleet/schema';
import { vaultBackend, type StackLocation } from '../lib/vault/backend';

/** Name of the stack, and so of its folder in cdktf.out/stacks/. */
export const VAULT_STACK = 'vault';

/** @param location where the fleet file is and where the stack goes, to place a local state file */
export function vaultStackJson(fleet: Fleet, location?: StackLocation): string {
  const outdir = mkdtempSync(join(tmpdir(), 'agentguard-cdktf-'));
  try {
    const app = new App({ outdir });
    new VaultStack(app, VAULT_STACK, { fleet, backend: vaultBackend(fleet, location) });
    app.synth();
    return readFileSync(join(outdir, 'stacks', VAULT_STACK, 'cdk.tf.json'), 'utf8');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
