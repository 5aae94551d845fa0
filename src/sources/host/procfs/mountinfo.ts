/**
 * /proc/<pid>/mountinfo, as prometheus/procfs parses it: fields split on
 * single spaces (so a doubled space makes an empty field, not a parse error),
 * the "-" separator fourth from the end, then fstype, source and the
 * superblock options.
 */
import { readParsed } from '../kernel-files/read.ts';
import { scanLines } from '../kernel-files/parse.ts';

export interface MountInfo {
  mountId: number;
  parentId: number;
  majorMinor: string;
  root: string;
  mountPoint: string;
  options: Map<string, string>;
  fsType: string;
  source: string;
  superOptions: Map<string, string>;
}

/** "rw,addr=10.0.0.1" → {rw: "", addr: "10.0.0.1"}; a value holding "=" keeps only its first part, as procfs does. */
function parseMountOptions(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const option of text.split(',')) {
    const parts = option.split('=');
    options.set(parts[0]!, parts.length < 2 ? '' : parts[1]!);
  }
  return options;
}

function parseId(text: string, what: string, line: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`mountinfo: bad ${what} ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

export function parseMountInfoLine(line: string): MountInfo {
  const f = line.split(' ');
  const n = f.length;
  if (n < 10) throw new Error(`mountinfo: too few fields in ${JSON.stringify(line)}`);
  if (f[n - 4] !== '-') throw new Error(`mountinfo: no "-" separator where expected in ${JSON.stringify(line)}`);
  return {
    mountId: parseId(f[0]!, 'mount ID', line),
    parentId: parseId(f[1]!, 'parent ID', line),
    majorMinor: f[2]!,
    root: f[3]!,
    mountPoint: f[4]!,
    options: parseMountOptions(f[5]!),
    fsType: f[n - 3]!,
    source: f[n - 2]!,
    superOptions: parseMountOptions(f[n - 1]!),
  };
}

/** Every line must parse: procfs fails the whole file on one bad line. */
export function parseMountInfo(text: string): MountInfo[] {
  return scanLines(text).map(parseMountInfoLine);
}

export function readMountInfo(file: string): Promise<MountInfo[]> {
  return readParsed(file, parseMountInfo);
}
