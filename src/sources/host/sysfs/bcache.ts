import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { isNotExist } from '../kernel-files/read.ts';
import { parseGoFloat } from '../kernel-files/parse.ts';
import { readDirNames } from '../kernel-files/dir.ts';

interface BcachePeriodStats {
  bypassed: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBypassHits: number;
  cacheBypassMisses: number;
  cacheMissCollisions: number;
  cacheReadaheads: number;
}

interface BcacheBdev {
  name: string;
  dirtyData: number;
  writeback: { rate: number; dirty: number; target: number; proportional: number; integral: number; change: number; nextIoMs: number };
  total: BcachePeriodStats;
}

interface BcacheCache {
  name: string;
  ioErrors: number;
  metadataWritten: number;
  written: number;
  /** Only read with --collector.bcache.priorityStats (reading priority_stats is expensive for the kernel). */
  priority?: { unusedPercent: number; metadataPercent: number };
}

export interface BcacheStats {
  name: string;
  averageKeySize: number;
  btreeCacheSize: number;
  cacheAvailablePercent: number;
  congested: number;
  rootUsagePercent: number;
  treeDepth: number;
  activeJournalEntries: number;
  btreeNodes: number;
  /** btree_read_average_duration_us, which procfs stores (and node_exporter scales) as nanoseconds. */
  btreeReadAverageDuration: number;
  cacheReadRaces: number;
  bdevs: BcacheBdev[];
  caches: BcacheCache[];
}

/** bch_hprint's "<int>.<tenths*10.24>" mantissa: ".10" is 10/10.24, not a tenth. */
export function parsePseudoFloat(text: string): number {
  const parts = text.split('.');
  const intPart = parseGoFloat(parts[0]!, 'bcache value');
  if (parts.length === 1) return intPart;
  return intPart + parseGoFloat(parts[1]!, 'bcache value') / 10.24;
}

const MULTIPLIERS: Record<string, number> = { k: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60, Z: 2 ** 70, Y: 2 ** 80 };

/** "20.4G" → bytes, as procfs' dehumanize (an unknown suffix multiplies by 0; the result is truncated to an integer). */
export function dehumanize(text: string): number {
  if (text.length === 0) throw new Error('zero-length reply');
  const last = text.charCodeAt(text.length - 1);
  let value: number;
  if (last > 57) value = parsePseudoFloat(text.slice(0, -1)) * (MULTIPLIERS[text.at(-1)!] ?? 0);
  else value = parseGoFloat(text, 'bcache value');
  return value <= 0 || Number.isNaN(value) ? 0 : Math.trunc(value);
}

export function dehumanizeSigned(text: string): number {
  const value = dehumanize(text.startsWith('-') ? text.slice(1) : text);
  return text.startsWith('-') ? -value : value;
}

/** The last field of a "key: value" line, with an optional unit suffix removed. */
function lastField(line: string, suffix = ''): string {
  const f = line.trim().split(/\s+/);
  const v = f[f.length - 1]!;
  return suffix && v.endsWith(suffix) ? v.slice(0, -suffix.length) : v;
}

function parseWritebackRateDebug(text: string, file: string): BcacheBdev['writeback'] {
  const wb = { rate: 0, dirty: 0, target: 0, proportional: 0, integral: 0, change: 0, nextIoMs: 0 };
  for (const line of text.replace(/\n$/, '').split('\n')) {
    try {
      if (line.startsWith('rate:')) wb.rate = dehumanize(lastField(line, '/sec'));
      else if (line.startsWith('dirty:')) wb.dirty = dehumanize(lastField(line));
      else if (line.startsWith('target:')) wb.target = dehumanize(lastField(line));
      else if (line.startsWith('proportional:')) wb.proportional = dehumanizeSigned(lastField(line));
      else if (line.startsWith('integral:')) wb.integral = dehumanizeSigned(lastField(line));
      else if (line.startsWith('change:')) wb.change = dehumanizeSigned(lastField(line, '/sec'));
      else if (line.startsWith('next io:')) {
        const v = lastField(line, 'ms');
        if (!/^[+-]?\d+$/.test(v)) throw new Error(`invalid integer ${JSON.stringify(v)}`);
        wb.nextIoMs = Number(v);
      }
    } catch (err) {
      throw new Error(`failed to parse path ${JSON.stringify(file)}: ${(err as Error).message}`, { cause: err });
    }
  }
  return wb;
}

function parsePriorityStats(text: string, file: string): { unusedPercent: number; metadataPercent: number } {
  const ps = { unusedPercent: 0, metadataPercent: 0 };
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const key = line.startsWith('Unused:') ? 'unusedPercent' : line.startsWith('Metadata:') ? 'metadataPercent' : undefined;
    if (!key) continue;
    const v = lastField(line, '%');
    if (!/^\d+$/.test(v)) throw new Error(`failed to parse path ${JSON.stringify(file)}: invalid percentage ${JSON.stringify(v)}`);
    ps[key] = Number(v);
  }
  return ps;
}

