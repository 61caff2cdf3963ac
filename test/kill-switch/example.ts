/** The example fleet synthesized once per test file into a scratch dist/, as `npm run synth` writes it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib/fleet/load';
import type { Agent, Fleet } from '../../lib/fleet/schema';
import { renderFleet } from '../../synth/render';
import { writeAtomically } from '../../synth/write';
import { REPO_ROOT } from '../../tools/toolchain';

export const exampleFleet = (): Fleet => loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));

let dist: string | undefined;
export function exampleDist(): string {
  if (dist) return dist;
  dist = join(mkdtempSync(join(tmpdir(), 'agentguard-kill-dist-')), 'dist');
  writeAtomically(dist, renderFleet(exampleFleet()));
  return dist;
}

export const scriptOf = (agent: Pick<Agent, 'name'>): string =>
  join(exampleDist(), 'kill-switch', `kill-${agent.name}.sh`);

export function exampleAgent(name: string): Agent {
  const agent = exampleFleet().spec.agents.find((a) => a.name === name);
  if (!agent) throw new Error(`no agent ${name} in the example fleet`);
  return agent;
}
