import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readBcacheStats, type BcacheStats } from '../sysfs/bcache.ts';

const PRIORITY_OPTION = 'collector.bcache.priorityStats';

function addCacheSet(out: FamilySet, s: BcacheStats, priorityStats: boolean): void {
  const uuid = { uuid: s.name };
  out.gauge('node_bcache_average_key_size_sectors', 'Average data per key in the btree (sectors).', s.averageKeySize, uuid);
  out.gauge('node_bcache_btree_cache_size_bytes', 'Amount of memory currently used by the btree cache.', s.btreeCacheSize, uuid);
  out.gauge(
    'node_bcache_cache_available_percent',
    'Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).',
    s.cacheAvailablePercent,
    uuid,
  );
  out.gauge('node_bcache_congested', 'Congestion.', s.congested, uuid);
  out.gauge('node_bcache_root_usage_percent', 'Percentage of the root btree node in use (tree depth increases if too high).', s.rootUsagePercent, uuid);
  out.gauge('node_bcache_tree_depth', 'Depth of the btree.', s.treeDepth, uuid);
  out.gauge('node_bcache_active_journal_entries', 'Number of journal entries that are newer than the index.', s.activeJournalEntries, uuid);
  out.gauge('node_bcache_btree_nodes', 'Total nodes in the btree.', s.btreeNodes, uuid);
  out.gauge('node_bcache_btree_read_average_duration_seconds', 'Average btree read duration.', s.btreeReadAverageDuration * 1e-9, uuid);
  out.counter(
    'node_bcache_cache_read_races_total',
    'Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.',
    s.cacheReadRaces,
    uuid,
  );
  for (const b of s.bdevs) {
    const l = { uuid: s.name, backing_device: b.name };
    out.gauge('node_bcache_dirty_data_bytes', 'Amount of dirty data for this backing device in the cache.', b.dirtyData, l);
    out.gauge('node_bcache_dirty_target_bytes', 'Current dirty data target threshold for this backing device in bytes.', b.writeback.target, l);
    out.gauge('node_bcache_writeback_rate', 'Current writeback rate for this backing device in bytes.', b.writeback.rate, l);
    out.gauge('node_bcache_writeback_rate_proportional_term', 'Current result of proportional controller, part of writeback rate', b.writeback.proportional, l);
    out.gauge('node_bcache_writeback_rate_integral_term', 'Current result of integral controller, part of writeback rate', b.writeback.integral, l);
    out.gauge('node_bcache_writeback_change', 'Last writeback rate change step for this backing device.', b.writeback.change, l);
    const t = b.total;
    out.counter('node_bcache_bypassed_bytes_total', 'Amount of IO (both reads and writes) that has bypassed the cache.', t.bypassed, l);
    out.counter('node_bcache_cache_hits_total', 'Hits counted per individual IO as bcache sees them.', t.cacheHits, l);
    out.counter('node_bcache_cache_misses_total', 'Misses counted per individual IO as bcache sees them.', t.cacheMisses, l);
    out.counter('node_bcache_cache_bypass_hits_total', 'Hits for IO intended to skip the cache.', t.cacheBypassHits, l);
    out.counter('node_bcache_cache_bypass_misses_total', 'Misses for IO intended to skip the cache.', t.cacheBypassMisses, l);
    out.counter(
      'node_bcache_cache_miss_collisions_total',
      'Instances where data insertion from cache miss raced with write (data already present).',
      t.cacheMissCollisions,
      l,
    );
    if (t.cacheReadaheads !== 0) out.counter('node_bcache_cache_readaheads_total', 'Count of times readahead occurred.', t.cacheReadaheads, l);
  }
  for (const c of s.caches) {
    const l = { uuid: s.name, cache_device: c.name };
    out.gauge('node_bcache_io_errors', 'Number of errors that have occurred, decayed by io_error_halflife.', c.ioErrors, l);
    out.counter('node_bcache_metadata_written_bytes_total', 'Sum of all non data writes (btree writes and all other metadata).', c.metadataWritten, l);
    out.counter('node_bcache_written_bytes_total', 'Sum of all data that has been written to the cache.', c.written, l);
    if (priorityStats && c.priority) {
      out.gauge('node_bcache_priority_stats_unused_percent', "The percentage of the cache that doesn't contain any data.", c.priority.unusedPercent, l);
      out.gauge('node_bcache_priority_stats_metadata_percent', "Bcache's metadata overhead.", c.priority.metadataPercent, l);
    }
  }
}

export const bcache: CollectorDefinition = {
  name: 'bcache',
  defaultEnabled: true,
  description: 'Exposes bcache statistics from /sys/fs/bcache/.',
  options: [{ name: PRIORITY_OPTION, kind: 'bool', default: false, help: 'Expose expensive priority stats.' }],
  create: stateless(async ({ paths, options }) => {
    const priorityStats = options.bool(PRIORITY_OPTION);
    let sets: BcacheStats[];
    try {
      sets = await readBcacheStats(paths.sysfs, priorityStats);
    } catch (err) {
      throw new Error(`failed to retrieve bcache stats: ${(err as Error).message}`, { cause: err });
    }
    const out = new FamilySet();
    for (const s of sets) addCacheSet(out, s, priorityStats);
    return out.toArray();
  }),
};
