import { readText } from '../kernel-files/read.ts';
import { fields, parseDecimalFloat } from '../kernel-files/parse.ts';
import path from 'node:path';

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/** Parses /proc/loadavg ("0.02 0.04 0.05 1/497 11947"). */
export function parseLoadAvg(text: string): LoadAvg {
  const f = fields(text);
  if (f.length < 3) throw new Error(`loadavg: expected at least 3 fields, got ${f.length}`);
  return {
    load1: parseDecimalFloat(f[0]!, 'loadavg load1'),
    load5: parseDecimalFloat(f[1]!, 'loadavg load5'),
    load15: parseDecimalFloat(f[2]!, 'loadavg load15'),
  };
}

export async function readLoadAvg(procfs: string): Promise<LoadAvg> {
  return parseLoadAvg(await readText(path.join(procfs, 'loadavg')));
}
