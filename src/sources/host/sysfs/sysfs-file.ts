import { open } from 'node:fs/promises';

/**
 * Reads a sysfs attribute like prometheus/procfs' SysReadFile: one read of at
 * most 4 KiB (sysfs serves an attribute in one go; a single read avoids
 * drivers that misbehave on a second one), whitespace-trimmed.
 */
export async function sysReadFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, null);
    return buf.subarray(0, bytesRead).toString('utf8').trim();
  } finally {
    await handle.close();
  }
}

export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}
