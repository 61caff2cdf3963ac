/**
 * `npm run synth`: validates a fleet file and writes its manifests to an output folder, atomically.
 * Bad input prints every error with its path and exits 1; nothing is written.
 */
import { Command } from 'commander';
import { FleetValidationError } from '../lib/fleet/errors';
import { loadFleetFile } from '../lib/fleet/load';
import { renderFleet } from './render';
import { writeAtomically } from './write';

export function synth(fleetFile: string, outDir: string): { files: number; agents: number } {
  const fleet = loadFleetFile(fleetFile);
  const files = renderFleet(fleet);
  writeAtomically(outDir, files);
  return { files: files.size, agents: fleet.spec.agents.length };
}

if (require.main === module) {
  const program = new Command()
    .name('synth')
    .description('Synthesize the guardrails of a fleet into an output folder')
    .option('-f, --fleet <file>', 'fleet file', 'examples/fleet.yaml')
    .option('-o, --out <dir>', 'output folder (replaced atomically)', 'dist')
    .showHelpAfterError()
    .parse();
  const { fleet, out } = program.opts<{ fleet: string; out: string }>();
  try {
    const result = synth(fleet, out);
    process.stdout.write(`synthesized ${result.agents} agents into ${out}/ (${result.files} files)\n`);
  } catch (err) {
    if (err instanceof FleetValidationError) {
      process.stderr.write(`${err.message}\nnothing was written to ${out}/\n`);
      process.exit(1);
    }
    throw err;
  }
}
