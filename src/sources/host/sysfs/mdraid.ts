import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readSysAttr, readUintAttr } from '../kernel-files/read.ts';
import { goTrimSpace } from '../kernel-files/parse.ts';
import { readDirNames } from '../kernel-files/dir.ts';

/** One md array of /sys/block/md<N>/md. */
export interface Mdraid {
  device: string;
  level: string;
  arrayState: string;
  /** raid_disks; absent for containers, an empty level or an unreadable count. */
  disks?: number;
  /** Degraded disks (raid1/4/5/6/10 only, else 0). */
  degradedDisks: number;
  /** Completed fraction of the running sync; 0 when none. */
  syncCompleted: number;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readDirNames(dir);
  } catch {
    return []; // Go's filepath.Glob ignores unreadable directories.
  }
}

/** Reads every /sys/block/md*\/md, with the same required files as prometheus/procfs. */
export async function readMdraids(sysfs: string): Promise<Mdraid[]> {
  const blockDir = path.join(sysfs, 'block');
  const out: Mdraid[] = [];
  for (const device of await readdirOrEmpty(blockDir)) {
    if (!device.startsWith('md')) continue;
    if (!(await readdirOrEmpty(path.join(blockDir, device))).includes('md')) continue;
    const dir = path.join(blockDir, device, 'md');
    out.push(await readMdraid(dir, device, await readdirOrEmpty(dir)));
  }
  return out;
}

async function readMdraid(dir: string, device: string, entries: string[]): Promise<Mdraid> {
  const level = await readSysAttr(path.join(dir, 'level'));
  const md: Mdraid = { device, level, arrayState: await readSysAttr(path.join(dir, 'array_state')), degradedDisks: 0, syncCompleted: 0 };
  await readSysAttr(path.join(dir, 'metadata_version'));
  if (!['container', 'imsm', 'ddf', ''].includes(level)) md.disks = parseRaidDisks(goTrimSpace(await readFile(path.join(dir, 'raid_disks'), 'utf8')));
  await readSysAttr(path.join(dir, 'uuid'));
  for (const entry of entries) if (entry.startsWith('dev-')) await readSysAttr(path.join(dir, entry, 'state'));
  if (['raid0', 'raid4', 'raid5', 'raid6', 'raid10'].includes(level)) await readUintAttr(path.join(dir, 'chunk_size'));
  if (['raid1', 'raid4', 'raid5', 'raid6', 'raid10'].includes(level)) {
    md.degradedDisks = await readUintAttr(path.join(dir, 'degraded'));
    await readSysAttr(path.join(dir, 'sync_action'));
    const completed = await readSysAttr(path.join(dir, 'sync_completed'));
    if (completed !== 'none') {
      const m = /^\s*(\d+)\s*\/\s*(\d+)/.exec(completed);
      if (!m) throw new Error(`${path.join(dir, 'sync_completed')}: expected "<done> / <total>", got ${JSON.stringify(completed)}`);
      md.syncCompleted = Number(m[1]) / Number(m[2]);
    }
  }
  return md;
}

/** raid_disks is a count, or "current (previous)" during a reshape; anything else leaves it unknown. */
export function parseRaidDisks(content: string): number | undefined {
  if (/^\d+$/.test(content)) return Number(content);
  const space = content.indexOf(' ');
  if (space > 0 && /^\d+$/.test(content.slice(0, space))) return Number(content.slice(0, space));
  return undefined;
}
