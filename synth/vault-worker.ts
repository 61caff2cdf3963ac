/**
 * The Vault stack synthesized on a second thread while the main one renders the Kubernetes
 * manifests: the two depend only on the validated fleet, and cdktf's token resolution is about a
 * quarter of synth's time on a large fleet. The caller stays synchronous (synth is a synchronous
 * library call): it blocks on a shared flag only when it needs the result, then takes the message.
 *
 * This file is both sides: `startVaultStack` for the caller, and the worker's body when it is loaded
 * as a worker. Without the compiled worker file (sources run through ts-jest or tsx), or when a thread
 * cannot be started, the stack is synthesized inline: the same function, so the same bytes.
 */
import { existsSync } from 'node:fs';
import {
  isMainThread,
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import type { Fleet } from '../lib/fleet/schema';
import type { StackLocation } from '../lib/vault/backend';
import { vaultStackJson } from './vault';

interface Job {
  readonly fleet: Fleet;
  readonly location?: StackLocation;
  /** Int32 flag: 0 while the worker runs, 1 once it has posted its answer. */
  readonly done: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** How long the caller waits for the worker: far longer than the stack of any fleet synth accepts takes. */
const WORKER_DEADLINE_MS = 15 * 60_000;

/** The key of a job in `workerData`, so this module does nothing in threads it did not start. */
const JOB = 'agentguard.vaultStack';

type Answer = { json: string } | { error: { message: string; stack?: string } };

/** A Vault stack being synthesized; `json()` gives its Terraform JSON, waiting for it if need be. */
export interface PendingStack {
  /** Whether it runs on a worker thread (false: it is synthesized inline when `json()` is called). */
  readonly onWorker: boolean;
  json(): string;
}

export function startVaultStack(fleet: Fleet, location?: StackLocation): PendingStack {
  // Only compiled JavaScript can be a worker's entry point without a loader.
  if (!__filename.endsWith('.js') || !existsSync(__filename)) return inline(fleet, location);
  const done = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    const job: Job = { fleet, location, done, port: port2 };
    worker = new Worker(__filename, { workerData: { [JOB]: job }, transferList: [port2] });
  } catch {
    return inline(fleet, location);
  }
  worker.unref();
  return {
    onWorker: true,
    json() {
      // A worker killed outright (out of memory) never sets the flag: give up rather than hang.
      const deadline = Date.now() + WORKER_DEADLINE_MS;
      while (Atomics.wait(new Int32Array(done), 0, 0, 10_000) === 'timed-out') {
        if (Date.now() > deadline) {
          void worker.terminate();
          throw new Error(
            `the Vault stack worker did not answer in ${WORKER_DEADLINE_MS / 60_000} minutes; it may have run out of memory (split the fleet, or raise --max-old-space-size)`,
          );
        }
      }
      const answer = receiveMessageOnPort(port1)?.message as Answer | undefined;
      port1.close();
      if (!answer) throw new Error('the Vault stack worker ended without an answer');
      if ('error' in answer) {
        const err = new Error(answer.error.message);
        err.stack = answer.error.stack;
        throw err;
      }
      return answer.json;
    },
  };
}

function inline(fleet: Fleet, location?: StackLocation): PendingStack {
  return { onWorker: false, json: () => vaultStackJson(fleet, location) };
}

const job = isMainThread ? undefined : (workerData as Record<string, Job> | null)?.[JOB];
if (job) {
  let answer: Answer;
  try {
    answer = { json: vaultStackJson(job.fleet, job.location) };
  } catch (err) {
    answer = { error: { message: (err as Error).message, stack: (err as Error).stack } };
  }
  job.port.postMessage(answer);
  job.port.close();
  const flag = new Int32Array(job.done);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
