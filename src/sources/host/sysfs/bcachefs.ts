import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { isNotExist } from '../kernel-files/read.ts';
import { goTrimSpace, parseGoFloat, parseUint, fields, scanLines } from '../kernel-files/parse.ts';
import { readDirEntries } from '../kernel-files/dir.ts';

export interface BcachefsDevice {
  label: string;
  state: string;
  bucketSizeBytes: number;
  buckets: number;
  durability: number;
  /** Bytes by operation (read, write) then data type. */
  ioDone: Map<string, Map<string, number>>;
  /** IO errors since filesystem creation, by type. */
  ioErrors: Map<string, number>;
}

export interface BcachefsStats {
  uuid: string;
  btreeCacheSizeBytes: number;
  /** By algorithm. */
  compression: Map<string, { compressedBytes: number; uncompressedBytes: number }>;
  /** Error counts by error type. */
  errors: Map<string, number>;
  /** Counter values since filesystem creation, by counter name. */
  counters: Map<string, number>;
  /** By btree write type. */
  btreeWrites: Map<string, { count: number; sizeBytes: number }>;
  /** By device index (the N of dev-N). */
  devices: Map<string, BcachefsDevice>;
}

const MULTIPLIERS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** "48.9G" → bytes (powers of 1024, truncated), as procfs' parseHumanReadableBytes. */
export function parseHumanBytes(text: string): number {
  let s = text.trim();
  if (s === '') throw new Error('empty string');
  const mul = MULTIPLIERS[s.at(-1)!.toLowerCase()];
  if (mul !== undefined) s = s.slice(0, -1).trim();
  const value = parseGoFloat(s, 'size') * (mul ?? 1);
  return value <= 0 || Number.isNaN(value) ? 0 : Math.trunc(value);
}

/** A file's text, or undefined when it does not exist; other errors throw. */
async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isNotExist(err)) return undefined;
    throw err;
  }
}

/** compression_stats: a header, then "<algorithm> <compressed> <uncompressed> [<average extent>]". */
export function parseCompressionStats(text: string): BcachefsStats['compression'] {
  const out: BcachefsStats['compression'] = new Map();
  for (const line of scanLines(text).slice(1)) {
    const f = fields(line);
    if (f.length < 3) continue;
    const entry = { compressedBytes: parseHumanBytes(f[1]!), uncompressedBytes: parseHumanBytes(f[2]!) };
    if (f.length >= 4) parseHumanBytes(f[3]!);
    out.set(f[0]!.replace(/:$/, ''), entry);
  }
  return out;
}

/** errors: "<type> <count> [<last time>]" per line. */
function parseErrors(text: string, where: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of scanLines(text)) {
    const f = fields(line);
    if (f.length < 2) continue;
    const count = parseUint(f[1]!, where);
    if (f.length >= 3) parseUint(f[2]!, where);
    out.set(f[0]!, count);
  }
  return out;
}

/** btree_write_stats: a header, then "<type>: <count> <average size>". */
export function parseBtreeWriteStats(text: string, where: string): BcachefsStats['btreeWrites'] {
  const out: BcachefsStats['btreeWrites'] = new Map();
  for (const line of scanLines(text).slice(1)) {
    const f = fields(line);
    if (f.length < 3) continue;
    out.set(f[0]!.replace(/:$/, ''), { count: parseUint(f[1]!, where), sizeBytes: parseHumanBytes(f[2]!) });
  }
  return out;
}

/** counters/<name>: "since mount: N" and "since filesystem creation: N"; the latter is what is exposed. */
export function parseCounterFile(text: string, where: string): number {
  let creation = 0;
  let seen = false;
  for (const line of scanLines(text)) {
    if (line.startsWith('since mount:')) {
      parseHumanBytes(line.slice('since mount:'.length));
      seen = true;
    } else if (line.startsWith('since filesystem creation:')) {
      creation = parseHumanBytes(line.slice('since filesystem creation:'.length));
      seen = true;
    }
  }
  if (!seen) throw new Error(`${where}: counter file format not recognized`);
  return creation;
}

/** io_done: "read:"/"write:" sections of "<data type>: <bytes>". */
export function parseIoDone(text: string, where: string): BcachefsDevice['ioDone'] {
  const out: BcachefsDevice['ioDone'] = new Map();
  let op: string | undefined;
  for (const raw of scanLines(text)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line === 'read:' || line === 'write:') {
      op = line.slice(0, -1);
      if (!out.has(op)) out.set(op, new Map());
      continue;
    }
    if (op === undefined) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    out.get(op)!.set(line.slice(0, colon).trim(), parseUint(line.slice(colon + 1).trim(), where));
  }
  return out;
}

