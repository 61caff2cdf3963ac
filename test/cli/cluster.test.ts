/** `agentguard cluster up|down` as a user runs it: clear errors, one running plane per folder, a clean stop. */
import { mkdtempSync, mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState } from '../../tools/cluster';
import { toolPath } from '../../tools/toolchain';
import { agentguard } from '../support/cli';
import { spawnSync } from 'node:child_process';

jest.setTimeout(120_000);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('agentguard cluster', () => {
  const work = mkdtempSync(join(tmpdir(), 'agentguard-cluster-cli-'));

  it('up without the tools says to run npm run tools, exits 1 and starts nothing', () => {
    const run = agentguard(['cluster', 'up', '--dir', join(work, 'no-tools')], {
      AGENTGUARD_TOOLS_DIR: join(work, 'empty-tools'),
    });
    expect(run.stderr).toContain('etcd is not installed: run `npm run tools`');
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
    expect(existsSync(join(work, 'no-tools'))).toBe(false);
  });

  it('refuses a folder it did not make, and down with nothing running exits 0', () => {
    const foreign = join(work, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'precious.txt'), 'mine');
    const up = agentguard(['cluster', 'up', '--dir', foreign]);
    expect(up.stderr).toContain('is not empty and was not made by agentguard cluster; choose another folder');
    expect(up.status).toBe(1);
    expect(existsSync(join(foreign, 'precious.txt'))).toBe(true);
    const down = agentguard(['cluster', 'down', '--dir', join(work, 'never')]);
    expect(down.stderr).toContain('nothing is running from');
    expect(down.status).toBe(0);
  });

  it('up prints the kubeconfig of a working plane on 127.0.0.1; a second up is refused; down stops every process', () => {
    const dir = join(work, 'plane');
    const up = agentguard(['cluster', 'up', '--dir', dir]);
    const state = readState(dir);
    try {
      expect(up.status).toBe(0);
      expect(up.stdout.trim()).toBe(join(dir, 'admin.kubeconfig'));
      expect(state?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const get = spawnSync(
        toolPath('kubectl'),
        ['--kubeconfig', up.stdout.trim(), 'get', 'crd', '-o', 'name'],
        {
          encoding: 'utf8',
        },
      );
      expect(get.stdout).toContain('constrainttemplates.templates.gatekeeper.sh');
      const again = agentguard(['cluster', 'up', '--dir', dir]);
      expect(again.stderr).toMatch(/a control plane is already running from .* stop it first/);
      expect(again.status).toBe(1);
    } finally {
      const down = agentguard(['cluster', 'down', '--dir', dir]);
      expect(down.stderr).toContain('stopped; removed');
      expect(down.status).toBe(0);
    }
    expect(state?.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'gatekeeper-manager']);
    for (const p of state?.processes ?? []) expect(alive(p.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
