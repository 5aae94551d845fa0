import { open } from 'node:fs/promises';
import { FamilySet } from '../../../model/family.ts';
import type { Logger } from '../../../log.ts';
import { stateless, type CollectorDefinition, type HostPaths } from '../machinery/collector.ts';
import { nativeAddon, type NativeAddon } from '../machinery/native.ts';
import { rootfsPath } from '../machinery/paths.ts';
import { readHostMounts } from '../procfs/host-mounts.ts';
import { readBtrfsStats, type BtrfsAllocation } from '../sysfs/btrfs.ts';

/** One device of a mounted filesystem, from BTRFS_IOC_DEV_INFO and BTRFS_IOC_GET_DEV_STATS. */
export interface BtrfsIoctlDevice {
  path: string;
  /** Formatted as the btrfs library node_exporter uses: dashed lower-case hex, "<zero>" for all zeros. */
  uuid: string;
  bytesUsed: number;
  totalBytes: number;
  /** write, read, flush, corruption, generation */
  errors: number[];
}

const ERROR_TYPES = ['write', 'read', 'flush', 'corruption', 'generation'];

export function formatDeviceUuid(bytes: Buffer): string {
  if (bytes.every((b) => b === 0)) return '<zero>';
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

/**
 * The devices of the filesystem open at `fd`, walking device ids 0..max_id as
 * node_exporter does: ids with no device (ENODEV) are skipped, the walk stops
 * once num_devices were found.
 */
export function readIoctlDevices(
  addon: Pick<NativeAddon, 'btrfsFsInfo' | 'btrfsDevInfo' | 'btrfsDevStats'>,
  fd: number,
): { fsid: string; devices: BtrfsIoctlDevice[] } {
  const info = addon.btrfsFsInfo(fd);
  const devices: BtrfsIoctlDevice[] = [];
  for (let id = 0; id <= info.maxId; id++) {
    let dev;
    try {
      dev = addon.btrfsDevInfo(fd, id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENODEV') continue;
      throw err;
    }
    devices.push({
      path: dev.path,
      uuid: formatDeviceUuid(dev.uuid),
      bytesUsed: dev.bytesUsed,
      totalBytes: dev.totalBytes,
      errors: addon.btrfsDevStats(fd, id),
    });
    if (devices.length === info.numDevices) break;
  }
  return { fsid: info.fsid.toString('hex'), devices };
}

/**
 * Devices by filesystem id (hex, no dashes) for every btrfs mount node_exporter
 * would open: one mount per source device, first found. A mount that cannot be
 * opened or asked is skipped (logged at debug), as there; no addon, no map.
 */
async function readIoctlStats(paths: HostPaths, log: Logger): Promise<Map<string, BtrfsIoctlDevice[]>> {
  const out = new Map<string, BtrfsIoctlDevice[]>();
  const mounts = (await readHostMounts(paths)).filter((m) => m.fsType === 'btrfs');
  if (mounts.length === 0) return out;
  let addon: NativeAddon;
  try {
    addon = nativeAddon(log);
  } catch {
    return out; // nativeAddon logged why, once.
  }
  const done = new Set<string>();
  for (const mount of mounts) {
    if (done.has(mount.source)) continue;
    const mountPath = rootfsPath(paths, mount.mountPoint);
    try {
      const handle = await open(mountPath, 'r');
      try {
        const { fsid, devices } = readIoctlDevices(addon, handle.fd);
        if (out.has(fsid)) continue;
        done.add(mount.source);
        out.set(fsid, devices);
      } finally {
        await handle.close();
      }
    } catch (err) {
      log.debug('Error querying btrfs device stats', { mountPoint: mountPath, err: (err as Error).message });
    }
  }
  return out;
}

/**
 * Btrfs statistics from /sys/fs/btrfs, and per-device usage and error
 * counters through btrfs ioctls on the mount points (native addon), as
 * node_exporter: where a filesystem's ioctls cannot be made, its devices
 * come from sysfs (device_size_bytes by device, without btrfs_dev_uuid).
 */
export const btrfs: CollectorDefinition = {
  name: 'btrfs',
  defaultEnabled: true,
  description: 'Exposes btrfs statistics',
  create: stateless(async ({ paths, log }) => {
    let filesystems;
    try {
      filesystems = await readBtrfsStats(paths.sysfs);
    } catch (err) {
      throw new Error(`failed to retrieve Btrfs stats from procfs: ${(err as Error).message}`, { cause: err });
    }
    let ioctlStats = new Map<string, BtrfsIoctlDevice[]>();
    try {
      // Without a btrfs filesystem there is nothing to match, so mountinfo is not read.
      if (filesystems.length > 0) ioctlStats = await readIoctlStats(paths, log);
    } catch (err) {
      log.debug('Error querying btrfs device stats with ioctl', { err: (err as Error).message });
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
      const allocations: Array<[string, BtrfsAllocation]> = [
        ['data', s.data],
        ['metadata', s.metadata],
        ['system', s.system],
      ];
      for (const [type, a] of allocations) {
        out.gauge('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', a.reservedBytes, { uuid, block_group_type: type });
        for (const [mode, layout] of a.layouts) {
          const labels = { uuid, block_group_type: type, mode };
          out.gauge('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', layout.usedBytes, labels);
          out.gauge('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', layout.totalBytes, labels);
          out.gauge('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', layout.ratio, labels);
        }
      }
      const ioctlDevices = ioctlStats.get(uuid.replaceAll('-', ''));
      if (!ioctlDevices) {
        for (const [device, size] of s.devices)
          out.gauge('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', size, { uuid, device });
        continue;
      }
      for (const dev of ioctlDevices) {
        const labels = { uuid, device: dev.path.slice(dev.path.lastIndexOf('/') + 1), btrfs_dev_uuid: dev.uuid };
        out.gauge('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', dev.totalBytes, labels);
        out.gauge('node_btrfs_device_unused_bytes', 'Unused bytes unused on a device that is part of the filesystem.', dev.totalBytes - dev.bytesUsed, labels);
        ERROR_TYPES.forEach((type, i) =>
          out.counter('node_btrfs_device_errors_total', 'Errors reported for the device', dev.errors[i] ?? 0, { ...labels, type }),
        );
      }
    }
    return out.toArray();
  }),
};
