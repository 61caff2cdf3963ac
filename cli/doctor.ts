/** `agentguard doctor`: the pinned tools and their versions (tools/doctor.ts). */
import type { Command } from 'commander';
import { EXIT, out } from './output';

export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Show each pinned tool with its pinned and found version and its path')
    .addHelpText(
      'after',
      '\nExit codes: 0 all present; 1 a tool is missing or at another version (run `npm run tools`).',
    )
    .action(async () => {
      const { doctor } = await import('../tools/doctor');
      const { lines, ok } = doctor();
      out(lines.join('\n'));
      process.exitCode = ok ? EXIT.ok : EXIT.findings;
    });
}
