import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, nonEmptyLines, parseHex } from '../kernel-files/parse.ts';

/** The per-CPU counters of /proc/net/stat/nf_conntrack that node_exporter exports, summed over CPUs. */
export interface ConntrackStats {
  found: number;
  invalid: number;
  ignore: number;
  insert: number;
  insertFailed: number;
  drop: number;
  earlyDrop: number;
  searchRestart: number;
}

/** Column of each counter; search_restart is the 17th column, absent on old kernels (16 columns). */
const COLUMNS: Record<keyof ConntrackStats, number> = {
  found: 2,
  invalid: 4,
  ignore: 5,
  insert: 8,
  insertFailed: 9,
  drop: 10,
  earlyDrop: 11,
  searchRestart: 16,
};

/** Parses /proc/net/stat/nf_conntrack: a header line, then one line of hex counters per CPU. */
export function parseConntrackStat(text: string, file = '/proc/net/stat/nf_conntrack'): ConntrackStats {
  const sum: ConntrackStats = { found: 0, invalid: 0, ignore: 0, insert: 0, insertFailed: 0, drop: 0, earlyDrop: 0, searchRestart: 0 };
  nonEmptyLines(text)
    .slice(1)
    .forEach((line, i) => {
      const where = `${file} line ${i + 2}`;
      const values = fields(line).map((f) => parseHex(f, where));
      if (values.length < 16 || values.length > 17) throw new Error(`${where}: expected 16 or 17 fields, got ${values.length}`);
      for (const key of Object.keys(COLUMNS) as (keyof ConntrackStats)[]) sum[key] += values[COLUMNS[key]] ?? 0;
    });
  return sum;
}

export async function readConntrackStat(procfs: string): Promise<ConntrackStats> {
  const file = path.join(procfs, 'net', 'stat', 'nf_conntrack');
  return parseConntrackStat(await readText(file), file);
}
