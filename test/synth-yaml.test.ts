/**
 * Names that YAML 1.1 reads as something else (`y`, `no`, `on`, `off`, `0x1f`, `0o17`) stay strings
 * in everything synth writes, as the Go tools that apply it read YAML (sigs.k8s.io/yaml, YAML 1.1):
 * the real kubeconform, which parses that way, validates the output, and the `yaml` package reads
 * every written string back unchanged under both YAML versions.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { defineFleet } from '../lib/fleet/validate';
import { renderLock } from '../lib/fleet/lock';
import { nextLock } from '../lib/fleet/promotion';
import { toYaml } from '../lib/yaml-output';
import { renderFleetOutput } from '../synth/render';
import { kubeconform } from './support/tools';

const DIGEST = '@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** Strings some YAML reader takes for a boolean, a number, a null, a date or a merge key. */
const AMBIGUOUS = [
  'y',
  'Y',
  'n',
  'N',
  'yes',
  'No',
  'on',
  'OFF',
  'true',
  'False',
  'null',
  '~',
  '',
  '12',
  '012',
  '0o17',
  '0O17',
  '0x1f',
  '0X1F',
  '0b101',
  '0B101',
  '1_000',
  '-0X1_F',
  '1e3',
  '.5',
  '+12',
  '1.',
  '.inf',
  '.NaN',
  '1:20',
  '2026-12-03',
  '2026-1-2',
  '<<',
];

describe('toYaml', () => {
  it.each(AMBIGUOUS)('%j is written quoted and read back as that string by YAML 1.1 and 1.2', (s) => {
    const text = toYaml({ value: s });
    expect(text).not.toBe(`value: ${s}\n`);
    expect(parse(text, { version: '1.1' })).toEqual({ value: s });
    expect(parse(text, { version: '1.2' })).toEqual({ value: s });
  });

  it.each([
    'agents-1',
    'shop',
    'registry.example.com/a@sha256:0b1c',
    '10.0.0.0/16',
    'plain text',
    'y1',
    'no-op',
  ])('leaves an unambiguous string plain: %j', (s) => {
    expect(toYaml({ value: s })).toBe(`value: ${s}\n`);
  });

  it('writes no anchors for an object used twice', () => {
    const shared = { a: 1 };
    expect(toYaml({ x: shared, y: shared })).toBe('x:\n  a: 1\n"y":\n  a: 1\n');
  });
});

describe('a fleet whose names YAML 1.1 reads as booleans and numbers', () => {
  const fleet = defineFleet({
    apiVersion: 'agentguard.dev/v1alpha1',
    kind: 'AgentFleet',
    metadata: { name: 'off' },
    spec: {
      agents: [
        {
          name: 'y',
          namespace: 'no',
          image: `registry.example.com/agents/y${DIGEST}`,
          phase: 'shadow',
          targets: [{ namespace: 'on', kinds: ['ConfigMap'] }],
        },
        {
          name: 'n',
          namespace: '0x1f',
          image: `registry.example.com/agents/n${DIGEST}`,
          phase: 'supervised',
          promotion: { phase: 'supervised', approvedBy: 'lead@example.com' },
          targets: [
            {
              namespace: '0o17',
              kinds: ['Deployment'],
              create: true,
              pods: { registries: ['registry.example.com/yes'] },
            },
          ],
          egress: [{ cidr: '10.40.0.0/16', ports: [443] }],
          vault: { secrets: [{ path: 'secret/data/agents/n/*' }] },
          attribution: { initiators: ['on@example.com'] },
        },
      ],
    },
  });
  const work = mkdtempSync(join(tmpdir(), 'agentguard-yaml-'));
  const { files } = renderFleetOutput(fleet);
  const manifests: string[] = [];
  beforeAll(() => {
    for (const [path, text] of files) {
      const file = join(work, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      if (path.endsWith('.yaml') && !path.endsWith('kustomization.yaml') && !path.startsWith('audit/'))
        manifests.push(file);
    }
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('validates with the real kubeconform -strict, which reads YAML as kubectl does', () => {
    const run = kubeconform(manifests);
    const summary = JSON.parse(run.stdout) as { summary: Record<string, number> };
    expect(summary.summary).toMatchObject({ invalid: 0, errors: 0, skipped: 0 });
    expect(summary.summary.valid).toBeGreaterThan(20);
    expect(run.status).toBe(0);
  });

  it('every manifest reads back the same under YAML 1.1 and 1.2', () => {
    for (const [path, text] of files) {
      if (!path.endsWith('.yaml')) continue;
      const as = (version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => d.toJS());
      expect([path, as('1.1')]).toEqual([path, as('1.2')]);
    }
  });

  it('the lock, too', () => {
    const text = renderLock(nextLock(fleet, undefined));
    expect(parse(text, { version: '1.1' })).toEqual(parse(text, { version: '1.2' }));
    expect(text).toContain('fleet: "off"');
  });
});
