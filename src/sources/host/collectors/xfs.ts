import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readXfsSysStats, type XfsStats } from '../procfs/xfs.ts';

/**
 * node_xfs_<name>{device} counters: name, HELP and the value in XfsStats.
 * Names and HELP are node_exporter's (after the XFS wiki's Runtime_Stats
 * page), including its wording quirks.
 */
const METRICS: ReadonlyArray<[string, string, (s: XfsStats) => number]> = [
  ['extent_allocation_extents_allocated_total', 'Number of extents allocated for a filesystem.', (s) => s.extentAllocation.extentsAllocated],
  ['extent_allocation_blocks_allocated_total', 'Number of blocks allocated for a filesystem.', (s) => s.extentAllocation.blocksAllocated],
  ['extent_allocation_extents_freed_total', 'Number of extents freed for a filesystem.', (s) => s.extentAllocation.extentsFreed],
  ['extent_allocation_blocks_freed_total', 'Number of blocks freed for a filesystem.', (s) => s.extentAllocation.blocksFreed],
  ['allocation_btree_lookups_total', 'Number of allocation B-tree lookups for a filesystem.', (s) => s.allocationBTree.lookups],
  ['allocation_btree_compares_total', 'Number of allocation B-tree compares for a filesystem.', (s) => s.allocationBTree.compares],
  ['allocation_btree_records_inserted_total', 'Number of allocation B-tree records inserted for a filesystem.', (s) => s.allocationBTree.recordsInserted],
  ['allocation_btree_records_deleted_total', 'Number of allocation B-tree records deleted for a filesystem.', (s) => s.allocationBTree.recordsDeleted],
  ['block_mapping_reads_total', 'Number of block map for read operations for a filesystem.', (s) => s.blockMapping.reads],
  ['block_mapping_writes_total', 'Number of block map for write operations for a filesystem.', (s) => s.blockMapping.writes],
  ['block_mapping_unmaps_total', 'Number of block unmaps (deletes) for a filesystem.', (s) => s.blockMapping.unmaps],
  ['block_mapping_extent_list_insertions_total', 'Number of extent list insertions for a filesystem.', (s) => s.blockMapping.extentListInsertions],
  ['block_mapping_extent_list_deletions_total', 'Number of extent list deletions for a filesystem.', (s) => s.blockMapping.extentListDeletions],
  ['block_mapping_extent_list_lookups_total', 'Number of extent list lookups for a filesystem.', (s) => s.blockMapping.extentListLookups],
  ['block_mapping_extent_list_compares_total', 'Number of extent list compares for a filesystem.', (s) => s.blockMapping.extentListCompares],
  ['block_map_btree_lookups_total', 'Number of block map B-tree lookups for a filesystem.', (s) => s.blockMapBTree.lookups],
  ['block_map_btree_compares_total', 'Number of block map B-tree compares for a filesystem.', (s) => s.blockMapBTree.compares],
  ['block_map_btree_records_inserted_total', 'Number of block map B-tree records inserted for a filesystem.', (s) => s.blockMapBTree.recordsInserted],
  ['block_map_btree_records_deleted_total', 'Number of block map B-tree records deleted for a filesystem.', (s) => s.blockMapBTree.recordsDeleted],
  [
    'directory_operation_lookup_total',
    'Number of file name directory lookups which miss the operating systems directory name lookup cache.',
    (s) => s.directoryOperation.lookups,
  ],
  ['directory_operation_create_total', 'Number of times a new directory entry was created for a filesystem.', (s) => s.directoryOperation.creates],
  ['directory_operation_remove_total', 'Number of times an existing directory entry was created for a filesystem.', (s) => s.directoryOperation.removes],
  [
    'directory_operation_getdents_total',
    'Number of times the directory getdents operation was performed for a filesystem.',
    (s) => s.directoryOperation.getdents,
  ],
  ['inode_operation_attempts_total', 'Number of times the OS looked for an XFS inode in the inode cache.', (s) => s.inodeOperation.attempts],
  ['inode_operation_found_total', 'Number of times the OS looked for and found an XFS inode in the inode cache.', (s) => s.inodeOperation.found],
  [
    'inode_operation_recycled_total',
    'Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled.',
    (s) => s.inodeOperation.recycle,
  ],
  ['inode_operation_missed_total', 'Number of times the OS looked for an XFS inode in the cache, but did not find it.', (s) => s.inodeOperation.missed],
  [
    'inode_operation_duplicates_total',
    'Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process.',
    (s) => s.inodeOperation.duplicate,
  ],
  [
    'inode_operation_reclaims_total',
    'Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose.',
    (s) => s.inodeOperation.reclaims,
  ],
  [
    'inode_operation_attribute_changes_total',
    'Number of times the OS explicitly changed the attributes of an XFS inode.',
    (s) => s.inodeOperation.attributeChange,
  ],
  ['read_calls_total', 'Number of read(2) system calls made to files in a filesystem.', (s) => s.readWrite.read],
  ['write_calls_total', 'Number of write(2) system calls made to files in a filesystem.', (s) => s.readWrite.write],
  ['vnode_active_total', 'Number of vnodes not on free lists for a filesystem.', (s) => s.vnode.active],
  ['vnode_allocate_total', 'Number of times vn_alloc called for a filesystem.', (s) => s.vnode.allocate],
  ['vnode_get_total', 'Number of times vn_get called for a filesystem.', (s) => s.vnode.get],
  ['vnode_hold_total', 'Number of times vn_hold called for a filesystem.', (s) => s.vnode.hold],
  ['vnode_release_total', 'Number of times vn_rele called for a filesystem.', (s) => s.vnode.release],
  ['vnode_reclaim_total', 'Number of times vn_reclaim called for a filesystem.', (s) => s.vnode.reclaim],
  ['vnode_remove_total', 'Number of times vn_remove called for a filesystem.', (s) => s.vnode.remove],
];

export const xfs: CollectorDefinition = {
  name: 'xfs',
  defaultEnabled: true,
  description: 'Exposes XFS runtime statistics from /sys/fs/xfs/<device>/stats.',
  // A host without XFS has no /sys/fs/xfs entries: nothing is emitted and the collection still succeeds, as in node_exporter.
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const stats of await readXfsSysStats(paths.sysfs)) {
      for (const [name, help, value] of METRICS) out.counter(`node_xfs_${name}`, help, value(stats), { device: stats.name });
    }
    return out.toArray();
  }),
};
