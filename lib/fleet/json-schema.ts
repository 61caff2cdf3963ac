/** The published JSON Schema of the fleet file, generated from the zod schema (never edited by hand). */
import { z } from 'zod';
import { API_VERSION, FleetSchema } from './schema';

export const SCHEMA_FILE = 'schema/fleet.schema.json';

export function fleetJsonSchema(): string {
  const schema = z.toJSONSchema(FleetSchema, { io: 'input', target: 'draft-2020-12' });
  const published = {
    ...schema,
    $id: `https://agentguard.dev/schemas/${API_VERSION}/fleet.schema.json`,
    title: 'agentguard AgentFleet',
  };
  return `${JSON.stringify(published, null, 2)}\n`;
}
