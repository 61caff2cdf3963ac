/** `npm run schema`: regenerates schema/fleet.schema.json from lib/fleet/schema.ts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetJsonSchema, SCHEMA_FILE } from '../lib/fleet/json-schema';
import { REPO_ROOT } from './toolchain';

writeFileSync(join(REPO_ROOT, SCHEMA_FILE), fleetJsonSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
