/** The real kube-linter, with every built-in check but those .kube-linter.yaml excludes (with reasons). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib/fleet/load';
import { renderFleet } from '../../synth/render';
import { writeAtomically } from '../../synth/write';
import { REPO_ROOT } from '../../tools/toolchain';
import { runTool } from '../support/tools';

const CONFIG = join(REPO_ROOT, '.kube-linter.yaml');

describe('kube-linter', () => {
  it('reports nothing on the example fleet agent workloads', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'agentguard-lint-')), 'dist');
    writeAtomically(out, renderFleet(loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'))));
    const run = runTool('kube-linter', ['lint', '--config', CONFIG, join(out, 'agents')]);
    expect(run.stdout + run.stderr).toContain('No lint errors found!');
    expect(run.status).toBe(0);
  });

  it('does report a privileged, root, writable pod (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-lint-bad-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: bad, namespace: x}',
        'spec:',
        '  selector: {matchLabels: {a: b}}',
        '  template:',
        '    metadata: {labels: {a: b}}',
        '    spec:',
        '      containers:',
        '        - name: c',
        '          image: registry.example.com/x:latest',
        '          securityContext: {privileged: true}',
      ].join('\n'),
    );
    const run = runTool('kube-linter', ['lint', '--config', CONFIG, dir]);
    expect(run.status).not.toBe(0);
    for (const check of [
      'privileged-container',
      'run-as-non-root',
      'no-read-only-root-fs',
      'latest-tag',
      'unset-cpu-requirements',
    ]) {
      expect(run.stdout).toContain(`check: ${check}`);
    }
  });
});
