/**
 * The pack's generated files never drift from the Rego, the Rego passes the real OPA's strict check
 * and regal, and the compiled WASM is cached by content.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { libraryFiles, policyCatalog, policyFolders, REGO_DIR } from '../../policies/catalog';
import { generatePolicyFiles } from '../../tools/gen-policies';
import { REPO_ROOT } from '../../tools/toolchain';
import { kubeconform, runTool } from '../support/tools';
import { committedWasmFile } from '../../policies/wasm';
import { compiledWasm } from '../../policies/wasm-build';

describe('generated templates and docs', () => {
  const generated = generatePolicyFiles();

  it.each([...generated.keys()])(
    '%s matches the Rego (run `npm run policies` after editing rego/)',
    (path) => {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8')).toBe(generated.get(path));
    },
  );

  it('carries the policy source and the shared library verbatim, never a hand copy', () => {
    const libs = libraryFiles().map((file) => readFileSync(join(REGO_DIR, file), 'utf8'));
    expect(libraryFiles()).toEqual(['lib/agentguard.rego', 'lib/pods.rego']);
    for (const policy of policyCatalog()) {
      const source = (
        policy.template as { spec: { targets: { code: { source: { rego: string; libs: string[] } }[] }[] } }
      ).spec.targets[0].code[0].source;
      expect(source.rego).toBe(readFileSync(join(REGO_DIR, policy.folder, 'policy.rego'), 'utf8'));
      expect(source.libs).toEqual(libs);
    }
  });

  it('gives every policy a unique ID and kind', () => {
    const catalog = policyCatalog();
    expect(catalog.map((p) => p.folder).sort()).toEqual(policyFolders());
    expect(new Set(catalog.map((p) => p.id)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.kind)).size).toBe(catalog.length);
  });

  it('templates validate against the ConstraintTemplate CRD schema (kubeconform -strict)', () => {
    const files = policyFolders().map((f) => join(REPO_ROOT, 'policies', 'templates', `${f}.yaml`));
    const run = kubeconform(files);
    expect(JSON.parse(run.stdout).summary).toEqual({
      valid: files.length,
      invalid: 0,
      errors: 0,
      skipped: 0,
    });
  });
});

describe('Rego quality gates', () => {
  it('opa check --strict passes', () => {
    const run = runTool('opa', ['check', '--strict', REGO_DIR]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('regal lint passes (settings and reasons in .regal/config.yaml)', () => {
    const run = runTool('regal', [
      'lint',
      '--format',
      'compact',
      '--config-file',
      join(REPO_ROOT, '.regal', 'config.yaml'),
      REGO_DIR,
    ]);
    // The compact format prints nothing at all when there is nothing to report.
    expect(run.stdout.trim()).toBe('');
    expect(run.status).toBe(0);
  });

  it('opa check rejects broken Rego (the gate can fail)', () => {
    const run = runTool('opa', ['check', '--strict', '-'], 'package broken\nviolation contains x if {');
    expect(run.status).not.toBe(0);
  });
});

describe('committed WASM modules (what `agentguard check` evaluates)', () => {
  it.each(policyFolders())(
    'policies/wasm/%s.wasm is byte-identical to a fresh opa build (run `npm run policies` after editing rego/)',
    (folder) => {
      // The cache is keyed by the Rego's content and the OPA version, so its module is a fresh build.
      expect(readFileSync(committedWasmFile(folder)).equals(readFileSync(compiledWasm(folder).path))).toBe(
        true,
      );
    },
  );

  it.each(policyFolders())('policies/wasm/%s.wasm does not depend on where the repository is', (folder) => {
    // OPA embeds the Rego file names; absolute ones would fail the drift check in every other clone.
    const module = readFileSync(committedWasmFile(folder)).toString('latin1');
    expect(module).toContain(`${folder}/policy.rego`);
    expect(module).not.toContain(REPO_ROOT);
  });
});

describe('WASM compile cache', () => {
  it('compiles once per content hash and reuses the module afterwards', () => {
    const first = compiledWasm('kill-switch');
    const mtime = statSync(first.path).mtimeMs;
    const again = compiledWasm('kill-switch');
    expect(again).toEqual({ path: first.path, compiled: false });
    expect(statSync(again.path).mtimeMs).toBe(mtime);
    rmSync(first.path);
    expect(compiledWasm('kill-switch')).toEqual({ path: first.path, compiled: true });
  });
});
