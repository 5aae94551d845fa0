/**
 * Reading the kernel's files (/proc, /sys and node_exporter's fixture trees,
 * which look the same): what every /proc and /sys parser reads through, with
 * the "not found" and permission checks collectors use to skip what a box
 * does not have. Parsers are pure functions over a root path so they run the
 * same on the live host and on fixtures; parsing the text is parse.ts's job.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { goTrimSpace, parseUint } from './parse.ts';

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

/** A sysfs attribute, trimmed as Go's strings.TrimSpace does; throws (with the path in the error) when unreadable. */
export async function readSysAttr(file: string): Promise<string> {
  return goTrimSpace(readFileSync(file, 'utf8'));
}

/** An unsigned integer attribute file; throws naming the file when absent or garbled. */
export async function readUintAttr(file: string): Promise<number> {
  return parseUint(await readSysAttr(file), file);
}

/** prometheus/procfs' SysReadFile reads at most this much; longer values are cut, as in node_exporter. */
const SYS_READ_FILE_SIZE = 128;

let sysReadBuffer = Buffer.alloc(4096);

/**
 * Reads a sysfs (or /proc/sys) attribute like prometheus/procfs' SysReadFile:
 * one read of at most `maxBytes`, whitespace-trimmed. A single read because
 * sysfs serves an attribute in one go and some drivers misbehave on a second
 * one (hwmon's EAGAIN loops). The one shared buffer is safe because nothing
 * yields between the read and the decode.
 */
export async function sysReadFile(file: string, maxBytes = SYS_READ_FILE_SIZE): Promise<string> {
  return sysReadFileSync(file, maxBytes);
}

/**
 * sysReadFile for loops over many attributes of one device (a promise per
 * file was most of what reading a device's counters allocated).
 */
export function sysReadFileSync(file: string, maxBytes = SYS_READ_FILE_SIZE): string {
  if (sysReadBuffer.length < maxBytes) sysReadBuffer = Buffer.alloc(maxBytes);
  const fd = openSync(file, 'r');
  try {
    const bytesRead = readSync(fd, sysReadBuffer, 0, maxBytes, null);
    return sysReadBuffer.toString('utf8', 0, bytesRead).trim();
  } finally {
    closeSync(fd);
  }
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

/** Whether a path exists (following symlinks), as Go's `os.Stat(p) == nil`. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes(errnoOf(err));
}

/** Not there: ENOENT, or ENOTDIR where a path component is a file (Go's os.IsNotExist and procfs' checks). */
export function isNotFound(err: unknown): boolean {
  return isErrno(err, 'ENOENT', 'ENOTDIR');
}

/**
 * Whether the error means the data source is absent, as Go's
 * errors.Is(err, os.ErrNotExist) decides: ENOENT only (ENOTDIR, a file where
 * a directory should be, is a real failure there).
 */
export function isNotExist(err: unknown): boolean {
  return isErrno(err, 'ENOENT');
}

/** Whether the error is a permission error (os.ErrPermission). */
export function isPermission(err: unknown): boolean {
  return isErrno(err, 'EACCES', 'EPERM');
}
