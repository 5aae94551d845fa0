import { readdirSync, type Dirent } from 'node:fs';

// Synchronous on purpose: see the note in procfs/read.ts.

/** Entry names sorted as Go's os.ReadDir returns them; throws (ENOENT...) when the directory is absent. */
export async function readDirNames(dir: string): Promise<string[]> {
  return readdirSync(dir).sort(compareBytes);
}

/** Entries with their types, sorted by name; throws when the directory is absent. */
export async function readDirEntries(dir: string): Promise<Dirent[]> {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareBytes(a.name, b.name));
}

/** Byte-wise comparison (Go's string order), not locale order. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
