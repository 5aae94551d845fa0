/**
 * The processes collector: process and thread counts by state, from every
 * /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat, and the pid and thread
 * limits. Off by default; the Node Exporter Full dashboard uses it.
 */
import path from 'node:path';
import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { listPids, readProcessStates } from '../procfs/processes.ts';
import { readText } from '../kernel-files/read.ts';
import { parseUint } from '../kernel-files/parse.ts';

async function readLimit(procfs: string, rel: string, what: string): Promise<number> {
  const file = path.join(procfs, rel);
  try {
    return parseUint((await readText(file)).trim(), file);
  } catch (err) {
    throw new Error(`unable to retrieve ${what}: ${(err as Error).message}`);
  }
}

/** Processes read between two yields to the event loop (each a few small synchronous reads). */
const BATCH = 16;

const increment = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

export const processes: CollectorDefinition = {
  name: 'processes',
  defaultEnabled: false,
  description: 'Exposes aggregate process statistics from /proc.',
  create: stateless(async ({ paths }) => {
    let pids = 0;
    let threads = 0;
    const procStates = new Map<string, number>();
    const threadStates = new Map<string, number>();
    const pidList = listPids(paths.procfs);
    for (let i = 0; i < pidList.length; i++) {
      if (i > 0 && i % BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      const p = readProcessStates(paths.procfs, pidList[i]!);
      if (!p) continue;
      pids++;
      increment(procStates, p.stat.state);
      threads += p.stat.numThreads;
      for (const state of p.threadStates) increment(threadStates, state);
    }
    const maxThreads = await readLimit(paths.procfs, 'sys/kernel/threads-max', 'limit number of threads');
    const maxPids = await readLimit(paths.procfs, 'sys/kernel/pid_max', 'limit number of maximum pids allowed');
    const out = new FamilySet();
    out.gauge('node_processes_threads', 'Allocated threads in system', threads);
    out.gauge('node_processes_max_threads', 'Limit of threads in the system', maxThreads);
    for (const [state, n] of procStates) out.gauge('node_processes_state', 'Number of processes in each state.', n, { state });
    for (const [state, n] of threadStates) out.gauge('node_processes_threads_state', 'Number of threads in each state.', n, { thread_state: state });
    out.gauge('node_processes_pids', 'Number of PIDs', pids);
    out.gauge('node_processes_max_processes', 'Number of max PIDs limit', maxPids);
    return out.toArray();
  }),
};
