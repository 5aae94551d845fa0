/** Test workers for the statfs worker pool (statfs-worker-pool.ts). */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';

/**
 * A worker whose start the test finishes: it reports 'online' and receives
 * messages only once `started` resolves, as an isolate that is slow to start
 * on a busy box would.
 */
class SlowStartWorker extends EventEmitter {
  private readonly pending: unknown[] = [];
  private running = false;
  private readonly worker: Worker;

  constructor(worker: Worker, started: Promise<void>) {
    super();
    this.worker = worker;
    for (const event of ['message', 'error', 'exit']) worker.on(event, (...args: unknown[]) => this.emit(event, ...args));
    worker.once('online', () => {
      void started.then(() => {
        this.running = true;
        for (const message of this.pending.splice(0)) worker.postMessage(message);
        this.emit('online');
      });
    });
  }

  postMessage(message: unknown): void {
    if (this.running) this.worker.postMessage(message);
    else this.pending.push(message);
  }

  ref(): void {
    this.worker.ref();
  }

  unref(): void {
    this.worker.unref();
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Real workers speaking the pool's protocol whose "statfs" the test controls:
 * a path containing /hang blocks the worker thread (as a statfs on a dead
 * mount does) until release(); /exit ends the worker; any other path answers
 * with blocks = the path's length. With `slowStartFrom: n`, the workers
 * spawned after the first n finish starting only when finishStarts() is
 * called (and from then on at once).
 */
export function gatedWorkers(options: { slowStartFrom?: number } = {}) {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const source = `
const { parentPort, workerData } = require('node:worker_threads');
const gate = new Int32Array(workerData.gate);
parentPort.on('message', ({ id, path }) => {
  if (path.startsWith('/exit')) process.exit(3);
  if (path.includes('/hang')) Atomics.wait(gate, 0, 0);
  parentPort.postMessage({ id, stats: { bsize: 1, blocks: path.length, bfree: 0, bavail: 0, files: 0, ffree: 0 } });
});
`;
  const workers: Worker[] = [];
  const exited = new Set<Worker>();
  let finishStarts = (): void => {};
  const started = new Promise<void>((resolve) => (finishStarts = resolve));
  const spawnWorker = (): Worker => {
    const w = new Worker(source, { eval: true, workerData: { gate: gate.buffer } });
    w.on('exit', () => exited.add(w));
    workers.push(w);
    if (options.slowStartFrom === undefined || workers.length <= options.slowStartFrom) return w;
    return new SlowStartWorker(w, started) as unknown as Worker;
  };
  const release = (): void => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  /** Workers started and not ended. */
  const alive = (): number => workers.length - exited.size;
  return { spawnWorker, release, finishStarts, alive, workers, exited };
}
