/**
 * `npm run synth`: output validates with the real kubeconform, is byte-identical run to run, and a
 * bad fleet leaves the output folder exactly as it was.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KUBERNETES_VERSIONS, REPO_ROOT } from '../tools/toolchain';
import { loadFleetFile } from '../lib/fleet/load';
import { outputManifests } from '../synth/output-objects';
import { renderFleetOutput } from '../synth/render';
import { summarize } from '../synth/summary';
import { tree } from './support/files';
import { kubeconform } from './support/tools';

const EXAMPLE = join(REPO_ROOT, 'examples', 'fleet.yaml');
const BIN = join(REPO_ROOT, 'bin', 'agentguard.js');

function synth(fleet: string, out: string) {
  return spawnSync(process.execPath, [BIN, 'synth', '--fleet', fleet, '--out', out], {
    encoding: 'utf8',
  });
}

describe('synth', () => {
  const work = mkdtempSync(join(tmpdir(), 'agentguard-synth-'));
  const first = join(work, 'first');
  const second = join(work, 'second');

  beforeAll(() => {
    for (const out of [first, second]) {
      const run = synth(EXAMPLE, out);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
  });

  it('writes a kustomization per agent and one over all of them', () => {
    const files = Object.keys(tree(first)).sort();
    expect(files).toContain('kustomization.yaml');
    expect(files).toContain('vault/cdk.tf.json');
    for (const agent of [
      'cost-analyst',
      'incident-triage',
      'release-bot',
      'batch-scaler',
      'capacity-report',
    ]) {
      expect(files).toContain(`agents/${agent}/kustomization.yaml`);
      expect(files).toContain(`agents/${agent}/agent.yaml`);
    }
  });

  it('is byte-identical for the same input', () => {
    expect(tree(second)).toEqual(tree(first));
  });

  it.each(KUBERNETES_VERSIONS)(
    'validates with kubeconform -strict against the Kubernetes %s schemas',
    (version) => {
      const manifests = Object.keys(tree(first))
        // The audit policy is an API server file with no published schema; its test checks it directly.
        // vault/ holds Terraform JSON, not Kubernetes objects; test/vault checks it.
        // kill-switch/*.sh are runbook scripts, not manifests; test/kill-switch runs them.
        .filter(
          (f) =>
            !f.endsWith('kustomization.yaml') &&
            !f.startsWith('audit/') &&
            !f.startsWith('vault/') &&
            !f.endsWith('.sh'),
        )
        .map((f) => join(first, f));
      const run = kubeconform(manifests, version);
      const summary = JSON.parse(run.stdout) as { summary: Record<string, number> };
      expect(summary.summary).toMatchObject({ invalid: 0, errors: 0, skipped: 0 });
      expect(summary.summary.valid).toBeGreaterThanOrEqual(45);
      expect(run.status).toBe(0);
    },
  );

  it('kubeconform really rejects a bad manifest (the check can fail)', () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: y}\nautomountServiceAccountToken: "no"\nbogus: 1\n',
    );
    const run = kubeconform([bad]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ invalid: 1 });
  });

  it('on a bad fleet, prints every error, exits 1 and leaves the output untouched', () => {
    const out = join(work, 'kept');
    cpSync(first, out, { recursive: true });
    const before = tree(out);
    const badFleet = join(work, 'bad-fleet.yaml');
    writeFileSync(
      badFleet,
      readFileSync(EXAMPLE, 'utf8')
        .replace('phase: supervised', 'phase: supervized')
        .replace('maxReplicas: 6', 'maxReplicas: -6'),
    );
    const run = synth(badFleet, out);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${badFleet}:55:7: spec.agents[2].phase: "supervized" is not one of`);
    expect(run.stderr).toContain('spec.agents[2].limits.maxReplicas: -6 is below the minimum 0');
    expect(run.stderr).toContain(`nothing was written to ${out}/`);
    expect(tree(out)).toEqual(before);
    expect(readdirSync(work).filter((f) => f.includes('staged'))).toEqual([]);
  });

  it('on a bad fleet, creates no output folder at all when there was none', () => {
    const out = join(work, 'never');
    const badFleet = join(work, 'bad-fleet.yaml');
    expect(synth(badFleet, out).status).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('npm run synth writes dist/ from the example fleet', () => {
    execFileSync('npm', ['run', '--silent', 'synth'], { cwd: REPO_ROOT, stdio: 'pipe' });
    // The one difference: the local state path, relative to the stack folder, points at the same file.
    const state = (dir: string) => {
      const files = tree(dir);
      const stack = JSON.parse(files['vault/cdk.tf.json']);
      const local = stack.terraform.backend.local;
      const vault = join(dir, 'vault');
      expect(resolve(vault, local.path)).toBe(
        join(REPO_ROOT, 'examples', '.agentguard-state', 'shop-platform.tfstate'),
      );
      expect(resolve(vault, local.workspace_dir)).toBe(`${resolve(vault, local.path)}.d`);
      delete stack.terraform.backend;
      return { ...files, 'vault/cdk.tf.json': JSON.stringify(stack) };
    };
    expect(state(join(REPO_ROOT, 'dist'))).toEqual(state(first));
  });
});

describe('the synth summary', () => {
  it('counts from the rendered objects exactly what parsing the written manifests finds', () => {
    for (const file of ['fleet.yaml', 'fleet-data.yaml']) {
      const fleet = loadFleetFile(join(REPO_ROOT, 'examples', file));
      const { files, manifests } = renderFleetOutput(fleet);
      expect(manifests.length).toBeGreaterThan(20);
      expect(summarize(fleet, files, manifests)).toEqual(summarize(fleet, files));
      // Same objects, file by file, as the YAML reader gives them back.
      expect(manifests).toEqual(outputManifests(files).filter((m) => !m.path.endsWith('kustomization.yaml')));
    }
  });
});
