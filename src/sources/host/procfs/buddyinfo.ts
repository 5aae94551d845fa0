import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, parseDecimalFloat, nonEmptyLines } from '../kernel-files/parse.ts';

export interface BuddyZone {
  node: string;
  zone: string;
  /** Free blocks of order 0, 1, 2... */
  sizes: number[];
}

/** Parses /proc/buddyinfo ("Node 0, zone   Normal  4381 1093 ..."); every zone must have the same number of orders. */
export function parseBuddyinfo(text: string, file = '/proc/buddyinfo'): BuddyZone[] {
  let orders = -1;
  return nonEmptyLines(text).map((line) => {
    const parts = fields(line);
    if (parts.length < 4) throw new Error(`${file}: invalid line ${JSON.stringify(line.slice(0, 60))}`);
    const sizes = parts.slice(4).map((v) => parseDecimalFloat(v, `${file} ${parts.slice(0, 4).join(' ')}`));
    if (orders === -1) orders = sizes.length;
    else if (orders !== sizes.length) throw new Error(`${file}: mismatch in number of buddyinfo buckets, previous count ${orders}, new count ${sizes.length}`);
    return { node: parts[1]!.replace(/,$/, ''), zone: parts[3]!.replace(/,$/, ''), sizes };
  });
}

export async function readBuddyinfo(procfs: string): Promise<BuddyZone[]> {
  const file = path.join(procfs, 'buddyinfo');
  return parseBuddyinfo(await readText(file), file);
}
