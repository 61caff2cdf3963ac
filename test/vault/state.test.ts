/**
 * Vault state survives synth (issue 14): synth replaces its output folder whole, so the Terraform state
 * must live elsewhere. A real `tofu apply` against a real OpenBao dev server, then a synth with an
 * agent's kill switch engaged and a second apply: the state is still there, so Terraform deletes the
 * engaged agent's roles (I6). Before, the state sat in dist/vault/ and the second apply knew nothing
 * to delete. Synth also refuses an output folder holding state, and a state path inside it.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FleetInput } from '../../lib/fleet/schema';
import { synth } from '../../synth/synth';
import { UnsafeOutputError } from '../../synth/write';
import { DIGEST } from '../support/fleets';
import { OpenBao, tofuApply } from './openbao';
import { throwawayCaCert, TokenReviewer } from './token-review';

jest.setTimeout(180_000);

const fleet = (engaged: boolean, backend?: unknown): FleetInput => ({
  apiVersion: 'agentguard.dev/v1alpha1',
  kind: 'AgentFleet',
  metadata: { name: 'state-e2e' },
  spec: {
    vault: { manageBackends: true, ...(backend ? { backend } : {}) } as FleetInput['spec']['vault'],
    agents: ['alpha', 'gamma'].map((name) => ({
      name,
      namespace: `agents-${name}`,
      image: `registry.example.com/agents/${name}@${DIGEST}`,
      // Targets: Vault also issues it Kubernetes credentials (a secrets-engine role).
      targets: [{ namespace: `shop-${name}`, kinds: ['ConfigMap' as const] }],
      vault: { secrets: [{ path: `secret/data/agents/${name}/*` }] },
      ...(engaged && name === 'gamma'
        ? { killSwitch: { state: 'engaged' as const, engagedBy: 'alice@example.com', reason: 'state e2e' } }
        : {}),
    })),
  },
});

let bao: OpenBao;
let reviewer: TokenReviewer;
const work = mkdtempSync(join(tmpdir(), 'agentguard-vault-state-'));
const repo = join(work, 'repo');
const fleetFile = join(repo, 'fleets', 'fleet.yaml');
const out = join(repo, 'dist');
const stack = join(out, 'vault');
const stateFile = join(repo, 'fleets', '.agentguard-state', 'state-e2e.tfstate');
let caCert: string;

function apply(): string {
  return tofuApply(stack, bao, { host: reviewer.url, caCert });
}

const roleStatus = async (name: string) =>
  (await bao.root('GET', `auth/kubernetes-${name}/role/${name}`)).status;

beforeAll(async () => {
  bao = await OpenBao.start('state-root-token');
  reviewer = await TokenReviewer.start();
  mkdirSync(join(repo, 'fleets'), { recursive: true });
  caCert = throwawayCaCert(work);
});

afterAll(async () => {
  bao?.stop();
  await reviewer?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('Vault state across synths', () => {
  it('survives a synth, so engaging the kill switch deletes the agent’s roles on the next apply', async () => {
    writeFileSync(fleetFile, stringify(fleet(false)));
    synth(fleetFile, out);
    expect(apply()).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    expect(existsSync(stateFile)).toBe(true);
    expect(readdirSync(stack).filter((f) => f.includes('tfstate'))).toEqual([]);
    expect(await roleStatus('gamma')).toBe(200);

    writeFileSync(fleetFile, stringify(fleet(true)));
    synth(fleetFile, out); // replaces dist/ whole, .terraform/ included
    expect(existsSync(stateFile)).toBe(true);
    // Exactly the engaged agent's auth role and secrets-engine role go.
    expect(apply()).toContain('Apply complete! Resources: 0 added, 0 changed, 2 destroyed.');
    expect(await roleStatus('gamma')).toBe(404);
    expect(await roleStatus('alpha')).toBe(200);
    expect((await bao.root('GET', 'kubernetes/roles/agentguard-gamma')).status).toBe(404);
    expect((await bao.root('GET', 'kubernetes/roles/agentguard-alpha')).status).toBe(200);
  });

  it('refuses an output folder that holds Terraform state it did not write, and changes nothing', () => {
    copyFileSync(stateFile, join(stack, 'terraform.tfstate'));
    expect(() => synth(fleetFile, out)).toThrow(UnsafeOutputError);
    expect(() => synth(fleetFile, out)).toThrow(
      /holds Terraform state synth did not write \(vault\/terraform\.tfstate\)/,
    );
    expect(existsSync(join(stack, 'terraform.tfstate'))).toBe(true);
    rmSync(join(stack, 'terraform.tfstate'));
  });

  it('refuses a local state path inside the output folder (relative to the fleet file’s folder)', () => {
    const inside = join(work, 'inside.yaml');
    writeFileSync(inside, stringify(fleet(false, { local: { path: 'repo/dist/vault/state.tfstate' } })));
    expect(() => synth(inside, out)).toThrow(/the fleet's Terraform state .* is inside it/);
  });

  it('passes a remote backend through as plain Terraform JSON', () => {
    const remote = join(work, 'remote.yaml');
    const remoteOut = join(work, 'remote-out');
    const s3 = { bucket: 'tf-state', key: 'agentguard/state-e2e.tfstate', region: 'eu-west-1' };
    writeFileSync(remote, stringify(fleet(false, { s3 })));
    synth(remote, remoteOut);
    const json = JSON.parse(readFileSync(join(remoteOut, 'vault', 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend).toEqual({ s3 });
  });
});
