/** `agentguard report`: each agent's blast radius (synth/report/), or how it changes against an old fleet. */
import type { Command } from 'commander';
import type { AgentReach } from '../synth/report/model';
import { EXIT, out, UsageError } from './output';

interface ReportFlags {
  readonly fleet: string;
  readonly agent?: string;
  readonly diff?: string;
  readonly out?: string;
}

function only(reaches: AgentReach[], agent: string | undefined, known: readonly AgentReach[]): AgentReach[] {
  if (agent === undefined) return reaches;
  if (!known.some((r) => r.name === agent)) {
    throw new UsageError(
      `--agent ${agent}: no such agent; the fleet has ${known.map((r) => r.name).join(', ')}`,
    );
  }
  return reaches.filter((r) => r.name === agent);
}

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description("Markdown report of each agent's blast radius, computed from the synthesized guardrails")
    .option('-f, --fleet <file>', 'fleet file', 'examples/fleet.yaml')
    .option('--agent <name>', 'only this agent')
    .option(
      '--diff <old-fleet>',
      "show how each agent's reach changes from this (older) fleet file to --fleet",
    )
    .option('-o, --out <file>', 'write the Markdown to this file (atomically) instead of stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 written; 1 an invalid fleet; 2 usage or bad input (an unknown --agent or flag, a missing or unreadable fleet file).',
    )
    .action(async (flags: ReportFlags) => {
      const { loadFleetFile } = await import('../lib/fleet/load');
      const { writeFileAtomically } = await import('../synth/write');
      const { diffReach, renderDiff } = await import('../synth/report/diff');
      const { renderReport } = await import('../synth/report/markdown');
      const { fleetReach } = await import('../synth/report/reach');
      const fleet = loadFleetFile(flags.fleet);
      const reaches = fleetReach(fleet);
      let markdown: string;
      if (flags.diff !== undefined) {
        const before = fleetReach(loadFleetFile(flags.diff));
        const known = [...reaches, ...before];
        markdown = renderDiff(
          fleet.metadata.name,
          diffReach(only(before, flags.agent, known), only(reaches, flags.agent, known)),
        );
      } else {
        markdown = renderReport(
          fleet.metadata.name,
          only(reaches, flags.agent, reaches),
          fleet.spec.exemptions,
        );
      }
      if (flags.out !== undefined) writeFileAtomically(flags.out, markdown);
      else out(markdown);
      process.exitCode = EXIT.ok;
    });
}
