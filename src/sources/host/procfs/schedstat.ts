import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { nonEmptyLines, parseUint } from '../kernel-files/parse.ts';

export interface SchedstatCpu {
  /** The CPU number as written after "cpu". */
  cpu: string;
  runningNanoseconds: number;
  waitingNanoseconds: number;
  timeslices: number;
}

const CPU_LINE = /^cpu(\d+)((?: \d+){9,})\s*$/;

/**
 * Parses /proc/schedstat: of each `cpuN` line, its 7th to 9th numbers
 * (time running, time waiting, timeslices); later kernels may append more. Domain and header lines
 * are skipped. Unlike procfs, which silently skips a cpu line it cannot
 * read, a garbled cpu line is an error here, so a broken file shows as a
 * failed collection instead of missing series.
 */
export function parseSchedstat(text: string, file = '/proc/schedstat'): SchedstatCpu[] {
  const cpus: SchedstatCpu[] = [];
  for (const line of nonEmptyLines(text)) {
    if (!/^cpu\d/.test(line)) continue;
    const m = CPU_LINE.exec(line);
    if (!m) throw new Error(`${file}: malformed cpu line ${JSON.stringify(line.slice(0, 80))}`);
    const n = m[2]!.trim().split(' ');
    const where = `${file} cpu${m[1]}`;
    cpus.push({ cpu: m[1]!, runningNanoseconds: parseUint(n[6]!, where), waitingNanoseconds: parseUint(n[7]!, where), timeslices: parseUint(n[8]!, where) });
  }
  return cpus;
}

export async function readSchedstat(procfs: string): Promise<SchedstatCpu[]> {
  const file = path.join(procfs, 'schedstat');
  return parseSchedstat(await readText(file), file);
}
