import path from 'node:path';
import { NoDataError } from '../kernel-files/no-data.ts';
import { isNotFound, readText } from '../kernel-files/read.ts';

export interface DrbdField {
  /** `drbd<N>` from the last `N:` word before the field, or "unknown". */
  device: string;
  key: string;
  value: string;
}

/**
 * Splits /proc/drbd (DRBD 8) into its `key:value` words, each attributed to
 * the device whose `N:` marker came last. Words that are not exactly one
 * `key:value` pair (version banners, flags) are skipped, as node_exporter does.
 */
export function parseDrbd(text: string): DrbdField[] {
  const out: DrbdField[] = [];
  let device = 'unknown';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    const kv = word.split(':');
    if (kv.length !== 2) continue;
    const [key, value] = kv as [string, string];
    if (value === '' && /^\d+$/.test(key)) {
      device = `drbd${BigInt(key)}`;
      continue;
    }
    out.push({ device, key, value });
  }
  return out;
}

/** Reads /proc/drbd; absent (no DRBD module) is NoDataError, as node_exporter's ErrNoData. */
export async function readDrbd(procfs: string): Promise<DrbdField[]> {
  const file = path.join(procfs, 'drbd');
  try {
    return parseDrbd(await readText(file));
  } catch (err) {
    if (isNotFound(err)) throw new NoDataError(`${file} does not exist`);
    throw err;
  }
}
