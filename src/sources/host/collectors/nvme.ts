import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readNvmeClass, type NvmeDevice } from '../sysfs/nvme.ts';

export const nvme: CollectorDefinition = {
  name: 'nvme',
  defaultEnabled: true,
  description: 'Exposes NVMe info from /sys/class/nvme/',
  create: stateless(async ({ paths }) => {
    const devices: NvmeDevice[] = await readOrNoData(() => readNvmeClass(paths.sysfs), {
      noData: 'nvme statistics not found',
      context: 'error obtaining NVMe class info',
    });
    const out = new FamilySet();
    for (const d of devices) {
      out.gauge('node_nvme_info', 'Non-numeric data from /sys/class/nvme/<device>, value is always 1.', 1, {
        device: d.name,
        firmware_revision: d.firmwareRevision,
        model: d.model,
        serial: d.serial,
        state: d.state,
        cntlid: d.controllerId,
      });
      for (const ns of d.namespaces) {
        const labels = { device: d.name, nsid: ns.id };
        out.gauge('node_nvme_namespace_info', 'Information about NVMe namespaces. Value is always 1', 1, { ...labels, ana_state: ns.anaState });
        out.gauge(
          'node_nvme_namespace_capacity_bytes',
          'Capacity of the NVMe namespace in bytes. Computed as namespace_size * namespace_logical_block_size',
          ns.capacityBytes,
          labels,
        );
        out.gauge(
          'node_nvme_namespace_size_bytes',
          'Size of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/size',
          ns.sizeBytes,
          labels,
        );
        out.gauge(
          'node_nvme_namespace_used_bytes',
          'Used space of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/nuse',
          ns.usedBytes,
          labels,
        );
        out.gauge(
          'node_nvme_namespace_logical_block_size_bytes',
          'Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in /sys/class/nvme/<device>/<namespace>/queue/logical_block_size',
          ns.logicalBlockSize,
          labels,
        );
      }
    }
    return out.toArray();
  }),
};
