import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readBtrfsStats, type BtrfsAllocation } from '../sysfs/btrfs.ts';

/**
 * Btrfs statistics from /sys/fs/btrfs. node_exporter adds per-device usage
 * and error counters through btrfs ioctls on the mount points; Node has no
 * ioctl, so this collector always gives node_exporter's sysfs fallback
 * (device_size_bytes by device, without btrfs_dev_uuid).
 */
export const btrfs: CollectorDefinition = {
  name: 'btrfs',
  defaultEnabled: true,
  description: 'Exposes btrfs statistics',
  create: stateless(async ({ paths }) => {
    let filesystems;
    try {
      filesystems = await readBtrfsStats(paths.sysfs);
    } catch (err) {
      throw new Error(`failed to retrieve Btrfs stats from procfs: ${(err as Error).message}`, { cause: err });
    }
    const out = new FamilySet();
    for (const s of filesystems) {
      const uuid = s.uuid;
      out.gauge('node_btrfs_info', 'Filesystem information', 1, { uuid, label: s.label });
      out.gauge('node_btrfs_global_rsv_size_bytes', 'Size of global reserve.', s.globalRsvSize, { uuid });
      out.counter('node_btrfs_commits_total', 'The total number of commits that have occurred.', s.commits, { uuid });
      out.gauge('node_btrfs_last_commit_seconds', 'Duration of the most recent commit, in seconds.', s.lastCommitMs / 1000, { uuid });
      out.gauge('node_btrfs_max_commit_seconds', 'Duration of the slowest commit, in seconds.', s.maxCommitMs / 1000, { uuid });
      out.counter('node_btrfs_commit_seconds_total', 'Sum of the duration of all commits, in seconds.', s.totalCommitMs / 1000, { uuid });
      const allocations: Array<[string, BtrfsAllocation]> = [['data', s.data], ['metadata', s.metadata], ['system', s.system]];
      for (const [type, a] of allocations) {
        out.gauge('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', a.reservedBytes, { uuid, block_group_type: type });
        for (const [mode, layout] of a.layouts) {
          const labels = { uuid, block_group_type: type, mode };
          out.gauge('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', layout.usedBytes, labels);
          out.gauge('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', layout.totalBytes, labels);
          out.gauge('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', layout.ratio, labels);
        }
      }
      for (const [device, size] of s.devices) {
        out.gauge('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', size, { uuid, device });
      }
    }
    return out.toArray();
  }),
};
