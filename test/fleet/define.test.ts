/** A TypeScript app builds the same validated model as the YAML loader, without YAML. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FleetValidationError } from '../../lib/fleet/errors';
import { loadFleetFile } from '../../lib/fleet/load';
import type { FleetInput } from '../../lib/fleet/schema';
import { defineFleet } from '../../lib/fleet/validate';
import { REPO_ROOT } from '../../tools/toolchain';
import { validFleet } from '../support/fleets';

describe('defineFleet', () => {
  it('gives the same model as loading the YAML file', () => {
    const file = join(REPO_ROOT, 'examples', 'fleet.yaml');
    const input = parse(readFileSync(file, 'utf8')) as FleetInput;
    expect(defineFleet(input)).toEqual(loadFleetFile(file));
  });

  it('fills defaults for a typed input', () => {
    const fleet = defineFleet(validFleet());
    expect(fleet.spec.vault).toEqual({
      namespace: 'vault',
      port: 8200,
      kubernetesAuthPath: 'kubernetes',
      audience: 'vault',
      kubernetesSecretsPath: 'kubernetes',
      manageBackends: false,
    });
    expect(fleet.spec.agents[0].limits.maxReplicas).toBe(3);
  });

  it('throws every error at once, with paths', () => {
    const input = validFleet();
    input.spec.agents[0].phase = 'supervised';
    input.spec.agents[1].targets = [{ namespace: 'agents-writer', kinds: ['Deployment'] }];
    expect(() => defineFleet(input)).toThrow(FleetValidationError);
    try {
      defineFleet(input);
    } catch (err) {
      expect((err as FleetValidationError).errors.map((e) => e.path)).toEqual([
        'spec.agents[0].attribution.initiators',
        'spec.agents[1].targets[0].namespace',
      ]);
    }
  });
});
