/** `agentguard doctor`: the pinned tools with their versions; exit 1 when one is missing. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLS } from '../../tools/toolchain';
import { agentguard } from '../support/cli';

describe('agentguard doctor', () => {
  it('shows every pinned tool with the version found, and exits 0 when all are installed', () => {
    const run = agentguard(['doctor']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^tool\s+pinned\s+found\s+status$/m);
    // 80 columns: each path (and a schema's pin) on the lines below its tool, wrapped.
    for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(run.stdout).toMatch(/^opa\s+1\.19\.0\s+1\.19\.0\s+ok\n {4}\S*opa$/m);
    for (const tool of TOOLS)
      expect(run.stdout).toMatch(new RegExp(`^${tool.name}\\s+\\S+\\s+\\S+\\s+ok\\s`, 'm'));
  });

  it('exits 1 and names the fix when the tools are missing', () => {
    const run = agentguard(['doctor'], {
      AGENTGUARD_TOOLS_DIR: mkdtempSync(join(tmpdir(), 'agentguard-none-')),
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^opa\s+1\.19\.0\s+-\s+missing\s/m);
    expect(run.stdout).toContain('run `npm run tools`');
  });
});
