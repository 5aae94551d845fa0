import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseGoInt } from '../kernel-files/parse.ts';

/** The /proc/zoneinfo keys procfs reads, in the order of its Zoneinfo struct (node_exporter emits in that order). */
export const ZONEINFO_KEYS = [
  'nr_free_pages',
  'min',
  'low',
  'high',
  'scanned',
  'spanned',
  'present',
  'managed',
  'nr_active_anon',
  'nr_inactive_anon',
  'nr_isolated_anon',
  'nr_anon_pages',
  'nr_anon_transparent_hugepages',
  'nr_active_file',
  'nr_inactive_file',
  'nr_isolated_file',
  'nr_file_pages',
  'nr_slab_reclaimable',
  'nr_slab_unreclaimable',
  'nr_mlock_stack',
  'nr_kernel_stack',
  'nr_mapped',
  'nr_dirty',
  'nr_writeback',
  'nr_unevictable',
  'nr_shmem',
  'nr_dirtied',
  'nr_written',
  'numa_hit',
  'numa_miss',
  'numa_foreign',
  'numa_interleave',
  'numa_local',
  'numa_other',
] as const;
export type ZoneinfoKey = (typeof ZONEINFO_KEYS)[number];

export interface Zone {
  node: string;
  zone: string;
  values: Partial<Record<ZoneinfoKey, number>>;
  /** lowmem_reserve protection against each higher zone; undefined when the line is absent or unreadable. */
  protection?: number[];
}

const KNOWN = new Set<string>(ZONEINFO_KEYS);
const NODE_ZONE = /(\d+), zone\s+(\w+)/;

/**
 * Parses /proc/zoneinfo into one entry per "Node N, zone NAME" block. The
 * node-wide "per-node stats" printed inside a node's first zone belong to
 * that zone's entry, as in procfs. procfs drops a value it cannot parse;
 * here a garbled value of a known key is an error, so a broken file shows
 * as a failed collection rather than silently missing series.
 */
export function parseZoneinfo(text: string, file = '/proc/zoneinfo'): Zone[] {
  return text.split('\nNode').map((block) => {
    const zone: Zone = { node: '', zone: '', values: {} };
    for (const line of block.split('\n')) {
      const nz = NODE_ZONE.exec(line);
      if (nz) {
        zone.node = nz[1]!;
        zone.zone = nz[2]!;
        continue;
      }
      const trimmed = line.trim();
      if (trimmed.startsWith('per-node stats')) continue;
      const parts = trimmed.split(/\s+/);
      if (parts.length < 2) continue;
      const key = parts[0]!;
      if (KNOWN.has(key)) {
        zone.values[key as ZoneinfoKey] = parseGoInt(parts[1]!, `${file} node ${zone.node} zone ${zone.zone} ${key}`);
      } else if (key === 'protection:') {
        const list = line.split(':')[1]!.replace('(', '').replace(')', '').trim().split(', ');
        const values = list.map((v) => (/^[+-]?\d+$/.test(v) ? Number(v) : NaN));
        if (values.every((v) => !Number.isNaN(v))) zone.protection = values;
      }
    }
    return zone;
  });
}

export async function readZoneinfo(procfs: string): Promise<Zone[]> {
  const file = path.join(procfs, 'zoneinfo');
  return parseZoneinfo(await readText(file), file);
}
