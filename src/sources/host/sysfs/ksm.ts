import path from 'node:path';
import { isNotFound, readText } from '../kernel-files/read.ts';
import { parseUint } from '../kernel-files/parse.ts';

const KSM_FILES = [
  'full_scans',
  'general_profit',
  'merge_across_nodes',
  'pages_shared',
  'pages_sharing',
  'pages_to_scan',
  'pages_unshared',
  'pages_volatile',
  'run',
  'sleep_millisecs',
] as const;
export type KsmFile = (typeof KSM_FILES)[number];

/** Reads /sys/kernel/mm/ksm/<file> for each known file; files the kernel lacks are left out. */
export async function readKsm(sysfs: string): Promise<Map<KsmFile, number>> {
  const out = new Map<KsmFile, number>();
  for (const name of KSM_FILES) {
    const file = path.join(sysfs, 'kernel', 'mm', 'ksm', name);
    let text: string;
    try {
      text = await readText(file);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    out.set(name, parseUint(text.trim(), file));
  }
  return out;
}
