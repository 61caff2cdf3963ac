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
  readSchemaStamp,
  SCHEMA_STAMPS,
  TOOLS,
  toolStatus,
  versions,
} from './toolchain';

export function doctor(): { lines: string[]; ok: boolean } {
  const rows: string[][] = [['tool', 'pinned', 'found', 'status', 'path']];
  let ok = true;
  for (const spec of TOOLS) {
    const status = toolStatus(spec);
    if (status.state !== 'ok') ok = false;
    const where =
      status.realPath && status.realPath !== status.path
        ? `${status.path} -> ${status.realPath}`
        : status.path;
    rows.push([spec.name, spec.version, status.found ?? '-', status.state, where]);
  }
  const schemaSets: Array<[string, string, string]> = [
    [`kubernetes ${versions.kubernetes} schemas`, kubernetesSchemaDir(), SCHEMA_STAMPS.kubernetes],
    [
      'ConstraintTemplate schema',
      join(crdSchemaDir(), 'templates.gatekeeper.sh'),
      SCHEMA_STAMPS.constraintTemplate,
    ],
    ['Gatekeeper CRDs', gatekeeperManifestDir(), SCHEMA_STAMPS.gatekeeperCrds],
  ];
  for (const [label, dir, pinned] of schemaSets) {
    const found = readSchemaStamp(dir);
    const state = found === undefined ? 'missing' : found === pinned ? 'ok' : 'wrong-version';
    if (state !== 'ok') ok = false;
    rows.push([label, pinned, found ?? '-', state, dir]);
  }
  const lines = formatTable(rows);
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
