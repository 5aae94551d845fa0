import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readKsm, type KsmFile } from '../sysfs/ksm.ts';

/** Family, HELP, type and scale of each ksm file, in node_exporter's wording. */
const KSM_METRICS: Record<KsmFile, [string, string, 'counter' | 'gauge', number]> = {
  full_scans: ['node_ksmd_full_scans_total', 'How many times all mergeable areas have been scanned.', 'counter', 1],
  general_profit: ['node_ksmd_general_profit_bytes', 'How effective is KSM. ksm_saved_pages * sizeof(page) - (all_rmap_items) * sizeof(rmap_item)', 'gauge', 1],
  merge_across_nodes: ['node_ksmd_merge_across_nodes', 'Specifies if pages from different NUMA nodes can be merged.', 'gauge', 1],
  pages_shared: ['node_ksmd_pages_shared', 'How many shared pages are being used.', 'gauge', 1],
  pages_sharing: ['node_ksmd_pages_sharing', 'How many more sites are sharing them i.e. how much saved.', 'gauge', 1],
  pages_to_scan: ['node_ksmd_pages_to_scan', 'How many pages to scan before ksmd goes to sleep.', 'gauge', 1],
  pages_unshared: ['node_ksmd_pages_unshared', 'How many pages unique but repeatedly checked for merging.', 'gauge', 1],
  pages_volatile: ['node_ksmd_pages_volatile', 'How many pages changing too fast to be placed in a tree.', 'gauge', 1],
  run: ['node_ksmd_run', 'The status of ksmd. stopped = 0, running = 1', 'gauge', 1],
  sleep_millisecs: ['node_ksmd_sleep_seconds', 'How many seconds ksmd should sleep before next scan.', 'gauge', 1 / 1000],
};

export const ksmd: CollectorDefinition = {
  name: 'ksmd',
  defaultEnabled: false,
  description: 'Exposes kernel and system statistics from /sys/kernel/mm/ksm.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const [file, value] of await readKsm(paths.sysfs)) {
      const [name, help, type, scale] = KSM_METRICS[file];
      // Divide rather than multiply by 0.001 so 20 ms gives exactly 0.02, as Go's v/1000.
      out.add(name, help, type, scale === 1 ? value : value / 1000);
    }
    return out.toArray();
  }),
};
