/** Test workers for the statfs worker pool (statfs-worker-pool.ts). */
import { Worker } from 'node:worker_threads';

/**
 * Real workers speaking the pool's protocol whose "statfs" the test controls:
 * a path containing /hang blocks the worker thread (as a statfs on a dead
 * mount does) until release(); /exit ends the worker; any other path answers
 * with blocks = the path's length.
 */
export function gatedWorkers() {
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
  const spawnWorker = (): Worker => {
    const w = new Worker(source, { eval: true, workerData: { gate: gate.buffer } });
    w.on('exit', () => exited.add(w));
    workers.push(w);
    return w;
  };
  const release = (): void => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  return { spawnWorker, release, workers, exited };
}
