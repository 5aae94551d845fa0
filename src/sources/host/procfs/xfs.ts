/**
 * Parser of XFS runtime statistics, /sys/fs/xfs/<device>/stats/stats (the
 * per-filesystem form of /proc/fs/xfs/stat, kernel 4.4+). Each line is a
 * category and its counters. Validation follows prometheus/procfs (xfs
 * package): counters are 32-bit except the xpc, defer_relog and "gc xpc"
 * lines, and known categories must have their exact number of counters.
 */
import path from 'node:path';
import { listDir, readTextIfExists } from '../kernel-files/read.ts';
import { fields, parseUint, scanLines } from '../kernel-files/parse.ts';

interface XfsBTreeStats {
  lookups: number;
  compares: number;
  recordsInserted: number;
  recordsDeleted: number;
}

export interface XfsStats {
  /** The filesystem's device name (the directory under /sys/fs/xfs). */
  name: string;
  extentAllocation: { extentsAllocated: number; blocksAllocated: number; extentsFreed: number; blocksFreed: number };
  allocationBTree: XfsBTreeStats;
  blockMapping: {
    reads: number;
    writes: number;
    unmaps: number;
    extentListInsertions: number;
    extentListDeletions: number;
    extentListLookups: number;
    extentListCompares: number;
  };
  blockMapBTree: XfsBTreeStats;
  directoryOperation: { lookups: number; creates: number; removes: number; getdents: number };
  inodeOperation: { attempts: number; found: number; recycle: number; missed: number; duplicate: number; reclaims: number; attributeChange: number };
  readWrite: { read: number; write: number };
  vnode: { active: number; allocate: number; get: number; hold: number; release: number; reclaim: number; remove: number; free: number };
  /** Every category as read, including those not mapped above. */
  categories: Map<string, number[]>;
}

const UINT32_MAX = 0xffffffff;
/** Categories whose counters are 64-bit. */
const WIDE = new Set(['xpc', 'defer_relog', 'gc xpc']);
const BTREE_V2 = ['abtb2', 'abtc2', 'bmbt2', 'ibt2', 'fibt2', 'rmapbt', 'refcntbt', 'rmapbt_mem', 'rcbagbt', 'rtrmapbt', 'rtrmapbt_mem', 'rtrefcntbt'];
/** Allowed counter counts per known category: exact counts, or [min] for "at least". */
const COUNTS: Record<string, number[] | [number, 'min']> = {
  extent_alloc: [4],
  abt: [4],
  blk_map: [7],
  bmbt: [4],
  dir: [4],
  trans: [3],
  ig: [7],
  log: [5],
  push_ail: [10],
  xstrat: [2],
  rw: [2],
  attr: [4],
  icluster: [3],
  vnodes: [7, 8],
  buf: [9],
  xpc: [3],
  qm: [8, 9],
  debug: [1],
  defer_relog: [1],
  'gc xpc': [1],
  zoned: [3, 'min'],
  metafile: [1, 'min'],
  ...Object.fromEntries(BTREE_V2.map((c) => [c, [15]])),
};

function checkCount(category: string, n: number, file: string): void {
  const rule = COUNTS[category];
  if (!rule) return;
  const ok = rule[1] === 'min' ? n >= (rule[0] as number) : (rule as number[]).includes(n);
  if (!ok) throw new Error(`${file}: incorrect number of values for XFS ${category} stats: ${n}`);
}

/** Parses one stats file into categories; `name` is the device. */
export function parseXfsStats(text: string, name: string, file = 'stats'): XfsStats {
  const categories = new Map<string, number[]>();
  for (const line of scanLines(text)) {
    const parts = fields(line);
    if (parts.length < 2) continue;
    // "gc xpc <n>" is the one two-word category.
    const twoWord = parts[0] === 'gc' && parts[1] === 'xpc' && parts.length >= 3;
    const category = twoWord ? 'gc xpc' : parts[0]!;
    const values = parts.slice(twoWord ? 2 : 1).map((v) => {
      const n = parseUint(v, `${file} ${category}`);
      if (!WIDE.has(category) && n > UINT32_MAX) throw new Error(`${file} ${category}: value ${v} out of 32-bit range`);
      return n;
    });
    checkCount(category, values.length, file);
    categories.set(category, values);
  }
  // Categories the kernel did not print read as zeros, as in procfs.
  const get = (category: string, n: number): number[] => categories.get(category) ?? new Array<number>(n).fill(0);
  const btree = (v: number[]): XfsBTreeStats => ({ lookups: v[0]!, compares: v[1]!, recordsInserted: v[2]!, recordsDeleted: v[3]! });
  const ea = get('extent_alloc', 4);
  const bm = get('blk_map', 7);
  const dir = get('dir', 4);
  const ig = get('ig', 7);
  const rw = get('rw', 2);
  const vn = get('vnodes', 8);
  return {
    name,
    extentAllocation: { extentsAllocated: ea[0]!, blocksAllocated: ea[1]!, extentsFreed: ea[2]!, blocksFreed: ea[3]! },
    allocationBTree: btree(get('abt', 4)),
    blockMapping: {
      reads: bm[0]!,
      writes: bm[1]!,
      unmaps: bm[2]!,
      extentListInsertions: bm[3]!,
      extentListDeletions: bm[4]!,
      extentListLookups: bm[5]!,
      extentListCompares: bm[6]!,
    },
    blockMapBTree: btree(get('bmbt', 4)),
    directoryOperation: { lookups: dir[0]!, creates: dir[1]!, removes: dir[2]!, getdents: dir[3]! },
    inodeOperation: { attempts: ig[0]!, found: ig[1]!, recycle: ig[2]!, missed: ig[3]!, duplicate: ig[4]!, reclaims: ig[5]!, attributeChange: ig[6]! },
    // The kernel prints write calls before read calls.
    readWrite: { write: rw[0]!, read: rw[1]! },
    vnode: { active: vn[0]!, allocate: vn[1]!, get: vn[2]!, hold: vn[3]!, release: vn[4]!, reclaim: vn[5]!, remove: vn[6]!, free: vn[7] ?? 0 },
    categories,
  };
}

/** Statistics of every mounted XFS filesystem, by device name order; [] on kernels or hosts without XFS. */
export async function readXfsSysStats(sysfs: string): Promise<XfsStats[]> {
  const root = path.join(sysfs, 'fs/xfs');
  const out: XfsStats[] = [];
  for (const device of await listDir(root)) {
    const file = path.join(root, device, 'stats/stats');
    const text = await readTextIfExists(file);
    if (text !== undefined) out.push(parseXfsStats(text, device, file));
  }
  return out;
}
