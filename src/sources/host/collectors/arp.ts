import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { DeviceFilter } from '../machinery/options.ts';
import { readArp } from '../procfs/arp.ts';

/**
 * node_exporter reads the neighbour table over rtnetlink by default
 * (--collector.arp.netlink) and skips NOARP entries; /proc/net/arp is that
 * same IPv4 table with NOARP entries already left out, so both settings read
 * /proc/net/arp here (Node has no netlink socket). The flag is accepted for
 * compatibility.
 */
export const arp: CollectorDefinition = {
  name: 'arp',
  defaultEnabled: true,
  description: 'Exposes ARP statistics from /proc/net/arp.',
  options: [
    { name: 'collector.arp.device-include', kind: 'regex', default: '', help: 'Regexp of arp devices to include (mutually exclusive to device-exclude).' },
    { name: 'collector.arp.device-exclude', kind: 'regex', default: '', help: 'Regexp of arp devices to exclude (mutually exclusive to device-include).' },
    {
      name: 'collector.arp.netlink',
      kind: 'bool',
      default: true,
      help: 'Use netlink to gather stats instead of /proc/net/arp (both read /proc/net/arp here).',
    },
  ],
  create: stateless(async ({ paths, options }) => {
    const filter = new DeviceFilter(options.regex('collector.arp.device-include'), options.regex('collector.arp.device-exclude'));
    const perDevice = new Map<string, number>();
    for (const entry of await readArp(paths.procfs)) perDevice.set(entry.device, (perDevice.get(entry.device) ?? 0) + 1);
    const out = new FamilySet();
    for (const [device, count] of perDevice) {
      if (!filter.ignored(device)) out.gauge('node_arp_entries', 'ARP entries by device', count, { device });
    }
    return out.toArray();
  }),
};
