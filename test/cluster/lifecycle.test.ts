/**
 * The control plane always stops what it started: on a startup failure or timeout, and when the
 * process that started it dies, even by SIGKILL (a killed jest worker), through its watchdog.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ControlPlane } from '../../tools/cluster';
import { REPO_ROOT } from '../../tools/toolchain';

jest.setTimeout(120_000);

/** Pids of processes whose command line mentions `dir` (the plane's folder is in every one's flags). */
function processesUsing(dir: string): number[] {
  const ps = spawnSync('ps', ['-eww', '-o', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((line) => line.includes(dir) && /etcd|kube-apiserver|gatekeeper-manager/.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the control plane stops what it started', () => {
  it('on a startup timeout, with the log of the component that was not ready', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'agentguard-lifecycle-')), 'plane');
    await expect(ControlPlane.start({ dir, timeoutMs: 1500, tiedToProcess: true })).rejects.toThrow(
      /was not ready in time; its log/,
    );
    expect(processesUsing(dir)).toEqual([]);
  });

  it('survives a port taken by another process between picking and binding it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'agentguard-lifecycle-')), 'plane');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', () => resolve()));
    const taken = (squatter.address() as AddressInfo).port;
    const lines: string[] = [];
    let first = true;
    const plane = await ControlPlane.start({
      dir,
      tiedToProcess: true,
      log: (line) => lines.push(line),
      // The first port handed out (etcd's client port) is one a squatter already holds.
      freePort: async () => {
        if (first) {
          first = false;
          return taken;
        }
        return new Promise((resolve) => {
          const probe = createServer();
          probe.listen(0, '127.0.0.1', () => {
            const port = (probe.address() as AddressInfo).port;
            probe.close(() => resolve(port));
          });
        });
      },
    });
    try {
      expect(lines).toContain(
        'etcd: a port was taken by another process meanwhile; starting it again on new ports',
      );
      expect(plane.state.ports.etcd).not.toBe(taken);
      expect(plane.state.processes.map((p) => p.name)).toEqual([
        'etcd',
        'kube-apiserver',
        'gatekeeper-manager',
      ]);
    } finally {
      await plane.stop();
      squatter.close();
    }
    expect(processesUsing(dir)).toEqual([]);
  });

  it.each([
    ['exits without stopping it (exit hook)', 'exit'],
    ['is killed with SIGKILL (watchdog)', 'SIGKILL'],
  ])('when the process that started it %s', async (_, how) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'agentguard-lifecycle-')), 'plane');
    const script = `require('${join(REPO_ROOT, 'tools', 'cluster.ts')}').ControlPlane.start({ dir: ${JSON.stringify(dir)}, tiedToProcess: true }).then(() => { console.log('up'); ${how === 'exit' ? 'setTimeout(() => process.exit(0), 1000)' : 'setInterval(() => undefined, 1000)'}; }, (e) => { console.error(e); process.exit(1); });`;
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      child.on('exit', (code) => reject(new Error(`exited ${code} before the plane was up`)));
    });
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      processes: Array<{ pid: number }>;
    };
    expect(processesUsing(dir).sort()).toEqual(state.processes.map((p) => p.pid).sort());
    if (how === 'SIGKILL') child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (processesUsing(dir).length > 0 && Date.now() < deadline) await sleep(200);
    expect(processesUsing(dir)).toEqual([]);
  });
});
