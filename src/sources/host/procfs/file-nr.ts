import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseDecimalFloat } from '../kernel-files/parse.ts';

export interface FileNr {
  allocated: number;
  maximum: number;
}

/** Parses /proc/sys/fs/file-nr: "allocated<TAB>unused<TAB>maximum" (the middle one is always 0 since 2.6). */
export function parseFileNr(text: string, file = '/proc/sys/fs/file-nr'): FileNr {
  const parts = text.trim().split('\t');
  if (parts.length < 3) throw new Error(`${file}: expected 3 tab-separated values, got ${parts.length}`);
  return { allocated: parseDecimalFloat(parts[0]!, `${file} allocated`), maximum: parseDecimalFloat(parts[2]!, `${file} maximum`) };
}

export async function readFileNr(procfs: string): Promise<FileNr> {
  const file = path.join(procfs, 'sys', 'fs', 'file-nr');
  return parseFileNr(await readText(file), file);
}
