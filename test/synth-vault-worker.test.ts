/**
 * The Vault stack on a worker thread (synth/vault-worker.ts): the compiled module, as the CLI runs it,
 * gives the same bytes as the inline synthesis, and an error on the worker reaches the caller.
 */
import { join } from 'node:path';
import { loadFleetFile } from '../lib/fleet/load';
import type { Fleet } from '../lib/fleet/schema';
import { startVaultStack } from '../synth/vault-worker';
import { vaultStackJson } from '../synth/vault';
import { REPO_ROOT } from '../tools/toolchain';
import { EXAMPLE_FLEET } from './support/cli';
import { generatedFleet } from '../tools/bench';

// The build global setup keeps build/ current; jest runs these sources through ts-jest.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require(join(REPO_ROOT, 'build', 'synth', 'vault-worker.js')) as {
  startVaultStack: typeof startVaultStack;
};

describe('startVaultStack', () => {
  const example = loadFleetFile(EXAMPLE_FLEET);
  const location = { fleetDir: '/srv/fleets', stackDir: '/srv/fleets/dist/vault' };

  it.each([
    ['the example fleet', example, undefined],
    ['the example fleet, with a stack location', example, location],
    ['a generated fleet of 60 agents', generatedFleet(60), location],
  ])('%s: on a worker, the same bytes as inline', (_, fleet, where) => {
    const pending = compiled.startVaultStack(fleet, where);
    expect(pending.onWorker).toBe(true);
    expect(pending.json()).toBe(vaultStackJson(fleet, where));
  });

  it('an error on the worker is thrown by json(), with its message', () => {
    const pending = compiled.startVaultStack({ spec: {} } as unknown as Fleet);
    expect(pending.onWorker).toBe(true);
    expect(() => pending.json()).toThrow("Cannot read properties of undefined (reading 'backend')");
  });

  it('from sources (no compiled worker file) it synthesizes inline', () => {
    const pending = startVaultStack(example);
    expect(pending.onWorker).toBe(false);
    expect(pending.json()).toBe(vaultStackJson(example));
  });
});
