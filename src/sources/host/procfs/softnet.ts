import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, nonEmptyLines, parseHex } from '../kernel-files/parse.ts';

export interface SoftnetCpu {
  /** CPU number: the 13th column on kernels that write it, else the line's position. */
  index: number;
  processed: number;
  dropped: number;
  timeSqueezed: number;
  cpuCollision: number;
  receivedRps: number;
  flowLimitCount: number;
  backlogLength: number;
}

const MIN_COLUMNS = 9;

/** Parses /proc/net/softnet_stat (hexadecimal columns, one line per CPU; newer kernels add columns). */
export function parseSoftnet(text: string, file = '/proc/net/softnet_stat'): SoftnetCpu[] {
  return nonEmptyLines(text).map((line, position) => {
    const cols = fields(line);
    if (cols.length < MIN_COLUMNS) throw new Error(`${file}: line ${position + 1} has ${cols.length} columns, expected at least ${MIN_COLUMNS}`);
    const hex = (i: number): number => (i < cols.length ? parseHex(cols[i]!, `${file} line ${position + 1} column ${i + 1}`) : 0);
    const wide = cols.length >= 13;
    return {
      index: wide ? hex(12) : position,
      processed: hex(0),
      dropped: hex(1),
      timeSqueezed: hex(2),
      cpuCollision: hex(8),
      receivedRps: hex(9),
      flowLimitCount: hex(10),
      backlogLength: wide ? hex(11) : 0,
    };
  });
}

export async function readSoftnet(procfs: string): Promise<SoftnetCpu[]> {
  const file = path.join(procfs, 'net', 'softnet_stat');
  return parseSoftnet(await readText(file), file);
}
