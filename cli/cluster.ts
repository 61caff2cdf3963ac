/**
 * `agentguard cluster up|down`: a local control plane on 127.0.0.1 (etcd, kube-apiserver, Gatekeeper
 * and its webhook; no kubelet, no controllers) from the pinned tools, for trying the guardrails
 * against a real API server. The work is in tools/cluster.ts, which the end-to-end tests use too.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EXIT, err, out } from './output';

export const DEFAULT_CLUSTER_DIR = '.agentguard-cluster';

export function clusterCommand(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('Start or stop a local control plane (etcd, kube-apiserver, Gatekeeper) on 127.0.0.1')
    .addHelpText(
      'after',
      '\nNo kubelet, scheduler or controllers: objects are stored, authorized and admitted, pods never run.\n' +
        'Exit codes: 0 done; 1 it could not start or stop (the message says why); 2 usage error.',
    );
  cluster
    .command('up')
    .description('Start it in the background; print the admin kubeconfig path')
    .option(
      '--dir <dir>',
      'folder for its data, logs, kubeconfig and state (git-ignored)',
      DEFAULT_CLUSTER_DIR,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 started; 1 already running, tools missing (run `npm run tools`) or a component failed.',
    )
    .action(async (opts: { dir: string }) => {
      // Loaded here, not at the top: --help must not load the control plane's dependencies.
      const { ControlPlane, ControlPlaneError } = await import('../tools/cluster');
      const dir = resolve(opts.dir);
      try {
        const plane = await ControlPlane.start({ dir, log: (line) => err(`agentguard cluster: ${line}`) });
        out(plane.kubeconfig);
        err(
          `agentguard cluster: running; use it with \`export KUBECONFIG=${plane.kubeconfig}\`, stop it with \`agentguard cluster down${opts.dir === DEFAULT_CLUSTER_DIR ? '' : ` --dir ${opts.dir}`}\``,
        );
      } catch (error) {
        if (!(error instanceof ControlPlaneError)) throw error;
        err(`agentguard cluster up: ${error.message}`);
        process.exitCode = EXIT.findings;
      }
    });
  cluster
    .command('down')
    .description('Stop the control plane started by `cluster up` and delete its folder')
    .option('--dir <dir>', 'the folder given to `cluster up`', DEFAULT_CLUSTER_DIR)
    .addHelpText('after', '\nExit codes: 0 stopped, or nothing was running; 1 it could not be stopped.')
    .action(async (opts: { dir: string }) => {
      const { readState, removeStateDir, stateIsRunning, stopProcesses } = await import('../tools/cluster');
      const dir = resolve(opts.dir);
      const state = readState(dir);
      if (!state) {
        err(`agentguard cluster down: nothing is running from ${dir}`);
        return;
      }
      const wasRunning = stateIsRunning(state);
      await stopProcesses(state.processes);
      if (stateIsRunning(state)) {
        err(`agentguard cluster down: could not stop ${state.processes.map((p) => p.pid).join(', ')}`);
        process.exitCode = EXIT.findings;
        return;
      }
      removeStateDir(dir);
      err(`agentguard cluster down: ${wasRunning ? 'stopped' : 'was not running'}; removed ${dir}`);
    });
}
