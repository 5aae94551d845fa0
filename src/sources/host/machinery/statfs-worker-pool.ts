/**
 * statfs(2) off the libuv threadpool, for the mounts that may hang (network
 * and FUSE filesystems, see filesystem.ts). A call blocked on a dead mount
 * holds its thread until the kernel gives up; on one of libuv's four
 * threadpool threads a few such calls would starve every DNS lookup, zlib
 * job and async file read of the agent. Here calls run statfsSync on worker
 * threads instead, and the pool spends as few of them as it can, since each
 * worker is a Node isolate of its own (~7-8 MiB resident):
 * - calls are serialized on one healthy worker, one message in flight, so a
 *   box whose remote mounts all answer has exactly one worker;
 * - a worker whose call is not answered within the stall threshold is set
 *   aside as stuck: it pins only itself (as a stuck statfs pins an OS thread
 *   in node_exporter) and the queue moves on to a fresh worker, so each
 *   stuck mount costs at most one worker;
 * - a set-aside worker that answers after all becomes the healthy worker
 *   again if the pool has none, and is terminated otherwise;
 * - a call's clocks (the caller's deadline, see StatfsCall.onQueued, and the
 *   stall check) start when it is handed to a worker that is online, so a
 *   replacement worker slow to start on a busy box makes the calls queued
 *   for it wait, not time out. The pool keeps no warm spare: that would be
 *   one more isolate on every box with a network mount, for a start that no
 *   longer costs any mount its deadline.
 * Workers are created on first use. The healthy worker keeps the process
 * alive while it has a call; idle or set-aside workers are unref'd, so a
 * stuck one never does (its caller's deadline timer does, until it gives up).
 */
import type { Worker } from 'node:worker_threads';
import type { StatfsFn, StatfsResult } from './filesystem-statfs.ts';

