/**
 * The pcidevice collector: one info series per PCI device (ids, parent
 * location, and with --collector.pcidevice.names the names from pci.ids)
 * plus link speed/width, power state, SR-IOV and NUMA node.
 */
import { FamilySet } from '../../../model/family.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { locationStrings, readPciDevices } from '../sysfs/pci-device.ts';
import { className, deviceName, loadPciIds, subsystemName, vendorName, type PciIds } from '../sysfs/pci-ids.ts';

const IDS_FILE = 'collector.pcidevice.idsfile';
const NAMES = 'collector.pcidevice.names';
const POWER_STATES = ['D0', 'D1', 'D2', 'D3hot', 'D3cold', 'unknown', 'error'];

const hex = (n: number, width: number): string => '0x' + n.toString(16).padStart(width, '0');

async function collect(sysfs: string, ids: PciIds | undefined): Promise<FamilySet> {
  const out = new FamilySet();
  for (const d of await readPciDevices(sysfs)) {
    const [segment, bus, device, fn] = locationStrings(d.location);
    const loc = { segment, bus, device, function: fn };
    const [ps, pb, pd, pf] = d.parent ? locationStrings(d.parent) : ['*', '*', '*', '*'];
    const classId = hex(d.class, 6);
    const vendorId = hex(d.vendor, 4);
    const deviceId = hex(d.device, 4);
    const subVendorId = hex(d.subsystemVendor, 4);
    const subDeviceId = hex(d.subsystemDevice, 4);
    const info: Record<string, string> = {
      ...loc,
      parent_segment: ps,
      parent_bus: pb,
      parent_device: pd,
      parent_function: pf,
      class_id: classId,
      vendor_id: vendorId,
      device_id: deviceId,
      subsystem_vendor_id: subVendorId,
      subsystem_device_id: subDeviceId,
      revision: hex(d.revision, 2),
    };
    if (ids) {
      info['vendor_name'] = vendorName(ids, vendorId);
      info['device_name'] = deviceName(ids, vendorId, deviceId);
      info['subsystem_vendor_name'] = vendorName(ids, subVendorId);
      info['subsystem_device_name'] = subsystemName(ids, vendorId, deviceId, subVendorId, subDeviceId);
      info['class_name'] = className(ids, classId);
    }
    out.gauge('node_pcidevice_info', 'Non-numeric data from /sys/bus/pci/devices/<location>, value is always 1.', 1, info);
    out.gauge(
      'node_pcidevice_max_link_transfers_per_second',
      "Value of maximum link's transfers per second (T/s)",
      d.maxLinkSpeed === undefined ? -1 : d.maxLinkSpeed * 1e9,
      loc,
    );
    out.gauge('node_pcidevice_max_link_width', "Value of maximum link's width (number of lanes)", d.maxLinkWidth ?? -1, loc);
    out.gauge(
      'node_pcidevice_current_link_transfers_per_second',
      "Value of current link's transfers per second (T/s)",
      d.currentLinkSpeed === undefined ? -1 : d.currentLinkSpeed * 1e9,
      loc,
    );
    out.gauge('node_pcidevice_current_link_width', "Value of current link's width (number of lanes)", d.currentLinkWidth ?? -1, loc);
    out.gauge('node_pcidevice_d3cold_allowed', 'Whether the PCIe device supports D3cold power state (0/1).', d.d3coldAllowed ? 1 : 0, loc);
    out.gauge(
      'node_pcidevice_sriov_drivers_autoprobe',
      'Whether SR-IOV drivers autoprobe is enabled for the device (0/1).',
      d.sriovDriversAutoprobe ? 1 : 0,
      loc,
    );
    out.gauge('node_pcidevice_sriov_numvfs', 'Number of Virtual Functions (VFs) currently enabled for SR-IOV.', d.sriovNumvfs ?? 0, loc);
    out.gauge('node_pcidevice_sriov_totalvfs', 'Total number of Virtual Functions (VFs) supported by the device.', d.sriovTotalvfs ?? 0, loc);
    out.gauge('node_pcidevice_sriov_vf_total_msix', 'Total number of MSI-X vectors for Virtual Functions.', d.sriovVfTotalMsix ?? 0, loc);
    if (d.powerState !== undefined) {
      for (const state of POWER_STATES) {
        out.gauge(
          'node_pcidevice_power_state',
          'PCIe device power state, one of: D0, D1, D2, D3hot, D3cold, unknown or error.',
          state === d.powerState ? 1 : 0,
          { ...loc, state },
        );
      }
    }
    if (d.numaNode !== undefined && d.numaNode !== -1)
      out.gauge('node_pcidevice_numa_node', 'NUMA node number for the PCI device. -1 indicates unknown or not available.', d.numaNode, loc);
  }
  return out;
}

export const pcidevice: CollectorDefinition = {
  name: 'pcidevice',
  defaultEnabled: false,
  description: 'Exposes PCI devices and their link, power and SR-IOV state from /sys/bus/pci/devices.',
  options: [
    {
      name: IDS_FILE,
      kind: 'string',
      default: '',
      path: true,
      help: 'Path to pci.ids file to use for PCI device identification (default: /usr/share/misc/pci.ids, then /usr/share/hwdata/pci.ids).',
    },
    { name: NAMES, kind: 'bool', default: false, help: 'Enable PCI device name resolution (requires pci.ids file).' },
  ],
  create: ({ paths, options }) => {
    // The database is read once, when the collector starts, as node_exporter does.
    const ids = options.bool(NAMES) ? loadPciIds(options.string(IDS_FILE)) : undefined;
    return { collect: async () => (await collect(paths.sysfs, ids ? await ids : undefined)).toArray() };
  },
};
