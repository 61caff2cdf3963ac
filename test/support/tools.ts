/** Running the real pinned tools from tests. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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

/** kubeconform in strict mode against the pinned, offline Kubernetes and CRD schemas. */
export function kubeconform(files: readonly string[]): ToolRun {
  return runTool('kubeconform', [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    versions.kubernetes,
    '-schema-location',
    join(
      schemaDir(),
      'kubernetes',
      '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json',
    ),
    '-schema-location',
    join(schemaDir(), 'crds', '{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    ...files,
  ]);
}
