/** Running the real pinned tools from tests. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSTRAINT_API_VERSION, policyCatalog } from '../../policies/catalog';
import { QUIET_ENV, schemaDir, toolPath, versions, type ToolName } from '../../tools/toolchain';

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runTool(name: ToolName, args: readonly string[], input?: string): ToolRun {
  const result = spawnSync(toolPath(name), [...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...QUIET_ENV },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * kubeconform in strict mode against the pinned, offline Kubernetes and CRD schemas, plus a schema
 * for each policy-pack Constraint kind built from its template, as Gatekeeper builds the CRD.
 */
export function kubeconform(
  files: readonly string[],
  kubernetesVersion: string = versions.kubernetes,
): ToolRun {
  const constraints = constraintSchemaDir();
  return runTool('kubeconform', [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    kubernetesVersion,
    '-schema-location',
    join(
      schemaDir(),
      'kubernetes',
      '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json',
    ),
    '-schema-location',
    join(schemaDir(), 'crds', '{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    '-schema-location',
    join(constraints, '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    ...files,
  ]);
}

let constraintSchemas: string | undefined;

/** Strict JSON schemas for the Constraint kinds: spec.parameters is the template's own schema. */
function constraintSchemaDir(): string {
  if (constraintSchemas) return constraintSchemas;
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-constraint-schemas-'));
  const version = CONSTRAINT_API_VERSION.split('/')[1];
  for (const policy of policyCatalog()) {
    const template = policy.template as {
      spec: { crd: { spec: { validation: { openAPIV3Schema: Record<string, unknown> } } } };
    };
    const schema = {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      additionalProperties: false,
      properties: {
        apiVersion: { const: CONSTRAINT_API_VERSION },
        kind: { const: policy.kind },
        metadata: { type: 'object' },
        spec: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enforcementAction: { enum: ['deny', 'warn', 'dryrun', 'scoped'] },
            scopedEnforcementActions: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['action', 'enforcementPoints'],
                properties: {
                  action: { enum: ['deny', 'warn', 'dryrun'] },
                  enforcementPoints: {
                    type: 'array',
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['name'],
                      properties: { name: { type: 'string' } },
                    },
                  },
                },
              },
            },
            match: { type: 'object' },
            parameters: template.spec.crd.spec.validation.openAPIV3Schema,
          },
        },
      },
    };
    writeFileSync(join(dir, `${policy.kind.toLowerCase()}_${version}.json`), JSON.stringify(schema));
  }
  constraintSchemas = dir;
  return dir;
}
