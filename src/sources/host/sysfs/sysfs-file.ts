import { closeSync, openSync, readSync } from 'node:fs';

const buffer = Buffer.alloc(4096);

/**
 * Reads a sysfs attribute like prometheus/procfs' SysReadFile: one read of at
 * most 4 KiB (sysfs serves an attribute in one go; a single read avoids
 * drivers that misbehave on a second one), whitespace-trimmed. Synchronous
 * on purpose (see the note in procfs/read.ts); the one shared buffer is safe
 * because nothing yields between the read and the decode.
 */
export async function sysReadFile(file: string): Promise<string> {
  const fd = openSync(file, 'r');
  try {
    const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
    return buffer.toString('utf8', 0, bytesRead).trim();
  } finally {
    closeSync(fd);
  }
}

export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}