/** procfs' bcache reader: missing files read as 0, the first other error stops the reading of one cache set. */
class Reader {
  readonly uuidPath: string;
  dir: string;
  err: Error | undefined;

  constructor(uuidPath: string) {
    this.uuidPath = uuidPath;
    this.dir = uuidPath;
  }

  cd(...parts: string[]): void {
    this.dir = path.join(this.uuidPath, ...parts);
  }

  async value(name: string): Promise<number> {
    if (this.err) return 0;
    const file = path.join(this.dir, name);
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch (err) {
      if (!isNotExist(err)) this.err = new Error(`failed to read: ${file}`, { cause: err });
      return 0;
    }
    try {
      // procfs drops the last byte, expecting the newline sysfs ends values with.
      return dehumanize(text.slice(0, -1));
    } catch (err) {
      this.err = new Error(`${file}: ${(err as Error).message}`, { cause: err });
      return 0;
    }
  }

  async parsedFile<T>(name: string, parse: (text: string, file: string) => T, empty: T): Promise<T> {
    if (this.err) return empty;
    const file = path.join(this.dir, name);
    try {
      return parse(await readFile(file, 'utf8'), file);
    } catch (err) {
      this.err = (err as NodeJS.ErrnoException).code ? new Error(`failed to read: ${file}`, { cause: err }) : (err as Error);
      return empty;
    }
  }

  async period(): Promise<BcachePeriodStats> {
    return {
      bypassed: await this.value('bypassed'),
      cacheBypassHits: await this.value('cache_bypass_hits'),
      cacheBypassMisses: await this.value('cache_bypass_misses'),
      cacheHits: await this.value('cache_hits'),
      cacheMissCollisions: await this.value('cache_miss_collisions'),
      cacheMisses: await this.value('cache_misses'),
      cacheReadaheads: await this.value('cache_readaheads'),
    };
  }

  check(): void {
    if (this.err) throw this.err;
  }
}

async function readCacheSet(uuidPath: string, priorityStats: boolean): Promise<BcacheStats> {
  const r = new Reader(uuidPath);
  const stats: BcacheStats = {
    name: path.basename(uuidPath),
    averageKeySize: await r.value('average_key_size'),
    btreeCacheSize: await r.value('btree_cache_size'),
    cacheAvailablePercent: await r.value('cache_available_percent'),
    congested: await r.value('congested'),
    rootUsagePercent: await r.value('root_usage_percent'),
    treeDepth: await r.value('tree_depth'),
    activeJournalEntries: 0,
    btreeNodes: 0,
    btreeReadAverageDuration: 0,
    cacheReadRaces: 0,
    bdevs: [],
    caches: [],
  };
  r.cd('internal');
  stats.activeJournalEntries = await r.value('active_journal_entries');
  stats.btreeNodes = await r.value('btree_nodes');
  stats.btreeReadAverageDuration = await r.value('btree_read_average_duration_us');
  stats.cacheReadRaces = await r.value('cache_read_races');
  // Read like procfs does (errors count), though node_exporter exposes no set-wide period stats.
  r.cd('stats_five_minute');
  await r.period();
  r.cd('stats_total');
  await r.period();
  r.check();

  const entries = await readDirNames(uuidPath).catch(() => [] as string[]);
  for (const name of entries.filter((n) => /^bdev\d/.test(n))) {
    r.cd(name);
    const dirtyData = await r.value('dirty_data');
    const writeback = await r.parsedFile('writeback_rate_debug', parseWritebackRateDebug, {
      rate: 0,
      dirty: 0,
      target: 0,
      proportional: 0,
      integral: 0,
      change: 0,
      nextIoMs: 0,
    });
    r.cd(name, 'stats_five_minute');
    await r.period();
    r.cd(name, 'stats_total');
    stats.bdevs.push({ name, dirtyData, writeback, total: await r.period() });
  }
  r.check();

  for (const name of entries.filter((n) => /^cache\d/.test(n))) {
    r.cd(name);
    const cache: BcacheCache = {
      name,
      ioErrors: await r.value('io_errors'),
      metadataWritten: await r.value('metadata_written'),
      written: await r.value('written'),
    };
    if (priorityStats) cache.priority = await r.parsedFile('priority_stats', parsePriorityStats, { unusedPercent: 0, metadataPercent: 0 });
    stats.caches.push(cache);
  }
  r.check();
  return stats;
}

/** Reads every cache set of /sys/fs/bcache (entries named like a UUID); [] when there is none. */
export async function readBcacheStats(sysfs: string, priorityStats: boolean): Promise<BcacheStats[]> {
  const dir = path.join(sysfs, 'fs', 'bcache');
  let names: string[];
  try {
    names = await readDirNames(dir);
  } catch {
    return []; // Go's filepath.Glob ignores an unreadable directory.
  }
  const out: BcacheStats[] = [];
  for (const name of names) if (name.includes('-')) out.push(await readCacheSet(path.join(dir, name), priorityStats));
  return out;
}
