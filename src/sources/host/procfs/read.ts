/**
 * Small file readers shared by the /proc and /sys parsers. Parsers are pure
 * functions over a root path so they run the same on the live host and on
 * node_exporter's fixture tree.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/*
 * Why synchronous reads behind async signatures: /proc and /sys files are
 * generated in memory by the kernel and read in microseconds, while each
 * async readFile costs four thread-pool round trips (open, fstat, read,
 * close) plus promise bookkeeping — about 20x the CPU for these tiny files,
 * which made a collection cost more than node_exporter's. Anything that can
 * hang (statfs of network mounts, textfile directories) stays asynchronous
 * in its own collector, with a timeout.
 */

export async function readText(file: string): Promise<string> {
  return readFileSync(file, 'utf8');
}

/** Reads and parses a file; a parse error is rethrown with the file's path in front. */
export async function readParsed<T>(file: string, parse: (text: string) => T): Promise<T> {
  const text = await readText(file);
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** readParsed for optional files: undefined when the file does not exist (ENOENT/ENOTDIR). */
export async function readParsedIfExists<T>(file: string, parse: (text: string) => T): Promise<T | undefined> {
  try {
    return await readParsed(file, parse);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads a file, or returns undefined if it does not exist (ENOENT/ENOTDIR). */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads a one-value sysfs attribute, trimmed; undefined when absent or unreadable (EINVAL, EACCES, EIO... as node_exporter skips them). */
export async function readAttr(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Parses a float strictly (decimal or exponent form); throws with context when garbled. */
export function parseFloatField(text: string, where: string): number {
  const t = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new Error(`${where}: expected a number, got ${JSON.stringify(t.slice(0, 40))}`);
  return Number(t);
}

/** Directory entries sorted by name; [] when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Splits on runs of whitespace, dropping empty fields. */
export function fields(line: string): string[] {
  return line.trim().split(/\s+/).filter((f) => f !== '');
}

/** Whether a path exists (following symlinks), as Go's `os.Stat(p) == nil`. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
