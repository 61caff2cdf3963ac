/**
 * The policy pack's catalog: one entry per folder under rego/, read from the generated templates in
 * policies/templates/. The Rego METADATA is the single source; tools/gen-policies.ts turns it into
 * those templates and a test fails when they drift.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packagePath } from '../lib/package-root';

export const REGO_DIR = packagePath('rego');
export const TEMPLATES_DIR = packagePath('policies', 'templates');
/** The shared library folder; every other folder under rego/ is one policy. */
export const LIB_FOLDER = 'lib';
/** Rego v1 in the `code` engine block needs Gatekeeper 3.19 or later. */
export const MINIMUM_GATEKEEPER_VERSION = '3.19.0';
export const TEMPLATE_API_VERSION = 'templates.gatekeeper.sh/v1';
export const CONSTRAINT_API_VERSION = 'constraints.gatekeeper.sh/v1beta1';
export const ANNOTATIONS = {
  policyId: 'agentguard.dev/policy-id',
  invariant: 'agentguard.dev/invariant',
  minimumGatekeeper: 'agentguard.dev/minimum-gatekeeper-version',
  title: 'metadata.gatekeeper.sh/title',
  description: 'description',
} as const;

export interface PolicyEntry {
  /** Folder under rego/, e.g. trust-phase. */
  readonly folder: string;
  /** Stable ID that leads every violation message, e.g. AG501. */
  readonly id: string;
  readonly invariant: string;
  /** Constraint kind, e.g. AgentGuardTrustPhase. */
  readonly kind: string;
  readonly title: string;
  readonly description: string;
  /** Rego package path, e.g. agentguard.trust_phase. */
  readonly packagePath: string;
  /** Whether the fleet may exempt objects from it: its template declares the exemptObjects parameter. */
  readonly exemptible: boolean;
  /** The generated ConstraintTemplate, as an object. */
  readonly template: Record<string, unknown>;
}

export function policyFolders(): string[] {
  return readdirSync(REGO_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== LIB_FOLDER)
    .map((d) => d.name)
    .sort();
}

/**
 * The shared library's files, relative to REGO_DIR and sorted: every template carries them all as
 * `libs`, and every WASM module is built from them, so a helper exists once.
 */
export function libraryFiles(): string[] {
  return readdirSync(join(REGO_DIR, LIB_FOLDER))
    .filter((name) => name.endsWith('.rego'))
    .sort()
    .map((name) => join(LIB_FOLDER, name));
}

export const templateFile = (folder: string): string => join(TEMPLATES_DIR, `${folder}.yaml`);

interface TemplateShape {
  metadata: { annotations: Record<string, string> };
  spec: {
    crd: { spec: { names: { kind: string }; validation: { openAPIV3Schema: { properties: object } } } };
    targets: { code: { source: { rego: string } }[] }[];
  };
}

let cached: readonly PolicyEntry[] | undefined;

/** Every policy of the pack, sorted by ID. */
export function policyCatalog(): readonly PolicyEntry[] {
  cached ??= policyFolders()
    .map((folder): PolicyEntry => {
      const template = parse(readFileSync(templateFile(folder), 'utf8')) as TemplateShape;
      const annotations = template.metadata.annotations;
      const rego = template.spec.targets[0].code[0].source.rego;
      return {
        folder,
        id: annotations[ANNOTATIONS.policyId],
        invariant: annotations[ANNOTATIONS.invariant],
        kind: template.spec.crd.spec.names.kind,
        title: annotations[ANNOTATIONS.title],
        description: annotations[ANNOTATIONS.description],
        packagePath: /^package\s+(\S+)/m.exec(rego)?.[1] ?? '',
        exemptible: Object.hasOwn(
          template.spec.crd.spec.validation.openAPIV3Schema.properties,
          'exemptObjects',
        ),
        template: template as unknown as Record<string, unknown>,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  return cached;
}

export function policyByFolder(folder: string): PolicyEntry {
  const entry = policyCatalog().find((p) => p.folder === folder);
  if (!entry) throw new Error(`no policy folder rego/${folder}; known: ${policyFolders().join(', ')}`);
  return entry;
}
