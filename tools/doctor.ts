/**
 * `agentguard doctor` (and `npm run doctor`): each pinned tool with the version it reports and where it is. Exits 1 when a
 * tool or schema set is missing or at the wrong version, naming the fix.
 */
import { join } from 'node:path';
import { formatTable } from '../lib/text-table';
import {
  crdSchemaDir,
  gatekeeperManifestDir,
  kubernetesSchemaDir,
  KUBERNETES_VERSIONS,
  readSchemaStamp,
  SCHEMA_STAMPS,
  TOOLS,
  toolStatus,
  versions,
} from './toolchain';

/** Output width: 80 columns, or the terminal's when it is narrower. */
export const DOCTOR_WIDTH = 80;

/** Breaks text into lines of at most `width` characters, each later one indented (paths have no spaces to break at). */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let rest = text;
  while (indent.length + rest.length > width) {
    lines.push(indent + rest.slice(0, width - indent.length));
    rest = rest.slice(width - indent.length);
  }
  lines.push(indent + rest);
  return lines;
}

/**
 * One row per tool (name, pinned and found version, status), its path and any long detail on the
 * lines below it, indented and wrapped, so the output fits 80 columns.
 */
export function doctor(width = Math.min(DOCTOR_WIDTH, process.stdout.columns || DOCTOR_WIDTH)): {
  lines: string[];
  ok: boolean;
} {
  const rows: string[][] = [['tool', 'pinned', 'found', 'status']];
  const details: string[][] = [[]];
  let ok = true;
  for (const spec of TOOLS) {
    const status = toolStatus(spec);
    if (status.state !== 'ok') ok = false;
    const where =
      status.realPath && status.realPath !== status.path
        ? `${status.path} -> ${status.realPath}`
        : status.path;
    rows.push([spec.name, spec.version, status.found ?? '-', status.state]);
    details.push([where]);
  }
  // Schema sets are pinned by a stamp (package or module, version, file): the table shows the version.
  const schemaSets: Array<[string, string, string, string]> = [
    ...KUBERNETES_VERSIONS.map((version): [string, string, string, string] => [
      `kubernetes ${version} schemas`,
      kubernetesSchemaDir(version),
      SCHEMA_STAMPS.kubernetes,
      versions.schemas.kubernetes.packageVersion,
    ]),
    [
      'ConstraintTemplate schema',
      join(crdSchemaDir(), 'templates.gatekeeper.sh'),
      SCHEMA_STAMPS.constraintTemplate,
      versions.schemas.constraintTemplate.moduleVersion.replace(/^v/, ''),
    ],
    [
      'Gatekeeper CRDs',
      gatekeeperManifestDir(),
      SCHEMA_STAMPS.gatekeeperCrds,
      versions.manifests.gatekeeper.moduleVersion.replace(/^v/, ''),
    ],
  ];
  for (const [label, dir, pinned, version] of schemaSets) {
    const found = readSchemaStamp(dir);
    const state = found === undefined ? 'missing' : found === pinned ? 'ok' : 'wrong-version';
    if (state !== 'ok') ok = false;
    rows.push([label, version, found === undefined ? '-' : found === pinned ? version : 'other', state]);
    details.push([
      `pinned: ${pinned}`,
      ...(found !== undefined && found !== pinned ? [`found: ${found}`] : []),
      dir,
    ]);
  }
  const lines = formatTable(rows).flatMap((line, i) => [
    line,
    ...details[i].flatMap((detail) => wrap(detail, width, '    ')),
  ]);
  if (!ok)
    lines.push(
      '',
      'Some tools are missing or at the wrong version: run `npm run tools` to install the pinned ones.',
    );
  return { lines, ok };
}

if (require.main === module) {
  const { lines, ok } = doctor();
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(ok ? 0 : 1);
}
