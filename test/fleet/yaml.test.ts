/** Loading fleet YAML: positions in messages, YAML syntax errors, and file errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetValidationError, UnreadableFileError } from '../../lib/fleet/errors';
import { loadFleetFile, parseFleet } from '../../lib/fleet/load';
import { DIGEST } from '../support/fleets';

const HEADER =
  'apiVersion: agentguard.dev/v1alpha1\nkind: AgentFleet\nmetadata:\n  name: f\nspec:\n  agents:\n';

function agent(lines: string): string {
  return `${HEADER}    - name: a\n      namespace: agents-a\n      image: r.example.com/a@${DIGEST}\n${lines}`;
}

describe('fleet YAML', () => {
  it('points each error at its line and column, in reading order', () => {
    const result = parseFleet(
      agent('      phase: autonmous\n      targets:\n        - namespace: shop\n          kindz: [Job]\n'),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        path: 'spec.agents[0].phase',
        message: '"autonmous" is not one of shadow, advisory, supervised, autonomous',
        line: 10,
        column: 7,
      },
      { path: 'spec.agents[0].targets[0].kinds', message: 'is required (a list)', line: 12, column: 11 },
      {
        path: 'spec.agents[0].targets[0].kindz',
        message: 'unknown key; did you mean "kinds"?',
        line: 13,
        column: 11,
      },
    ]);
  });

  it('reports YAML syntax errors with their position and validates nothing', () => {
    const result = parseFleet(`${HEADER}    - name: [unclosed\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ path: '(yaml)', line: 8, column: 1 });
  });

  it('rejects a duplicated key instead of keeping the last value', () => {
    const result = parseFleet(agent('      phase: shadow\n      phase: autonomous\n'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ path: '(yaml)', message: 'Map keys must be unique', line: 11 });
  });

  it('throws FleetValidationError naming the file and every error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-yaml-'));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, agent('      phase: autonmous\n      workload: {replicas: -1}\n'));
    expect(() => loadFleetFile(file)).toThrow(FleetValidationError);
    try {
      loadFleetFile(file);
    } catch (err) {
      expect((err as Error).message).toBe(
        `${file} is invalid (2 errors):\n` +
          `  ${file}:10:7: spec.agents[0].phase: "autonmous" is not one of shadow, advisory, supervised, autonomous\n` +
          `  ${file}:11:18: spec.agents[0].workload.replicas: -1 is below the minimum 0`,
      );
    }
  });

  it('reports a missing file as unreadable, not as an invalid fleet', () => {
    expect(() => loadFleetFile('/nonexistent/fleet.yaml')).toThrow(UnreadableFileError);
    expect(() => loadFleetFile('/nonexistent/fleet.yaml')).toThrow(
      '/nonexistent/fleet.yaml: no such file; check the path',
    );
  });
});
