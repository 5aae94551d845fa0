import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound, readText } from './read.ts';

/** The numeric entries of a /proc-like directory (pids, or thread ids under /proc/<pid>/task). */
export async function listPids(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names.filter((n) => /^[+-]?\d+$/.test(n)).map(Number);
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
  const f = text.slice(r + 2).trim().split(/\s+/);
  if (f.length < 43) throw new Error(`${where}: expected at least 43 fields after the command name, got ${f.length}`);
  for (let i = 1; i < 43; i++) if (!/^[+-]?\d+$/.test(f[i]!)) throw new Error(`${where}: field ${i + 3} is not an integer: ${JSON.stringify(f[i])}`);
  return { state: f[0]!, numThreads: Number(f[17]) };
}

/** A process or thread vanishing while we read it is not an error (ENOENT, ESRCH). */
export function isGoneError(err: unknown): boolean {
  return isNotFound(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'ESRCH';
}

export async function readProcStat(dir: string): Promise<ProcStatSummary> {
  const file = path.join(dir, 'stat');
  return parseProcStat(await readText(file), file);
}
