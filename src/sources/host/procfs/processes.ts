import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isNotFound } from '../kernel-files/read.ts';

/** The numeric entries of a /proc-like directory (pids, or thread ids under /proc/<pid>/task). */
export function listPids(dir: string): number[] {
  return readdirSync(dir)
    .filter((n) => /^[+-]?\d+$/.test(n))
    .map(Number);
}

export interface ProcStatSummary {
  state: string;
  numThreads: number;
}

/**
 * Parses /proc/<pid>/stat for the state and thread count. The command name
 * is everything between the first "(" and the last ")"; the 43 fields after
 * it are checked as procfs' Fscan checks them.
 */
export function parseProcStat(text: string, where: string): ProcStatSummary {
  const l = text.indexOf('(');
  const r = text.lastIndexOf(')');
  if (l < 0 || r < 0) throw new Error(`${where}: unexpected format, couldn't extract comm`);
  const f = text
    .slice(r + 2)
    .trim()
    .split(/\s+/);
  if (f.length < 43) throw new Error(`${where}: expected at least 43 fields after the command name, got ${f.length}`);
  for (let i = 1; i < 43; i++) if (!/^[+-]?\d+$/.test(f[i]!)) throw new Error(`${where}: field ${i + 3} is not an integer: ${JSON.stringify(f[i])}`);
  return { state: f[0]!, numThreads: Number(f[17]) };
}

/** A process or thread vanishing while we read it is not an error (ENOENT, ESRCH). */
function isGoneError(err: unknown): boolean {
  return isNotFound(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'ESRCH';
}

/*
 * Reads are synchronous on purpose: a box has hundreds of these tiny files
 * and each async read costs four thread-pool round trips (3x node_exporter's
 * CPU here); the collector yields to the event loop between processes.
 */
function readProcStat(dir: string): ProcStatSummary {
  const file = path.join(dir, 'stat');
  return parseProcStat(readFileSync(file, 'utf8'), file);
}

export interface ProcessStates {
  stat: ProcStatSummary;
  /** One state per thread (the main thread takes the process state). */
  threadStates: string[];
}

/** A process's stat and its threads' states; undefined when it exited meanwhile. */
export function readProcessStates(procfs: string, pid: number): ProcessStates | undefined {
  let stat: ProcStatSummary;
  try {
    stat = readProcStat(path.join(procfs, String(pid)));
  } catch (err) {
    if (isGoneError(err)) return undefined;
    throw new Error(`error reading stat for pid ${pid}: ${(err as Error).message}`);
  }
  let tids: number[];
  try {
    tids = listPids(path.join(procfs, String(pid), 'task'));
  } catch (err) {
    if (isGoneError(err)) return { stat, threadStates: [] };
    throw new Error(`error reading task for pid ${pid}: ${(err as Error).message}`);
  }
  const threadStates: string[] = [];
  for (const tid of tids) {
    if (tid === pid) {
      threadStates.push(stat.state);
      continue;
    }
    try {
      threadStates.push(readProcStat(path.join(procfs, String(pid), 'task', String(tid))).state);
    } catch (err) {
      if (isGoneError(err)) continue;
      throw new Error(`error reading stat for pid ${pid} thread ${tid}: ${(err as Error).message}`);
    }
  }
  return { stat, threadStates };
}
