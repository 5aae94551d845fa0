import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, parseDecimalFloat, nonEmptyLines } from '../kernel-files/parse.ts';

export interface VmstatField {
  name: string;
  value: number;
}

/** Parses /proc/vmstat ("name value" per line), in file order. */
export function parseVmstat(text: string, file = '/proc/vmstat'): VmstatField[] {
  return nonEmptyLines(text).map((line) => {
    const f = fields(line);
    if (f.length < 2) throw new Error(`${file}: line ${JSON.stringify(line.slice(0, 60))} has no value`);
    return { name: f[0]!, value: parseDecimalFloat(f[1]!, `${file} ${f[0]}`) };
  });
}

export async function readVmstat(procfs: string): Promise<VmstatField[]> {
  const file = path.join(procfs, 'vmstat');
  return parseVmstat(await readText(file), file);
}
