import { closeSync, openSync, readSync } from 'node:fs';

/** prometheus/procfs' SysReadFile reads at most this much; longer values are cut, as in node_exporter. */
export const SYS_READ_FILE_SIZE = 128;

let buffer = Buffer.alloc(4096);

/**
 * Reads a sysfs (or /proc/sys) attribute like prometheus/procfs' SysReadFile:
 * one read of at most `maxBytes`, whitespace-trimmed. A single read because
 * sysfs serves an attribute in one go and some drivers misbehave on a second
 * one (hwmon's EAGAIN loops). Synchronous on purpose (see the note in
 * procfs/read.ts); the one shared buffer is safe because nothing yields
 * between the read and the decode.
 */
export async function sysReadFile(file: string, maxBytes = SYS_READ_FILE_SIZE): Promise<string> {
  if (buffer.length < maxBytes) buffer = Buffer.alloc(maxBytes);
  const fd = openSync(file, 'r');
  try {
    const bytesRead = readSync(fd, buffer, 0, maxBytes, null);
    return buffer.toString('utf8', 0, bytesRead).trim();
  } finally {
    closeSync(fd);
  }
}

export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}
