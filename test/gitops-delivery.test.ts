/**
 * Applying `dist/` to a fresh cluster (issue 14): the Argo CD Application and the Flux Kustomizations
 * shipped in examples/gitops/ validate against their pinned CRD schemas (kubeconform -strict), point at
 * folders synth writes, and order the stages: templates, then constraints (their CRDs exist only
 * then), then workloads. Argo CD orders by sync waves on the objects; Flux by dependsOn over three
 * folders that together hold every object of the root kustomization exactly once.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadFleetFile } from '../lib/fleet/load';
import { renderFleet } from '../synth/render';
import { writeAtomically } from '../synth/write';
import { ARGO_ANNOTATIONS, SYNC_WAVE } from '../policies/policy-pack';
import { REPO_ROOT } from '../tools/toolchain';
import { agentguard } from './support/cli';
import { kubeconform } from './support/tools';

const GITOPS = join(REPO_ROOT, 'examples', 'gitops');
const ARGO = join(GITOPS, 'argocd-application.yaml');
const FLUX = join(GITOPS, 'flux-kustomizations.yaml');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const docs = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);

/** The objects a kustomization folder builds: its `resources`, files or folders, recursively (all synth uses). */
function build(dir: string): Obj[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
    resources: string[];
  };
  return kustomization.resources.flatMap((r) => {
    const path = resolve(dir, r);
    return r.endsWith('.yaml') ? docs(path) : build(path);
  });
}

const key = (o: Obj) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('GitOps delivery of a fresh cluster', () => {
  const repo = mkdtempSync(join(tmpdir(), 'agentguard-gitops-'));
  const dist = join(repo, 'dist');
  writeAtomically(dist, renderFleet(loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'))));

  it('the examples validate against the pinned Argo CD and Flux CRD schemas (kubeconform -strict)', () => {
    const run = kubeconform([ARGO, FLUX]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).summary).toEqual({ valid: 4, invalid: 0, errors: 0, skipped: 0 });
    expect(run.status).toBe(0);
  });

  it('kubeconform rejects a misspelled field in them (the check can fail)', () => {
    const bad = join(repo, 'bad.yaml');
    writeFileSync(bad, readFileSync(FLUX, 'utf8').replaceAll('  dependsOn:', '  dependOn:'));
    const run = kubeconform([bad]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("additional properties 'dependOn' not allowed");
  });

  it('Argo CD: one Application over dist/; templates in wave -2, constraints in wave -1 skipping the dry run, the rest in wave 0', () => {
    const [app] = docs(ARGO);
    const root = join(repo, app.spec.source.path);
    const objects = build(root);
    expect(objects.length).toBeGreaterThan(20);
    for (const o of objects) {
      const annotations = o.metadata.annotations ?? {};
      const wave = annotations[ARGO_ANNOTATIONS.syncWave];
      if (o.kind === 'ConstraintTemplate') expect([key(o), wave]).toEqual([key(o), SYNC_WAVE.templates]);
      else if (o.apiVersion.startsWith('constraints.gatekeeper.sh/')) {
        expect([key(o), wave, annotations[ARGO_ANNOTATIONS.syncOptions]]).toEqual([
          key(o),
          SYNC_WAVE.constraints,
          'SkipDryRunOnMissingResource=true',
        ]);
      } else expect([key(o), wave]).toEqual([key(o), undefined]);
    }
    expect(Number(SYNC_WAVE.templates)).toBeLessThan(Number(SYNC_WAVE.constraints));
    expect(Number(SYNC_WAVE.constraints)).toBeLessThan(0);
  });

  it('Flux: templates, then constraints, then workloads (dependsOn), holding every object exactly once', () => {
    const stages = docs(FLUX);
    expect(stages.map((k) => [k.metadata.name, k.spec.dependsOn?.map((d: Obj) => d.name)])).toEqual([
      ['agentguard-templates', undefined],
      ['agentguard-shop-platform-constraints', ['agentguard-templates']],
      ['agentguard-shop-platform-workloads', ['agentguard-shop-platform-constraints']],
    ]);
    const built = stages.map((k) => build(join(repo, k.spec.path)));
    expect(built[0].every((o) => o.kind === 'ConstraintTemplate')).toBe(true);
    expect(built[1].every((o) => o.apiVersion.startsWith('constraints.gatekeeper.sh/'))).toBe(true);
    expect(
      built[2].some(
        (o) => o.apiVersion.startsWith('constraints.gatekeeper.sh/') || o.kind === 'ConstraintTemplate',
      ),
    ).toBe(false);
    const keys = built.flat().map(key);
    expect(new Set(keys).size).toBe(keys.length); // no object in two Kustomizations
    expect([...keys].sort()).toEqual(build(dist).map(key).sort()); // and none left out
    for (const k of stages) expect(k.spec.wait).toBe(true);
  });

  it('the two example fleets synthesize side by side (--also each other), each with its own constraint names', () => {
    const shop = join(REPO_ROOT, 'examples', 'fleet.yaml');
    const data = join(REPO_ROOT, 'examples', 'fleet-data.yaml');
    for (const [fleet, other, name] of [
      [shop, data, 'shop-platform'],
      [data, shop, 'data-platform'],
    ]) {
      const out = join(repo, `out-${name}`);
      const run = agentguard(['synth', '--fleet', fleet, '--out', out, '--also', other, '--frozen-lock']);
      expect([run.status, run.stderr]).toEqual([0, '']);
      const names = build(join(out, 'policy-pack', 'constraints')).map((o) => o.metadata.name as string);
      expect(names.every((n) => n.startsWith(`agentguard-${name}-`))).toBe(true);
    }
  });

  it('kubectl: the README applies the same three folders in that order', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const order = [
      'kubectl apply -k dist/policy-pack/templates',
      "kubectl wait --for=jsonpath='{.status.created}'=true constrainttemplates",
      'kubectl apply -k dist/policy-pack/constraints',
      'kubectl apply -k dist/workloads',
    ].map((line) => readme.indexOf(line));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(readdirSync(dirname(join(dist, 'workloads', 'kustomization.yaml')))).toEqual([
      'kustomization.yaml',
    ]);
  });
});
