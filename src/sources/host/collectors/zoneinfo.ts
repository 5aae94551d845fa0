import { FamilySet, type MetricType } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readZoneinfo, ZONEINFO_KEYS, type ZoneinfoKey } from '../procfs/zoneinfo.ts';

/** Metric name (after node_zoneinfo_), type and HELP of each zoneinfo key, as node_exporter names them. */
const METRICS: Record<ZoneinfoKey, [string, MetricType, string]> = {
  nr_free_pages: ['nr_free_pages', 'gauge', 'Total number of free pages in the zone'],
  min: ['min_pages', 'gauge', 'Zone watermark pages_min'],
  low: ['low_pages', 'gauge', 'Zone watermark pages_low'],
  high: ['high_pages', 'gauge', 'Zone watermark pages_high'],
  scanned: ['scanned_pages', 'gauge', 'Pages scanned since last reclaim'],
  spanned: ['spanned_pages', 'gauge', 'Total pages spanned by the zone, including holes'],
  present: ['present_pages', 'gauge', 'Physical pages existing within the zone'],
  managed: ['managed_pages', 'gauge', 'Present pages managed by the buddy system'],
  nr_active_anon: ['nr_active_anon_pages', 'gauge', 'Number of anonymous pages recently more used'],
  nr_inactive_anon: ['nr_inactive_anon_pages', 'gauge', 'Number of anonymous pages recently less used'],
  nr_isolated_anon: ['nr_isolated_anon_pages', 'gauge', 'Temporary isolated pages from anon lru'],
  nr_anon_pages: ['nr_anon_pages', 'gauge', 'Number of anonymous pages currently used by the system'],
  nr_anon_transparent_hugepages: ['nr_anon_transparent_hugepages', 'gauge', 'Number of anonymous transparent huge pages currently used by the system'],
  nr_active_file: ['nr_active_file_pages', 'gauge', 'Number of active pages with file-backing'],
  nr_inactive_file: ['nr_inactive_file_pages', 'gauge', 'Number of inactive pages with file-backing'],
  nr_isolated_file: ['nr_isolated_file_pages', 'gauge', 'Temporary isolated pages from file lru'],
  nr_file_pages: ['nr_file_pages', 'gauge', 'Number of file pages'],
  nr_slab_reclaimable: ['nr_slab_reclaimable_pages', 'gauge', 'Number of reclaimable slab pages'],
  nr_slab_unreclaimable: ['nr_slab_unreclaimable_pages', 'gauge', 'Number of unreclaimable slab pages'],
  nr_mlock_stack: ['nr_mlock_stack_pages', 'gauge', 'mlock()ed pages found and moved off LRU'],
  nr_kernel_stack: ['nr_kernel_stacks', 'gauge', 'Number of kernel stacks'],
  nr_mapped: ['nr_mapped_pages', 'gauge', 'Number of mapped pages'],
  nr_dirty: ['nr_dirty_pages', 'gauge', 'Number of dirty pages'],
  nr_writeback: ['nr_writeback_pages', 'gauge', 'Number of writeback pages'],
  nr_unevictable: ['nr_unevictable_pages', 'gauge', 'Number of unevictable pages'],
  nr_shmem: ['nr_shmem_pages', 'gauge', 'Number of shmem pages (included tmpfs/GEM pages)'],
  nr_dirtied: ['nr_dirtied_total', 'counter', 'Page dirtyings since bootup'],
  nr_written: ['nr_written_total', 'counter', 'Page writings since bootup'],
  numa_hit: ['numa_hit_total', 'counter', 'Allocated in intended node'],
  numa_miss: ['numa_miss_total', 'counter', 'Allocated in non intended node'],
  numa_foreign: ['numa_foreign_total', 'counter', 'Was intended here, hit elsewhere'],
  numa_interleave: ['numa_interleave_total', 'counter', 'Interleaver preferred this zone'],
  numa_local: ['numa_local_total', 'counter', 'Allocation from local node'],
  numa_other: ['numa_other_total', 'counter', 'Allocation from other node'],
};

export const zoneinfo: CollectorDefinition = {
  name: 'zoneinfo',
  defaultEnabled: false,
  description: 'Exposes NUMA memory zone metrics.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const z of await readZoneinfo(paths.procfs)) {
      const labels = { node: z.node, zone: z.zone };
      for (const key of ZONEINFO_KEYS) {
        const value = z.values[key];
        if (value === undefined) continue;
        const [name, type, help] = METRICS[key];
        out.add(`node_zoneinfo_${name}`, help, type, value, labels);
      }
      z.protection?.forEach((value, i) => out.gauge(`node_zoneinfo_protection_${i}`, `Protection array ${i}. field`, value, labels));
    }
    return out.toArray();
  }),
};
