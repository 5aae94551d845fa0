import { readParsed } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';
import path from 'node:path';

/** One /proc/diskstats line: major, minor, name, then up to 17 counters (11 before Linux 4.18, 15 up to 5.4, 17 since). */
export interface DiskStats {
  major: number;
  minor: number;
  device: string;
  /** The counters present, in kernel order (reads completed ... time spent flushing). */
  counters: number[];
}

const MAX_FIELDS = 20;
/** Lines with fewer fields (partitions on pre-2.6.25 kernels) are skipped, as procfs does. */
const MIN_FIELDS = 14;

/**
 * Parses /proc/diskstats like procfs' Sscanf: fields are read in order until
 * the line ends; a non-numeric counter makes the file invalid.
 */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  text.split('\n').forEach((line, i) => {
    const f = fields(line).slice(0, MAX_FIELDS);
    f.forEach((value, k) => {
      if (k !== 2 && !/^\d+$/.test(value)) throw new Error(`line ${i + 1}: field ${k + 1} is not a number: ${JSON.stringify(value.slice(0, 40))}`);
    });
    if (f.length < MIN_FIELDS) return;
    out.push({ major: Number(f[0]), minor: Number(f[1]), device: f[2]!, counters: f.slice(3).map(Number) });
  });
  return out;
}

export function readDiskstats(procfs: string): Promise<DiskStats[]> {
  return readParsed(path.join(procfs, 'diskstats'), parseDiskstats);
}
