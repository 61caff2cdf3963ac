/** `agentguard report`: each agent's blast radius (synth/report/), or how it changes against an old fleet. */
import type { Command } from 'commander';
import type { AgentReach } from '../synth/report/model';
import { err, EXIT, out, UsageError } from './output';

interface ReportFlags {
  readonly fleet: string;
  readonly agent?: string;
  readonly diff?: string;
  readonly out?: string;
  readonly exitCode: boolean;
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
    .option(
      '--exit-code',
      "with --diff: exit 1 when an agent's reach grew (an agent added, a grant added, an admission guard removed or changed, a phase raised, a kill switch released, enforcement relaxed), as git diff --exit-code",
      false,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 written; 1 an invalid fleet, or with --diff --exit-code an agent whose reach grew (the reasons on stderr); 2 usage or bad input (an unknown --agent or flag, a missing or unreadable fleet file, or one that is not valid YAML).',
    )
    .action(async (flags: ReportFlags) => {
      const { loadFleetFile } = await import('../lib/fleet/load');
      const { writeFileAtomically } = await import('../synth/write');
      const { diffReach, grownAgents, renderDiff } = await import('../synth/report/diff');
      const { renderReport } = await import('../synth/report/markdown');
      const { fleetReach } = await import('../synth/report/reach');
      const fleet = loadFleetFile(flags.fleet);
      const reaches = fleetReach(fleet);
      if (flags.exitCode && flags.diff === undefined) {
        throw new UsageError(
          '--exit-code needs --diff OLD_FLEET: it reports whether reach grew from the old fleet',
        );
      }
      let markdown: string;
      let grew = false;
      if (flags.diff !== undefined) {
        const before = fleetReach(loadFleetFile(flags.diff));
        const known = [...reaches, ...before];
        const diff = diffReach(only(before, flags.agent, known), only(reaches, flags.agent, known));
        markdown = renderDiff(fleet.metadata.name, diff);
        if (flags.exitCode) {
          const grown = grownAgents(diff);
          for (const [name, reasons] of grown)
            err(`agentguard: reach of ${name} grew: ${reasons.join('; ')}`);
          grew = grown.size > 0;
        }
      } else {
        markdown = renderReport(
          fleet.metadata.name,
          only(reaches, flags.agent, reaches),
          fleet.spec.exemptions,
        );
      }
      if (flags.out !== undefined) writeFileAtomically(flags.out, markdown);
      else out(markdown);
      process.exitCode = grew ? EXIT.findings : EXIT.ok;
    });
}