// CommonJS source for an eval worker: a separate file would not survive bundling into the single executable.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { statfsSync } = require('node:fs');
parentPort.on('message', ({ id, path }) => {
  try {
    const s = statfsSync(path, { bigint: true });
    parentPort.postMessage({ id, stats: { bsize: Number(s.bsize), blocks: Number(s.blocks), bfree: Number(s.bfree), bavail: Number(s.bavail), files: Number(s.files), ffree: Number(s.ffree) } });
  } catch (err) {
    parentPort.postMessage({ id, error: { code: err.code, message: err.message } });
  }
});
`;

/**
 * How long a call may go unanswered before its worker is set aside. A
 * healthy NFS or FUSE statfs answers in milliseconds; a slow one that is set
 * aside anyway costs one worker start, and the worker is reused or ended
 * when it answers.
 */
const DEFAULT_STALL_MS = 1000;

/**
 * A call's stall threshold is also at most this share of its own deadline, so
 * a hung mount holds up the calls queued behind it for a small part of the
 * time the collection may spend on it.
 */
const STALL_SHARE_OF_DEADLINE = 1 / 4;

/** The pool's protocol: `{ id, path }` in, `{ id, stats }` or `{ id, error: { code, message } }` out. */
interface Reply {
  id: number;
  stats?: StatfsResult;
  error?: { code?: string; message: string };
}

interface Call {
  id: number;
  path: string;
  stallMs: number;
  resolve: (s: StatfsResult) => void;
  reject: (e: Error) => void;
  /** Tells the caller its call now runs (StatfsCall.onQueued). */
  started: () => void;
}

interface WorkerState {
  /** Whether the worker's thread has started: a new worker's boot time is not a stall. */
  online: boolean;
  /** The call in flight on this worker, if any (at most one). */
  call?: Call;
  stallTimer?: NodeJS.Timeout;
}

export interface StatfsWorkerPoolOptions {
  /** See DEFAULT_STALL_MS. */
  stallMs?: number;
  /** Starts a worker speaking the pool's protocol; tests pass one whose statfs can hang on demand. */
  spawnWorker?: () => Worker;
}

export class StatfsWorkerPool {
  private readonly queue: Call[] = [];
  private readonly workers = new Map<Worker, WorkerState>();
  private readonly setAside = new Set<Worker>();
  /** The worker queued calls go to; undefined until needed, or after it was set aside or died. */
  private healthy: Worker | undefined;
  private nextId = 0;
  private created = 0;
  private closed = false;
  private readonly stallMs: number;
  private readonly spawnWorker: () => Worker;

  constructor(options: StatfsWorkerPoolOptions = {}) {
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    // node:worker_threads is loaded at the first worker, on the boxes with a mount that may hang: the others keep its code out of the heap (issue 13).
    this.spawnWorker = options.spawnWorker ?? (() => new (process.getBuiltinModule('node:worker_threads').Worker)(WORKER_SOURCE, { eval: true }));
  }

  /** Workers started so far (healthy, stuck or ended): for tests and diagnostics. */
  get workersCreated(): number {
    return this.created;
  }

  /** Workers set aside with a call that has not answered. */
  get workersStuck(): number {
    return this.setAside.size;
  }

  readonly statfs: StatfsFn = (target, options = {}) =>
    new Promise<StatfsResult>((resolve, reject) => {
      const stallMs = Math.min(this.stallMs, (options.timeoutMs ?? Infinity) * STALL_SHARE_OF_DEADLINE);
      let started = (): void => {};
      options.onQueued?.(new Promise<void>((r) => (started = r)));
      this.queue.push({ id: this.nextId++, path: target, stallMs, resolve, reject, started });
      this.dispatch();
    });

  /** Ends every worker; calls in flight are rejected. For tests. */
  async close(): Promise<void> {
    this.closed = true;
    for (const call of this.queue.splice(0)) call.reject(new Error('statfs worker pool closed'));
    const workers = [...this.workers.keys()];
    for (const w of workers) this.fail(w, new Error('statfs worker pool closed'));
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** Sends the next queued call to the healthy worker, starting one if there is none, unless that worker is busy. */
  private dispatch(): void {
    if (this.queue.length === 0 || this.closed) return;
    try {
      this.healthy ??= this.spawn();
    } catch (err) {
      // No thread to run on (out of memory or threads): fail what is queued rather than leave it waiting.
      for (const call of this.queue.splice(0)) call.reject(new Error(`cannot start a statfs worker: ${(err as Error).message}`));
      return;
    }
    const state = this.workers.get(this.healthy)!;
    if (state.call) return;
    const call = this.queue.shift()!;
    const worker = this.healthy;
    state.call = call;
    // Until its call runs, nothing else keeps the process alive for it.
    worker.ref();
    if (state.online) this.run(worker, state);
    worker.postMessage({ id: call.id, path: call.path });
  }

  /** The worker is online with a call: the caller's deadline and the stall check start now. */
  private run(worker: Worker, state: WorkerState): void {
    if (!state.call) return;
    state.call.started();
    state.stallTimer = setTimeout(() => this.setAsideStuck(worker), state.call.stallMs);
    // A stall check alone must not keep the process alive (the caller's deadline does).
    state.stallTimer.unref();
  }

  private setAsideStuck(worker: Worker): void {
    if (worker !== this.healthy) return;
    this.healthy = undefined;
    this.setAside.add(worker);
    worker.unref();
    this.dispatch();
  }

  private spawn(): Worker {
    const worker = this.spawnWorker();
    this.created++;
    const state: WorkerState = { online: false };
    this.workers.set(worker, state);
    worker.once('online', () => {
      state.online = true;
      this.run(worker, state);
    });
    worker.on('message', (reply: Reply) => this.answered(worker, reply));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`statfs worker exited with code ${code}`)));
    // After the listeners: attaching them refs the worker again.
    worker.unref();
    return worker;
  }

  private answered(worker: Worker, reply: Reply): void {
    const state = this.workers.get(worker);
    const call = state?.call;
    if (!state || !call || call.id !== reply.id) return;
    clearTimeout(state.stallTimer);
    state.call = undefined;
    worker.unref();
    if (this.setAside.delete(worker)) {
      // Back from a stall: one idle worker is all the pool needs.
      if (this.healthy === undefined) this.healthy = worker;
      else this.end(worker);
    }
    if (reply.stats) call.resolve(reply.stats);
    else call.reject(Object.assign(new Error(reply.error?.message ?? 'statfs failed'), { code: reply.error?.code }));
    this.dispatch();
  }

  private end(worker: Worker): void {
    this.workers.delete(worker);
    void worker.terminate();
  }

  /** A worker that died takes its pending call with it; it is never reused. */
  private fail(worker: Worker, err: Error): void {
    const state = this.workers.get(worker);
    if (!state) return;
    this.workers.delete(worker);
    this.setAside.delete(worker);
    clearTimeout(state.stallTimer);
    if (this.healthy === worker) this.healthy = undefined;
    state.call?.reject(err);
    this.dispatch();
  }
}

let shared: StatfsWorkerPool | undefined;

/** The process-wide pool (created on first use; it starts no worker until its first call). */
export function sharedStatfsPool(): StatfsWorkerPool {
  return (shared ??= new StatfsWorkerPool());
}
