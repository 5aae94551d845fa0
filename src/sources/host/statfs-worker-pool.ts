/**
 * statfs(2) off the libuv threadpool. fs.statfs runs on one of libuv's four
 * threadpool threads; a call blocked on a dead NFS mount would hold that
 * thread until the kernel gives up, and a few such mounts would starve every
 * other file read of the agent. Here each call runs statfsSync on a worker
 * thread of its own: a blocked call pins only that thread (as a stuck
 * statfs pins an OS thread in node_exporter), and the worker is reused once
 * it answers. The workers are unref'd so a stuck one never keeps the process
 * alive; callers keep the event loop alive while they wait (statWithTimeout's
 * deadline timer).
 */
import { Worker } from 'node:worker_threads';
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

interface Reply {
  id: number;
  stats?: StatfsResult;
  error?: { code?: string; message: string };
}

export class StatfsWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (s: StatfsResult) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;
  private created = 0;

  /** Workers started so far (idle, busy or stuck): for tests and diagnostics. */
  get workersCreated(): number {
    return this.created;
  }

  readonly statfs: StatfsFn = (target) =>
    new Promise<StatfsResult>((resolve, reject) => {
      const worker = this.idle.pop() ?? this.spawn();
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject, worker });
      worker.postMessage({ id, path: target });
    });

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    this.created++;
    worker.on('message', (reply: Reply) => {
      const call = this.waiting.get(reply.id);
      if (!call) return;
      this.waiting.delete(reply.id);
      this.idle.push(worker);
      if (reply.stats) call.resolve(reply.stats);
      else call.reject(Object.assign(new Error(reply.error?.message ?? 'statfs failed'), { code: reply.error?.code }));
    });
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`statfs worker exited with code ${code}`)));
    // After the listeners: attaching them refs the worker again.
    worker.unref();
    return worker;
  }

  /** A worker that died takes its pending call with it; it is never reused. */
  private fail(worker: Worker, err: Error): void {
    const i = this.idle.indexOf(worker);
    if (i !== -1) this.idle.splice(i, 1);
    for (const [id, call] of this.waiting) {
      if (call.worker !== worker) continue;
      this.waiting.delete(id);
      call.reject(err);
    }
  }
}

let shared: StatfsWorkerPool | undefined;

/** The process-wide pool (created on first use). */
export function sharedStatfsPool(): StatfsWorkerPool {
  return (shared ??= new StatfsWorkerPool());
}
