/**
 * The shipped examples load, the published JSON Schema is what the zod schema generates (no drift),
 * and a standard JSON Schema validator agrees with the loader on valid and invalid fleets.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fleetJsonSchema, SCHEMA_FILE } from '../../lib/fleet/json-schema';
import { loadFleetFile } from '../../lib/fleet/load';
import { PHASES } from '../../lib/phases';
import { REPO_ROOT } from '../../tools/toolchain';
import { mutated, type Loose } from '../support/fleets';

const examples = readdirSync(join(REPO_ROOT, 'examples'))
  // Promotion locks (`*.lock.yaml`) sit beside their fleets; they are not fleets.
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.lock.yaml'))
  .map((f) => join(REPO_ROOT, 'examples', f));

describe('examples', () => {
  it.each(examples)('%s loads', (file) => {
    expect(() => loadFleetFile(file)).not.toThrow();
  });

  it('cover all four phases, at least four agents and a Job or CronJob agent', () => {
    const agents = examples.flatMap((f) => loadFleetFile(f).spec.agents);
    expect(agents.length).toBeGreaterThanOrEqual(4);
    expect(new Set(agents.map((a) => a.phase))).toEqual(new Set(PHASES));
    expect(agents.some((a) => a.workload.kind !== 'deployment')).toBe(true);
  });

  it('fill secure defaults for what they leave out', () => {
    const fleet = loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));
    const costAnalyst = fleet.spec.agents.find((a) => a.name === 'cost-analyst');
    expect(costAnalyst).toMatchObject({
      workload: { kind: 'deployment', replicas: 1, resources: { cpuLimit: '500m', memoryLimit: '512Mi' } },
      egress: [],
      killSwitch: { state: 'armed' },
      attribution: { initiators: [] },
      vault: { secrets: [{ path: 'secret/data/agents/cost-analyst/*', capabilities: ['read'] }] },
      targets: [{ namespace: 'shop', create: false, deleteKinds: [] }, { namespace: 'payments' }],
    });
  });
});

describe('published JSON Schema', () => {
  const published = readFileSync(join(REPO_ROOT, SCHEMA_FILE), 'utf8');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(published));

  it('is exactly what the zod schema generates (run `npm run schema` after changing it)', () => {
    expect(published).toBe(fleetJsonSchema());
  });

  it.each(examples)('accepts %s', (file) => {
    expect(validate(parse(readFileSync(file, 'utf8')))).toBe(true);
  });

  it.each([
    ['a misspelled phase', (f: Loose) => (f.spec.agents[0].phase = 'autonmous')],
    ['an unknown key', (f: Loose) => (f.spec.agents[0].imagee = 'x')],
    ['a guardrail kind', (f: Loose) => (f.spec.agents[0].targets[0].kinds = ['Secret'])],
  ])('rejects %s, as editors will while the file is typed', (_title, mutate) => {
    expect(validate(mutated(mutate))).toBe(false);
  });
});
