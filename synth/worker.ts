/**
 * Parts of synth on a second thread while the main one renders the rest: the Vault stack (cdktf's
 * token resolution) and a slice of the agents' folders depend only on the validated fleet. The caller
 * stays synchronous (synth is a synchronous library call): it blocks on a shared flag only when it
 * needs a result, then takes the message.
 *
 * This file is both sides: `startVaultStack` and `startAgents` for the caller, and the worker's body
 * when it is loaded as a worker. Without the compiled worker file (sources run through ts-jest or
 * tsx), or when a thread cannot be started, the part is rendered inline when asked for: the same
 * function either way, so the same bytes.
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
import { FleetValidationError, type FleetError } from '../lib/fleet/errors';
import type { Fleet } from '../lib/fleet/schema';
import type { StackLocation } from '../lib/vault/backend';
import type { RenderedPart } from './render-agents';

/** What a worker does: the fleet's Vault stack, or its agents from index `from` up to `to`. */
type Task =
  | { readonly kind: 'vault'; readonly fleet: Fleet; readonly location?: StackLocation }
  | { readonly kind: 'agents'; readonly fleet: Fleet; readonly from: number; readonly to: number };

/*
 * Each task loads only its own libraries: a thread that builds the Vault stack needs no cdk8s, and
 * one that renders agents no cdktf (loading them costs a thread about as much as a small fleet).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function perform(task: Task): unknown {
  if (task.kind === 'vault') {
    const { vaultStackJson } = require('./vault') as typeof import('./vault');
    return vaultStackJson(task.fleet, task.location);
  }
  const { renderAgents } = require('./render-agents') as typeof import('./render-agents');
  return renderAgents(task.fleet, task.fleet.spec.agents.slice(task.from, task.to));
}
/* eslint-enable @typescript-eslint/no-require-imports */

interface Job {
  readonly task: Task;
  /** Int32 flag: 0 while the worker runs, 1 once it has posted its answer. */
  readonly done: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** The key of a job in `workerData`, so this module does nothing in threads it did not start. */
const JOB = 'agentguard.synth';

/** How long the caller waits for a worker: far longer than any part of a fleet synth accepts takes. */
const WORKER_DEADLINE_MS = 15 * 60_000;

interface ErrorAnswer {
  readonly message: string;
  readonly stack?: string;
  /** Set for a FleetValidationError, so the caller throws one too (the CLI reports it as bad input). */
  readonly fleet?: { readonly errors: readonly FleetError[]; readonly source?: string };
}

type Answer = { value: unknown } | { error: ErrorAnswer };

/** A part being rendered; `result()` gives it, waiting for it if need be. */
export interface Pending<T> {
  /** Whether it runs on a worker thread (false: it is rendered inline when `result()` is called). */
  readonly onWorker: boolean;
  result(): T;
}

/** The fleet's Vault stack as Terraform JSON (synth/vault.ts). */
export const startVaultStack = (fleet: Fleet, location?: StackLocation): Pending<string> =>
  start({ kind: 'vault', fleet, location });

/** The folders of the fleet's agents from index `from` up to `to` (synth/render-agents.ts). */
export const startAgents = (fleet: Fleet, from: number, to: number): Pending<RenderedPart> =>
  from < to
    ? start({ kind: 'agents', fleet, from, to })
    : { onWorker: false, result: () => ({ files: [], manifests: [] }) };

function start<T>(task: Task): Pending<T> {
  const inline = { onWorker: false, result: () => perform(task) as T };
  // Only compiled JavaScript can be a worker's entry point without a loader.
  if (!__filename.endsWith('.js') || !existsSync(__filename)) return inline;
  const done = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    const job: Job = { task, done, port: port2 };
    worker = new Worker(__filename, { workerData: { [JOB]: job }, transferList: [port2] });
  } catch {
    return inline;
  }
  worker.unref();
  return {
    onWorker: true,
    result() {
      // A worker killed outright (out of memory) never sets the flag: give up rather than hang.
      const deadline = Date.now() + WORKER_DEADLINE_MS;
      while (Atomics.wait(new Int32Array(done), 0, 0, 10_000) === 'timed-out') {
        if (Date.now() > deadline) {
          void worker.terminate();
          throw new Error(
            `the synth worker (${task.kind}) did not answer in ${WORKER_DEADLINE_MS / 60_000} minutes; it may have run out of memory (split the fleet, or raise --max-old-space-size)`,
          );
        }
      }
      const answer = receiveMessageOnPort(port1)?.message as Answer | undefined;
      port1.close();
      if (!answer) throw new Error(`the synth worker (${task.kind}) ended without an answer`);
      if ('error' in answer) {
        const { message, stack, fleet } = answer.error;
        const err = fleet ? new FleetValidationError(fleet.errors, fleet.source) : new Error(message);
        err.message = message;
        err.stack = stack;
        throw err;
      }
      return answer.value as T;
    },
  };
}

const job = isMainThread ? undefined : (workerData as Record<string, Job> | null)?.[JOB];
if (job) {
  let answer: Answer;
  try {
    answer = { value: perform(job.task) };
  } catch (err) {
    const { message, stack } = err as Error;
    const fleet =
      err instanceof FleetValidationError ? { errors: err.errors, source: err.source } : undefined;
    answer = { error: { message, stack, ...(fleet ? { fleet } : {}) } };
  }
  job.port.postMessage(answer);
  job.port.close();
  const flag = new Int32Array(job.done);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
