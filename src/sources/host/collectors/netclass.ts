import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readNetClass, type NetClassIface, type NetClassNumeric } from '../sysfs/net-class.ts';

const IFF_UP = 1;

/** Metric suffix, sysfs attribute and type, in node_exporter's order. */
const PROPERTIES: ReadonlyArray<[string, NetClassNumeric, 'gauge' | 'counter']> = [
  ['address_assign_type', 'addr_assign_type', 'gauge'],
  ['carrier', 'carrier', 'gauge'],
  ['carrier_changes_total', 'carrier_changes', 'counter'],
  ['carrier_up_changes_total', 'carrier_up_count', 'counter'],
  ['carrier_down_changes_total', 'carrier_down_count', 'counter'],
  ['device_id', 'dev_id', 'gauge'],
  ['dormant', 'dormant', 'gauge'],
  ['flags', 'flags', 'gauge'],
  ['iface_id', 'ifindex', 'gauge'],
  ['iface_link', 'iflink', 'gauge'],
  ['iface_link_mode', 'link_mode', 'gauge'],
  ['mtu_bytes', 'mtu', 'gauge'],
  ['name_assign_type', 'name_assign_type', 'gauge'],
  ['net_dev_group', 'netdev_group', 'gauge'],
  ['transmit_queue_length', 'tx_queue_len', 'gauge'],
  ['protocol_type', 'type', 'gauge'],
];

function adminState(flags: number | undefined): string {
  if (flags === undefined) return 'unknown';
  return (flags & IFF_UP) === IFF_UP ? 'up' : 'down';
}

function addIface(out: FamilySet, i: NetClassIface, ignoreInvalidSpeed: boolean): void {
  const device = i.name;
  out.gauge('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", i.text.operstate === 'up' ? 1 : 0, { device });
  out.gauge('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 1, {
    device,
    address: i.text.address,
    broadcast: i.text.broadcast,
    duplex: i.text.duplex,
    operstate: i.text.operstate,
    adminstate: adminState(i.numbers.flags),
    ifalias: i.text.ifalias,
  });
  for (const [suffix, attr, type] of PROPERTIES) {
    const v = i.numbers[attr];
    if (v === undefined) continue;
    out.add(`node_network_${suffix}`, `Network device property: ${suffix}`, type, v, { device });
  }
  const speed = i.numbers.speed;
  // A down or virtual link reports -1 (an invalid speed); 1.x still exports it unless told not to.
  if (speed !== undefined && (speed >= 0 || !ignoreInvalidSpeed)) {
    out.gauge('node_network_speed_bytes', 'Network device property: speed_bytes', Math.trunc((speed * 1000 * 1000) / 8), { device });
  }
}

/**
 * --collector.netclass.netlink asks node_exporter for rtnetlink's link
 * attributes; Node has no netlink socket, so both modes read sysfs, which
 * holds the same per-link attributes.
 */
export const netclass: CollectorDefinition = {
  name: 'netclass',
  defaultEnabled: true,
  description: 'Exposes network interface info from /sys/class/net/.',
  options: [
    { name: 'collector.netclass.ignored-devices', kind: 'regex', default: '^$', help: 'Regexp of net devices to ignore for netclass collector.' },
    {
      name: 'collector.netclass.ignore-invalid-speed',
      kind: 'bool',
      default: false,
      help: 'Ignore devices where the speed is invalid. This will be the default behavior in 2.x.',
    },
    {
      name: 'collector.netclass.netlink',
      kind: 'bool',
      default: false,
      help: 'Use netlink to gather stats instead of /proc/net/dev (sysfs is read either way here).',
    },
  ],
  create: stateless(async ({ paths, options }) => {
    const ignored = options.regex('collector.netclass.ignored-devices');
    let ifaces: NetClassIface[];
    try {
      ifaces = await readNetClass(paths.sysfs, (name) => ignored?.test(name) ?? false);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') throw new NoDataError(`could not read net class: ${(err as Error).message}`);
      throw err;
    }
    const out = new FamilySet();
    for (const i of ifaces) addIface(out, i, options.bool('collector.netclass.ignore-invalid-speed'));
    return out.toArray();
  }),
};
