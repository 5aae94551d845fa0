import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { isNotExist } from '../kernel-files/read.ts';
import { goTrimSpace } from '../kernel-files/parse.ts';
import { readDirEntries, readDirNames } from '../kernel-files/dir.ts';

interface BtrfsLayout {
  totalBytes: number;
  usedBytes: number;
  /** Raw space used per byte of data for the RAID profile. */
  ratio: number;
}

export interface BtrfsAllocation {
  reservedBytes: number;
  /** By profile directory name (single, dup, raid1, raid5...). */
  layouts: Map<string, BtrfsLayout>;
}

export interface BtrfsStats {
  uuid: string;
  label: string;
  /** Device sizes in bytes, by device name. */
  devices: Map<string, number>;
  globalRsvSize: number;
  data: BtrfsAllocation;
  metadata: BtrfsAllocation;
  system: BtrfsAllocation;
  commits: number;
  lastCommitMs: number;
  maxCommitMs: number;
  totalCommitMs: number;
}

const SECTOR_SIZE = 512;

/**
 * Reads one filesystem's sysfs directory with prometheus/procfs' btrfs
 * reader semantics, quirks included, so success matches node_exporter:
 * absent files read as empty, unparsable numbers as 0, and the error of a
 * sub-reader (allocation/<type>) replaces the reader's own error.
 */
class Reader {
  readonly dir: string;
  devCount: number;
  err: Error | undefined;

  constructor(dir: string, devCount = 0) {
    this.dir = dir;
    this.devCount = devCount;
  }

  async file(name: string): Promise<string> {
    try {
      return goTrimSpace(await readFile(path.join(this.dir, name), 'utf8'));
    } catch (err) {
      if (!isNotExist(err)) this.err = err as Error;
      return '';
    }
  }

  async value(name: string): Promise<number> {
    const s = await this.file(name);
    if (this.err) return 0;
    return /^\d+$/.test(s) ? Number(s) : 0;
  }

  async list(name: string): Promise<string[]> {
    try {
      return await readDirNames(path.join(this.dir, name));
    } catch (err) {
      this.err = err as Error;
      return [];
    }
  }

  async allocation(name: string): Promise<BtrfsAllocation> {
    const sub = new Reader(path.join(this.dir, name), this.devCount);
    const reservedBytes = await sub.value('bytes_reserved');
    const layouts = new Map<string, BtrfsLayout>();
    try {
      const entries = await readDirEntries(sub.dir);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        layouts.set(e.name, {
          totalBytes: await sub.value(path.join(e.name, 'total_bytes')),
          usedBytes: await sub.value(path.join(e.name, 'used_bytes')),
          ratio: layoutRatio(e.name, this.devCount),
        });
      }
    } catch (err) {
      sub.err = err as Error;
    }
    this.err = sub.err;
    return { reservedBytes, layouts };
  }

  async commitStats(): Promise<Pick<BtrfsStats, 'commits' | 'lastCommitMs' | 'maxCommitMs' | 'totalCommitMs'>> {
    const stats = { commits: 0, lastCommitMs: 0, maxCommitMs: 0, totalCommitMs: 0 };
    let text: string;
    try {
      text = await readFile(path.join(this.dir, 'commit_stats'), 'utf8');
    } catch (err) {
      // Kernels before 6.0 have no commit_stats.
      if (!isNotExist(err)) this.err = err as Error;
      return stats;
    }
    const keys: Record<string, keyof typeof stats> = {
      commits: 'commits',
      last_commit_ms: 'lastCommitMs',
      max_commit_ms: 'maxCommitMs',
      total_commit_ms: 'totalCommitMs',
    };
    for (const line of text.replace(/\n$/, '').split('\n')) {
      const parts = line
        .trim()
        .split(/\s+/)
        .filter((p) => p !== '');
      if (parts.length !== 2) {
        this.err = new Error(`invalid commit_stats line ${JSON.stringify(line)}`);
        return stats;
      }
      if (!/^\d+$/.test(parts[1]!)) {
        this.err = new Error(`error parsing commit_stats line ${JSON.stringify(line)}`);
        return stats;
      }
      const key = keys[parts[0]!];
      if (key) stats[key] = Number(parts[1]);
    }
    return stats;
  }
}

export function layoutRatio(layout: string, devCount: number): number {
  switch (layout) {
    case 'single':
    case 'raid0':
      return 1;
    case 'dup':
    case 'raid1':
    case 'raid10':
      return 2;
    case 'raid1c3':
      return 3;
    case 'raid1c4':
      return 4;
    case 'raid5':
      return devCount / (devCount - 1);
    case 'raid6':
      return devCount / (devCount - 2);
    default:
      return 0;
  }
}

async function readFilesystem(dir: string): Promise<BtrfsStats> {
  const r = new Reader(dir);
  const devices = new Map<string, number>();
  for (const name of await r.list('devices')) devices.set(name, SECTOR_SIZE * (await r.value(`devices/${name}/size`)));
  r.devCount = devices.size;
  const label = await r.file('label');
  const uuid = await r.file('metadata_uuid');
  await r.list('features');
  const globalRsvSize = await r.value('allocation/global_rsv_size');
  const data = await r.allocation('allocation/data');
  const metadata = await r.allocation('allocation/metadata');
  const system = await r.allocation('allocation/system');
  const commit = await r.commitStats();
  if (r.err) throw new Error(`${dir}: ${r.err.message}`, { cause: r.err });
  return { uuid: uuid || path.basename(dir), label, devices, globalRsvSize, data, metadata, system, ...commit };
}

/** Reads every filesystem of /sys/fs/btrfs (entries named like a UUID); [] when there is none. */
export async function readBtrfsStats(sysfs: string): Promise<BtrfsStats[]> {
  const dir = path.join(sysfs, 'fs', 'btrfs');
  let names: string[];
  try {
    names = await readDirNames(dir);
  } catch {
    return []; // Go's filepath.Glob ignores an unreadable directory.
  }
  const out: BtrfsStats[] = [];
  for (const name of names) if (name.includes('-')) out.push(await readFilesystem(path.join(dir, name)));
  return out;
}
