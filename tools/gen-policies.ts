/**
 * `npm run policies`: generates the Gatekeeper ConstraintTemplates (policies/templates/) and the
 * policy reference (docs/policies.md) from the Rego under rego/. Metadata is read by the real OPA
 * (`opa inspect -a`), so what Gatekeeper runs and what the docs say come from one source. A test
 * regenerates everything in memory and fails when the committed files drift.
 *
 * It also builds each policy's WebAssembly module into policies/wasm/ with the pinned OPA (byte-
 * deterministic for the same Rego and OPA), committed so `agentguard check` evaluates the pack without
 * OPA or Go at run time; a test fails when a committed module differs from a fresh build.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  ANNOTATIONS,
  LIB_FOLDER,
  libraryFiles,
  MINIMUM_GATEKEEPER_VERSION,
  policyFolders,
  REGO_DIR,
  TEMPLATE_API_VERSION,
  templateFile,
} from '../policies/catalog';
import { CEL_ENGINE, loadCelSource, type CelSource } from '../policies/cel';
import { loadSamples, type Sample } from '../policies/samples';
import { committedWasmFile } from '../policies/wasm';
import { buildWasm } from '../policies/wasm-build';
import { toYaml } from '../lib/yaml-output';
import { QUIET_ENV, REPO_ROOT, toolPath } from './toolchain';

export const DOCS_FILE = join(REPO_ROOT, 'docs', 'policies.md');

interface ParameterSchema {
  readonly type?: string;
  readonly description?: string;
  readonly [key: string]: unknown;
}

interface PolicyMetadata {
  readonly folder: string;
  readonly title: string;
  readonly description: string;
  readonly id: string;
  readonly invariant: string;
  readonly kind: string;
  readonly parameters: Record<string, ParameterSchema>;
  readonly rego: string;
  /** The K8sNativeValidation source, when the policy has a policy.cel.yaml. */
  readonly cel?: CelSource;
}

interface InspectOutput {
  annotations?: {
    annotations: { scope: string; title?: string; description?: string; custom?: Record<string, unknown> };
    location: { file: string };
  }[];
}

function annotations(folder: string): NonNullable<InspectOutput['annotations']> {
  const run = spawnSync(toolPath('opa'), ['inspect', '-a', '--format', 'json', join(REGO_DIR, folder)], {
    encoding: 'utf8',
    env: { ...process.env, ...QUIET_ENV },
  });
  if (run.status !== 0) throw new Error(`opa inspect rego/${folder} failed:\n${run.stderr}`);
  return (JSON.parse(run.stdout) as InspectOutput).annotations ?? [];
}

/**
 * Parameters the shared library reads (its package METADATA custom.parameters, e.g. exemptObjects):
 * declared once there, added to the schema of every policy that does not say `exemptible: false`.
 */
function sharedParameters(): Record<string, ParameterSchema> {
  const shared: Record<string, ParameterSchema> = {};
  for (const a of annotations(LIB_FOLDER)) {
    if (a.annotations.scope !== 'package') continue;
    Object.assign(shared, (a.annotations.custom?.parameters ?? {}) as Record<string, ParameterSchema>);
  }
  return shared;
}

function inspect(folder: string, shared: Record<string, ParameterSchema>): PolicyMetadata {
  const dir = join(REGO_DIR, folder);
  const pkg = annotations(folder).find(
    (a) => a.annotations.scope === 'package' && a.location.file.endsWith('policy.rego'),
  );
  const where = `rego/${folder}/policy.rego`;
  if (!pkg)
    throw new Error(`${where}: no package METADATA; add title, description and custom.id/kind/parameters`);
  const { title, description, custom = {} } = pkg.annotations;
  const need = (value: unknown, field: string, example: string): string => {
    if (typeof value !== 'string' || value === '') {
      throw new Error(`${where}: METADATA ${field} is missing; set it, e.g. ${example}`);
    }
    return value;
  };
  const id = need(custom.id, 'custom.id', 'AG101');
  if (!/^AG\d{3}$/.test(id)) throw new Error(`${where}: METADATA custom.id "${id}" must look like AG101`);
  return {
    folder,
    title: need(title, 'title', 'No destructive verbs'),
    description: need(description, 'description', 'what the policy denies and why'),
    id,
    invariant: need(custom.invariant, 'custom.invariant', 'I1'),
    kind: need(custom.kind, 'custom.kind', 'AgentGuardDestructiveVerbs'),
    parameters: {
      ...((custom.parameters ?? {}) as Record<string, ParameterSchema>),
      ...(custom.exemptible === false ? {} : shared),
    },
    rego: readFileSync(join(dir, 'policy.rego'), 'utf8'),
    cel: loadCelSource(folder, id, need(title, 'title', 'No destructive verbs')),
  };
}

function libraries(): string[] {
  return libraryFiles().map((file) => readFileSync(join(REGO_DIR, file), 'utf8'));
}

