import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readMeminfo } from '../procfs/meminfo.ts';

/**
 * The /proc/meminfo keys node_exporter 1.12 exports and their metric name
 * suffixes: `(anon)`/`(file)` become `_anon`/`_file`, sizes get `_bytes`,
 * HugePages_* counts keep their name. Keys not listed (e.g. KReclaimable,
 * FileHugePages) are not exported by node_exporter 1.12 either.
 */
const EXPORTED: ReadonlyMap<string, string> = new Map([
  ...[
    'Active',
    'AnonHugePages',
    'AnonPages',
    'Bounce',
    'Buffers',
    'Cached',
    'CmaFree',
    'CmaTotal',
    'CommitLimit',
    'Committed_AS',
    'DirectMap1G',
    'DirectMap2M',
    'DirectMap4k',
    'Dirty',
    'HardwareCorrupted',
    'Hugepagesize',
    'Inactive',
    'KernelStack',
    'Mapped',
    'MemAvailable',
    'MemFree',
    'MemTotal',
    'Mlocked',
    'NFS_Unstable',
    'PageTables',
    'Percpu',
    'SReclaimable',
    'SUnreclaim',
    'Shmem',
    'ShmemHugePages',
    'ShmemPmdMapped',
    'Slab',
    'SwapCached',
    'SwapFree',
    'SwapTotal',
    'Unevictable',
    'VmallocChunk',
    'VmallocTotal',
    'VmallocUsed',
    'Writeback',
    'WritebackTmp',
    'Zswap',
    'Zswapped',
  ].map((k): [string, string] => [k, `${k}_bytes`]),
  ['Active(anon)', 'Active_anon_bytes'],
  ['Active(file)', 'Active_file_bytes'],
  ['Inactive(anon)', 'Inactive_anon_bytes'],
  ['Inactive(file)', 'Inactive_file_bytes'],
  ...['HugePages_Free', 'HugePages_Rsvd', 'HugePages_Surp', 'HugePages_Total'].map((k): [string, string] => [k, k]),
]);

export const meminfo: CollectorDefinition = {
  name: 'meminfo',
  defaultEnabled: true,
  description: 'Exposes memory statistics.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const entry of await readMeminfo(paths.procfs)) {
      const suffix = EXPORTED.get(entry.key);
      if (suffix === undefined) continue;
      const name = `node_memory_${suffix}`;
      const value = suffix.endsWith('_bytes') ? entry.bytes : entry.value;
      // node_exporter types a field as a counter only when its name ends in _total; none of these do.
      out.gauge(name, `Memory information field ${suffix}.`, value);
    }
    return out.toArray();
  }),
};
