import os from 'node:os';
import path from 'node:path';
import { FamilySet } from '../../../model/family.ts';
import type { CollectorDefinition, CollectorContext } from '../machinery/collector.ts';
import { DeviceFilter } from '../machinery/options.ts';
import { readAttr, listDir } from '../kernel-files/read.ts';
import { readNetDev, type DeviceCounters } from '../procfs/netdev.ts';
import { nativeAddon } from '../machinery/native.ts';
import type { NetlinkRequest } from '../netlink/message.ts';
import { readLinkStatistics, readLinkStatisticsNetlink } from '../sysfs/net-statistics.ts';
import { NoDataError } from '../kernel-files/no-data.ts';

/**
 * netlink reports the kernel's own link table whatever --path.sysfs says, so
 * the netlink mode reads the running kernel's /sys, never the configured tree.
 */
const LIVE_SYSFS = '/sys';

/**
 * The running kernel's link counters: one rtnetlink dump, or the same
 * counters from sysfs without the native addon (it warns once) or where
 * netlink is refused (a seccomp-filtered container).
 */
async function linkStatistics(log: CollectorContext['log']): Promise<Map<string, DeviceCounters>> {
  let request: NetlinkRequest | undefined;
  try {
    request = nativeAddon(log).netlinkRequest;
  } catch (err) {
    if (!(err instanceof NoDataError)) throw err;
  }
  return linkStatisticsVia(request, log);
}

/** linkStatistics with the netlink request given (undefined: none). */
export async function linkStatisticsVia(request: NetlinkRequest | undefined, log: CollectorContext['log']): Promise<Map<string, DeviceCounters>> {
  if (!request) return readLinkStatistics(LIVE_SYSFS);
  try {
    return readLinkStatisticsNetlink(request);
  } catch (err) {
    log.debug('rtnetlink link dump failed, reading the counters from sysfs', { err });
    return readLinkStatistics(LIVE_SYSFS);
  }
}

/** Folds netlink's detailed counters into the names /proc/net/dev uses, as node_exporter does unless --collector.netdev.enable-detailed-metrics. */
export function legacyCounters(detailed: DeviceCounters): DeviceCounters {
  const m = new Map(detailed);
  const pop = (key: string): number | undefined => {
    const v = m.get(key);
    m.delete(key);
    return v;
  };
  const popz = (key: string): number => pop(key) ?? 0;
  const rename = (from: string, to: string, ...added: string[]): void => {
    const v = pop(from);
    if (v !== undefined) m.set(to, v + added.reduce((sum, k) => sum + popz(k), 0));
  };
  rename('receive_errors', 'receive_errs');
  rename('receive_dropped', 'receive_drop', 'receive_missed_errors');
  rename('receive_fifo_errors', 'receive_fifo');
  rename('receive_frame_errors', 'receive_frame', 'receive_length_errors', 'receive_over_errors', 'receive_crc_errors');
  rename('multicast', 'receive_multicast');
  rename('transmit_errors', 'transmit_errs');
  rename('transmit_dropped', 'transmit_drop');
  rename('transmit_fifo_errors', 'transmit_fifo');
  rename('collisions', 'transmit_colls');
  rename('transmit_carrier_errors', 'transmit_carrier', 'transmit_aborted_errors', 'transmit_heartbeat_errors', 'transmit_window_errors');
  return m;
}

/** Go's net.IP scope classes as node_exporter labels them. */
export function addressScope(address: string, family: 'IPv4' | 'IPv6'): string {
  if (family === 'IPv4') {
    const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
    if (a === 127 || (a === 169 && b === 254) || (a === 224 && b === 0 && c === 0)) return 'link-local';
    if (a === 0 && b === 0 && c === 0 && d === 0) return '';
    if ((a === 255 && b === 255 && c === 255 && d === 255) || a >= 224) return '';
    return 'global';
  }
  const a = address.toLowerCase();
  if (a === '::1' || /^fe[89ab]/.test(a) || /^ff02:/.test(a)) return 'link-local';
  if (/^ff01:/.test(a)) return 'interface-local';
  if (a === '::' || a.startsWith('ff')) return '';
  if (a.startsWith('::ffff:')) return addressScope(a.slice(7), 'IPv4');
  return 'global';
}

async function ifAliases(sysfs: string): Promise<Map<string, string>> {
  const classNet = path.join(sysfs, 'class', 'net');
  const out = new Map<string, string>();
  for (const device of await listDir(classNet)) {
    const alias = await readAttr(path.join(classNet, device, 'ifalias'));
    if (alias !== undefined) out.set(device, alias);
  }
  return out;
}

function deviceFilter({ options }: CollectorContext): DeviceFilter {
  const include = options.regex('collector.netdev.device-include');
  const exclude = options.regex('collector.netdev.device-exclude');
  if (include && exclude) throw new Error('--collector.netdev.device-exclude and --collector.netdev.device-include are mutually exclusive');
  return new DeviceFilter(include, exclude);
}

export const netdev: CollectorDefinition = {
  name: 'netdev',
  defaultEnabled: true,
  description: 'Exposes network interface statistics such as bytes transferred.',
  options: [
    { name: 'collector.netdev.device-include', kind: 'regex', default: '', help: 'Regexp of net devices to include (mutually exclusive to device-exclude).' },
    { name: 'collector.netdev.device-exclude', kind: 'regex', default: '', help: 'Regexp of net devices to exclude (mutually exclusive to device-include).' },
    { name: 'collector.netdev.address-info', kind: 'bool', default: false, help: 'Collect address-info for every device' },
    {
      name: 'collector.netdev.enable-detailed-metrics',
      kind: 'bool',
      default: false,
      help: 'Use (incompatible) metric names that provide more detailed stats on Linux',
    },
    {
      name: 'collector.netdev.netlink',
      kind: 'bool',
      default: true,
      help: "Use netlink to gather stats instead of /proc/net/dev (rtnetlink through the native part; without it, the running kernel's /sys/class/net/*/statistics).",
    },
    { name: 'collector.netdev.label-ifalias', kind: 'bool', default: false, help: 'Add ifAlias label' },
  ],
  create(ctx) {
    const { paths, options, log } = ctx;
    const filter = deviceFilter(ctx);
    const netlink = options.bool('collector.netdev.netlink');
    const detailed = options.bool('collector.netdev.enable-detailed-metrics');
    return {
      async collect() {
        const stats = netlink ? await linkStatistics(log) : await readNetDev(paths.procfs);
        const aliases = options.bool('collector.netdev.label-ifalias') ? await ifAliases(paths.sysfs) : undefined;
        const out = new FamilySet();
        for (const [device, raw] of stats) {
          if (filter.ignored(device)) continue;
          const labels: Record<string, string> = { device };
          const alias = aliases?.get(device);
          if (alias !== undefined) labels['ifalias'] = alias;
          for (const [key, value] of detailed ? raw : legacyCounters(raw)) {
            out.counter(`node_network_${key}_total`, `Network device statistic ${key}.`, value, labels);
          }
        }
        if (options.bool('collector.netdev.address-info')) {
          for (const [device, addrs] of Object.entries(os.networkInterfaces())) {
            if (filter.ignored(device)) continue;
            for (const a of addrs ?? []) {
              const prefix = a.cidr?.split('/')[1] ?? '';
              const labels = { device, address: a.address, netmask: prefix, scope: addressScope(a.address, a.family) };
              out.gauge('node_network_address_info', 'node network address by device', 1, labels);
            }
          }
        }
        return out.toArray();
      },
    };
  },
};
