import { readdirSync, type Dirent } from 'node:fs';

// Synchronous on purpose: see the note in read.ts.

/** Entry names sorted as Go's os.ReadDir returns them; throws (ENOENT...) when the directory is absent. */
export async function readDirNames(dir: string): Promise<string[]> {
  return readdirSync(dir).sort(compareBytes);
}

/** Entries with their types, sorted by name; throws when the directory is absent. */
export async function readDirEntries(dir: string): Promise<Dirent[]> {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareBytes(a.name, b.name));
}

/**
 * Go's string order: the bytes of UTF-8, not locale order. JS compares UTF-16
 * code units, which agrees except that surrogates (characters beyond the BMP)
 * sort before U+E000..U+FFFF there and after them in UTF-8; remapping the first
 * differing unit fixes that without encoding either string.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

function utf8Rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