/** io_errors: the "IO errors since filesystem creation" section of "<type>: <count>". */
export function parseIoErrors(text: string, where: string): Map<string, number> {
  const out = new Map<string, number>();
  let inCreation = false;
  for (const line of scanLines(text)) {
    if (line.startsWith('IO errors since filesystem creation')) {
      inCreation = true;
      continue;
    }
    if (line.startsWith('IO errors since ')) break;
    if (!inCreation) continue;
    const t = line.trim();
    const colon = t.indexOf(':');
    if (t === '' || colon < 0) continue;
    out.set(t.slice(0, colon).trim(), parseUint(t.slice(colon + 1).trim(), where));
  }
  return out;
}

async function readDevice(dir: string): Promise<BcachefsDevice> {
  const optional = async (name: string): Promise<string> => {
    try {
      return goTrimSpace(await readFile(path.join(dir, name), 'utf8'));
    } catch {
      return '';
    }
  };
  const uintFile = async (name: string): Promise<number> => {
    const text = await readIfExists(path.join(dir, name));
    return text === undefined ? 0 : parseUint(goTrimSpace(text), path.join(dir, name));
  };
  const bucketSize = await optional('bucket_size');
  const ioDone = await readIfExists(path.join(dir, 'io_done'));
  const ioErrors = await readIfExists(path.join(dir, 'io_errors'));
  return {
    label: await optional('label'),
    state: await optional('state'),
    bucketSizeBytes: bucketSize === '' ? 0 : parseHumanBytes(bucketSize),
    buckets: await uintFile('nbuckets'),
    durability: await uintFile('durability'),
    ioDone: ioDone === undefined ? new Map() : parseIoDone(ioDone, path.join(dir, 'io_done')),
    ioErrors: ioErrors === undefined ? new Map() : parseIoErrors(ioErrors, path.join(dir, 'io_errors')),
  };
}

async function readFilesystem(dir: string, uuid: string): Promise<BcachefsStats> {
  const cacheSize = await readIfExists(path.join(dir, 'btree_cache_size'));
  const trimmedCacheSize = cacheSize === undefined ? '' : goTrimSpace(cacheSize);
  const stats: BcachefsStats = {
    uuid,
    btreeCacheSizeBytes: trimmedCacheSize === '' ? 0 : parseHumanBytes(trimmedCacheSize),
    compression: new Map(),
    errors: new Map(),
    counters: new Map(),
    btreeWrites: new Map(),
    devices: new Map(),
  };
  const compression = await readIfExists(path.join(dir, 'compression_stats'));
  if (compression !== undefined) stats.compression = parseCompressionStats(compression);
  const errors = await readIfExists(path.join(dir, 'errors'));
  if (errors !== undefined) stats.errors = parseErrors(errors, path.join(dir, 'errors'));
  let counterEntries: Dirent[] = [];
  try {
    counterEntries = await readDirEntries(path.join(dir, 'counters'));
  } catch (err) {
    if (!isNotExist(err)) throw err;
  }
  // Over a hundred small files: read them concurrently (results keep the directory order).
  const counterFiles = counterEntries.filter((e) => !e.isDirectory()).map((e) => e.name);
  const counterValues = await Promise.all(
    counterFiles.map(async (name) => {
      const file = path.join(dir, 'counters', name);
      const text = await readIfExists(file);
      return text === undefined ? 0 : parseCounterFile(text, file);
    }),
  );
  counterFiles.forEach((name, i) => stats.counters.set(name, counterValues[i]!));
  const writes = await readIfExists(path.join(dir, 'btree_write_stats'));
  if (writes !== undefined) stats.btreeWrites = parseBtreeWriteStats(writes, path.join(dir, 'btree_write_stats'));
  // Only real directories, as Go's DirEntry.IsDir (a symlinked dev-N is skipped there too).
  const devices = (await readDirEntries(dir)).filter((e) => e.isDirectory() && e.name.startsWith('dev-')).map((e) => e.name);
  const deviceStats = await Promise.all(devices.map((name) => readDevice(path.join(dir, name))));
  devices.forEach((name, i) => stats.devices.set(name.slice(4), deviceStats[i]!));
  return stats;
}

/** Reads every filesystem directory of /sys/fs/bcachefs; throws ENOENT when bcachefs is absent. */
export async function readBcachefsStats(sysfs: string): Promise<BcachefsStats[]> {
  const base = path.join(sysfs, 'fs', 'bcachefs');
  const out: BcachefsStats[] = [];
  for (const e of await readDirEntries(base)) {
    if (!e.isDirectory()) continue;
    const dir = path.join(base, e.name);
    try {
      out.push(await readFilesystem(dir, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw err; // keep fs error codes for the caller
      throw new Error(`${dir}: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}