function template(policy: PolicyMetadata, libs: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: TEMPLATE_API_VERSION,
    kind: 'ConstraintTemplate',
    metadata: {
      name: policy.kind.toLowerCase(),
      annotations: {
        [ANNOTATIONS.description]: policy.description,
        [ANNOTATIONS.minimumGatekeeper]: MINIMUM_GATEKEEPER_VERSION,
        [ANNOTATIONS.invariant]: policy.invariant,
        [ANNOTATIONS.policyId]: policy.id,
        [ANNOTATIONS.title]: policy.title,
      },
      labels: {
        'app.kubernetes.io/managed-by': 'agentguard',
        'app.kubernetes.io/part-of': 'agentguard-policy-pack',
      },
    },
    spec: {
      crd: {
        spec: {
          names: { kind: policy.kind },
          validation: { openAPIV3Schema: { type: 'object', properties: policy.parameters } },
        },
      },
      targets: [
        {
          target: 'admission.k8s.gatekeeper.sh',
          // Rego first: the catalog and the WASM build read code[0]. With both engines present
          // Gatekeeper and gator evaluate K8sNativeValidation (its driver has priority) unless
          // --enable-k8s-native-validation=false; the differential test holds the two to the same answers.
          code: [
            { engine: 'Rego', source: { version: 'v1', rego: policy.rego, libs: [...libs] } },
            ...(policy.cel ? [{ engine: CEL_ENGINE, source: policy.cel }] : []),
          ],
        },
      ],
    },
  };
}

const GENERATED =
  '# Generated by `npm run policies` from rego/ — do not edit; edit the Rego and regenerate.\n';

function parameterRows(parameters: Record<string, ParameterSchema>): string {
  const rows = Object.entries(parameters).map(
    ([name, schema]) =>
      `| \`${name}\` | ${schema.type ?? 'any'} | ${(schema.description ?? '').replace(/\n/g, ' ')} |`,
  );
  return ['| parameter | type | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function example(sample: Sample | undefined): string {
  if (!sample) return '_none yet_';
  const r = sample.request as Record<string, unknown> & {
    resource?: { group?: string; resource?: string };
    userInfo?: { username?: string };
  };
  const resource = [r.resource?.resource, r.resource?.group].filter(Boolean).join('.');
  const lines = [
    `${sample.description} (\`rego/${sample.folder}/samples/${sample.file}\`)`,
    '',
    '```text',
    `${sample.request.operation} ${resource}${r.subResource ? `/${String(r.subResource)}` : ''} ${[r.namespace, r.name].filter(Boolean).join('/')}`,
    `  by ${r.userInfo?.username ?? '(no user)'}${r.dryRun === true ? ' (dry-run)' : ''}`,
    ...(sample.expected.length === 0 ? ['  → allowed'] : sample.expected.map((m) => `  → ${m}`)),
    '```',
  ];
  return lines.join('\n');
}

/** An invariant ID linked to its section of docs/design.md (anchors #i1 … #i8). */
const invariantLink = (id: string): string => `[${id}](design.md#${id.toLowerCase()})`;

function docs(policies: readonly PolicyMetadata[]): string {
  const sorted = [...policies].sort((a, b) => a.id.localeCompare(b.id));
  const parts = [
    '<!-- Generated by `npm run policies` from the METADATA in rego/ — do not edit. -->',
    '# The agentguard policy pack',
    '',
    `Gatekeeper ConstraintTemplates (\`${TEMPLATE_API_VERSION}\`, Rego v1 through the \`code\` engine block; Gatekeeper ${MINIMUM_GATEKEEPER_VERSION} or later). Every violation message starts with the policy ID in brackets. The invariants (I1–I8) are explained in [design.md](design.md).`,
    '',
    'Policies with **CEL** also carry a `K8sNativeValidation` block from `rego/<folder>/policy.cel.yaml`, with the same messages: Gatekeeper evaluates it when present, and `spec.engine: vap` turns it into ValidatingAdmissionPolicies (see "Choosing an engine" in the [README](../README.md)).',
    '',
    '| ID | policy | invariant | constraint kind | engines | folder |',
    '| --- | --- | --- | --- | --- | --- |',
    ...sorted.map(
      (p) =>
        `| ${p.id} | ${p.title} | ${invariantLink(p.invariant)} | \`${p.kind}\` | ${p.cel ? 'Rego, CEL' : 'Rego'} | [rego/${p.folder}](../rego/${p.folder}) |`,
    ),
  ];
  for (const p of sorted) {
    const samples = loadSamples(p.folder);
    parts.push(
      '',
      `## ${p.id}: ${p.title}`,
      '',
      `Invariant ${invariantLink(p.invariant)}. Constraint kind \`${p.kind}\`.`,
      '',
      p.description,
      '',
      parameterRows(p.parameters),
      '',
      '**Allowed:** ' + example(samples.find((s) => s.verdict === 'allowed')),
      '',
      '**Denied:** ' + example(samples.find((s) => s.verdict === 'denied')),
    );
  }
  return parts.join('\n') + '\n';
}

/** Every generated file, by path relative to the repository root, built in memory. */
export function generatePolicyFiles(): Map<string, string> {
  const libs = libraries();
  const shared = sharedParameters();
  const policies = policyFolders().map((folder) => inspect(folder, shared));
  const files = new Map<string, string>();
  for (const policy of policies) {
    files.set(relative(REPO_ROOT, templateFile(policy.folder)), GENERATED + toYaml(template(policy, libs)));
  }
  files.set(relative(REPO_ROOT, DOCS_FILE), docs(policies));
  return files;
}

/** Each policy's WebAssembly module, by path relative to the repository root, freshly built. */
export function generateWasmFiles(): Map<string, Buffer> {
  return new Map(policyFolders().map((f) => [relative(REPO_ROOT, committedWasmFile(f)), buildWasm(f)]));
}

function writeAll(files: Map<string, string | Buffer>): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, path), content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) {
  // Templates first: the WASM build reads each policy's entrypoint from its template, so a new
  // policy folder needs its template on disk before its module can be built.
  writeAll(generatePolicyFiles());
  writeAll(generateWasmFiles());
}
