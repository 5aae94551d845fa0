import path from 'node:path';
import { sysReadFile } from '../kernel-files/read.ts';
import { tryParseGoInt } from '../kernel-files/parse.ts';

/** The whitespace-separated values of sysctl `name` (dots are path separators under /proc/sys). */
export async function readSysctlStrings(procfs: string, name: string): Promise<string[]> {
  const text = await sysReadFile(path.join(procfs, 'sys', ...name.split('.')));
  return text.split(/\s+/).filter((f) => f !== '');
}

/** The values of sysctl `name` as integers, parsed as procfs does (Go's strconv.ParseInt(s, 0, 64): 0x, 0o, 0b and leading-0 octal). */
export async function readSysctlInts(procfs: string, name: string): Promise<number[]> {
  return (await readSysctlStrings(procfs, name)).map((f, i) => {
    const v = tryParseGoInt(f);
    if (v === undefined) throw new Error(`field ${i} in sysctl ${name} is not a valid int: ${JSON.stringify(f.slice(0, 40))}`);
    return v;
  });
}
