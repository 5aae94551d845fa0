import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { isNotExist, isPermission } from '../kernel-files/read.ts';
import { readMultipathDevices, type MultipathDevice } from '../sysfs/dm-multipath.ts';

/** SCSI paths report "running", NVMe paths "live" when usable. */
function isPathActive(state: string): boolean {
  return state === 'running' || state === 'live';
}

export const dmmultipath: CollectorDefinition = {
  name: 'dmmultipath',
  defaultEnabled: true,
  description: 'Exposes Device Mapper multipath device metrics from /sys/block/dm-*.',
  create: stateless(async ({ paths }) => {
    const devices: MultipathDevice[] = await readOrNoData(() => readMultipathDevices(paths.sysfs), {
      absent: (err) => isNotExist(err) || isPermission(err),
      noData: (err) => `could not read DM-multipath devices: ${err.message}`,
      context: 'failed to scan DM-multipath devices',
    });
    const out = new FamilySet();
    for (const dev of devices) {
      const labels = { device: dev.name, sysfs_name: dev.sysfsName };
      out.gauge('node_dmmultipath_device_info', 'Non-numeric information about a DM-multipath device.', 1, { ...labels, uuid: dev.uuid });
      out.gauge('node_dmmultipath_device_active', 'Whether the multipath device-mapper device is active (1) or suspended (0).', dev.suspended ? 0 : 1, labels);
      out.gauge('node_dmmultipath_device_size_bytes', 'Size of the multipath device in bytes, read from /sys/block/<dm>/size.', dev.sizeBytes, labels);
      let active = 0;
      for (const p of dev.paths) {
        if (isPathActive(p.state)) active++;
        out.gauge('node_dmmultipath_path_state', 'Reports the underlying device state for a multipath path, as read from /sys/block/<dev>/device/state.', 1, {
          device: dev.name,
          path: p.device,
          state: p.state,
        });
      }
      out.gauge('node_dmmultipath_device_paths', 'Number of paths for a multipath device.', dev.paths.length, labels);
      out.gauge('node_dmmultipath_device_paths_active', 'Number of paths in active state (SCSI running or NVMe live) for a multipath device.', active, labels);
      out.gauge('node_dmmultipath_device_paths_failed', 'Number of paths not in active state for a multipath device.', dev.paths.length - active, labels);
    }
    return out.toArray();
  }),
};
