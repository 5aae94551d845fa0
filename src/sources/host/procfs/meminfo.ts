import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, nonEmptyLines, parseUint } from '../kernel-files/parse.ts';

export interface MeminfoEntry {
  /** The key as the kernel writes it, without the colon: `Active(anon)`, `HugePages_Total`. */
  key: string;
  /** The value as written (kB for most keys, a page count for HugePages_*). */
  value: number;
  /** The value in bytes when the line has the kB unit, else the value as is. */
  bytes: number;
}

/** Parses /proc/meminfo (or a node's meminfo without its "Node N" prefix). */
export function parseMeminfo(text: string, file = '/proc/meminfo'): MeminfoEntry[] {
  return nonEmptyLines(text).map((line) => {
    const f = fields(line);
    const where = `${file}: line ${JSON.stringify(line.slice(0, 60))}`;
    if (f.length < 2 || f.length > 3 || !f[0]!.endsWith(':')) throw new Error(`${where}: malformed`);
    const value = parseUint(f[1]!, where);
    if (f.length === 3 && f[2] !== 'kB') throw new Error(`${where}: unsupported unit ${JSON.stringify(f[2])}`);
    return { key: f[0]!.slice(0, -1), value, bytes: f.length === 3 ? value * 1024 : value };
  });
}

export async function readMeminfo(procfs: string): Promise<MeminfoEntry[]> {
  const file = path.join(procfs, 'meminfo');
  return parseMeminfo(await readText(file), file);
}
