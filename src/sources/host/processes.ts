/**
 * The processes collector: process and thread counts by state, from every
 * /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat, and the pid and thread
 * limits. Off by default; the Node Exporter Full dashboard uses it.
 */
import path from 'node:path';
import { FamilySet } from '../../model/family.ts';
import { stateless, type CollectorDefinition } from './collector.ts';
import { isGoneError, listPids, readProcStat, type ProcStatSummary } from './procfs/processes.ts';
import { readText } from './procfs/read.ts';
import { parseUint } from './procfs/text-lines.ts';

async function readLimit(procfs: string, rel: string, what: string): Promise<number> {
  const file = path.join(procfs, rel);
  try {
    return parseUint((await readText(file)).trim(), file);
  } catch (err) {
    throw new Error(`unable to retrieve ${what}: ${(err as Error).message}`);
  }
}

async function countThreadStates(procfs: string, pid: number, stat: ProcStatSummary, states: Map<string, number>): Promise<void> {
  let tids: number[];
  try {
    tids = await listPids(path.join(procfs, String(pid), 'task'));
  } catch (err) {
    if (isGoneError(err)) return;
    throw new Error(`error reading task for pid ${pid}: ${(err as Error).message}`);
  }
  for (const tid of tids) {
    let state = stat.state;
    if (tid !== pid) {
      try {
        state = (await readProcStat(path.join(procfs, String(pid), 'task', String(tid)))).state;
      } catch (err) {
        if (isGoneError(err)) continue;
        throw new Error(`error reading stat for pid ${pid} thread ${tid}: ${(err as Error).message}`);
      }
    }
    states.set(state, (states.get(state) ?? 0) + 1);
  }
}

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
    for (const pid of await listPids(paths.procfs)) {
      let stat: ProcStatSummary;
      try {
        stat = await readProcStat(path.join(paths.procfs, String(pid)));
      } catch (err) {
        if (isGoneError(err)) continue;
        throw new Error(`error reading stat for pid ${pid}: ${(err as Error).message}`);
      }
      pids++;
      increment(procStates, stat.state);
      threads += stat.numThreads;
      await countThreadStates(paths.procfs, pid, stat, threadStates);
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
