/**
 * Parts of synth on a worker thread (synth/worker.ts): the compiled module, as the CLI runs it, gives
 * the same bytes as rendering inline, and an error on the worker reaches the caller as the same kind
 * of error (a FleetValidationError stays one, so the CLI still reports bad input).
 */
import { join } from 'node:path';
import { FleetValidationError } from '../lib/fleet/errors';
import { loadFleetFile } from '../lib/fleet/load';
import type { Fleet } from '../lib/fleet/schema';
import { renderAgents } from '../synth/render-agents';
import { vaultStackJson } from '../synth/vault';
import { startAgents, startVaultStack } from '../synth/worker';
import { REPO_ROOT } from '../tools/toolchain';
import { EXAMPLE_FLEET } from './support/cli';
import { generatedFleet } from '../tools/bench';

// The build global setup keeps build/ current; jest runs these sources through ts-jest.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require(join(REPO_ROOT, 'build', 'synth', 'worker.js')) as {
  startVaultStack: typeof startVaultStack;
  startAgents: typeof startAgents;
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiledErrors = require(join(REPO_ROOT, 'build', 'lib', 'fleet', 'errors.js')) as {
  FleetValidationError: typeof FleetValidationError;
};

const example = loadFleetFile(EXAMPLE_FLEET);
const generated = generatedFleet(60);
const location = { fleetDir: '/srv/fleets', stackDir: '/srv/fleets/dist/vault' };

describe('startVaultStack', () => {
  it.each([
    ['the example fleet', example, undefined],
    ['the example fleet, with a stack location', example, location],
    ['a generated fleet of 60 agents', generated, location],
  ])('%s: on a worker, the same bytes as inline', (_, fleet, where) => {
    const pending = compiled.startVaultStack(fleet, where);
    expect(pending.onWorker).toBe(true);
    expect(pending.result()).toBe(vaultStackJson(fleet, where));
  });

  it('an error on the worker is thrown by result(), with its message', () => {
    const pending = compiled.startVaultStack({ spec: {} } as unknown as Fleet);
    expect(pending.onWorker).toBe(true);
    expect(() => pending.result()).toThrow("Cannot read properties of undefined (reading 'backend')");
  });

  it('from sources (no compiled worker file) it renders inline', () => {
    const pending = startVaultStack(example);
    expect(pending.onWorker).toBe(false);
    expect(pending.result()).toBe(vaultStackJson(example));
  });
});

describe('startAgents', () => {
  it.each([
    ['the example fleet, all agents', example, 0, example.spec.agents.length],
    ['a slice of a generated fleet', generated, 7, 31],
  ])('%s: on a worker, the same files and objects as inline', (_, fleet, from, to) => {
    const pending = compiled.startAgents(fleet, from, to);
    expect(pending.onWorker).toBe(true);
    const part = pending.result();
    expect(part).toEqual(renderAgents(fleet, fleet.spec.agents.slice(from, to)));
    expect(part.files.map(([path]) => path)).toEqual(
      fleet.spec.agents
        .slice(from, to)
        .flatMap((a) => [`agents/${a.name}/agent.yaml`, `agents/${a.name}/kustomization.yaml`]),
    );
  });

  it('an empty slice starts no thread', () => {
    const pending = compiled.startAgents(generated, 5, 5);
    expect(pending.onWorker).toBe(false);
    expect(pending.result()).toEqual({ files: [], manifests: [] });
  });

  it('an object over etcd limit on the worker is a FleetValidationError naming its file', () => {
    // An agent whose egress list alone makes its NetworkPolicy larger than etcd takes.
    const agent = generated.spec.agents[0];
    const huge: Fleet = {
      ...generated,
      spec: {
        ...generated.spec,
        agents: [
          {
            ...agent,
            egress: Array.from({ length: 40_000 }, (_, i) => ({
              cidr: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
              ports: [443],
            })),
          },
        ],
      },
    };
    const pending = compiled.startAgents(huge, 0, 1);
    expect(pending.onWorker).toBe(true);
    let thrown: unknown;
    try {
      pending.result();
    } catch (err) {
      thrown = err;
    }
    // The compiled module's class: the CLI's error handling, run from build/, sees this one.
    expect(thrown).toBeInstanceOf(compiledErrors.FleetValidationError);
    expect((thrown as FleetValidationError).message).toMatch(/agents\/a0\/agent\.yaml/);
    expect((thrown as FleetValidationError).errors[0].path).toBe('spec.agents');
  });
});
