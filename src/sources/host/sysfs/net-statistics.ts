/**
 * Per-link counters: rtnetlink's rtnl_link_stats64 (IFLA_STATS64), which
 * node_exporter's netdev collector reads by default, through the native
 * addon's netlink request; without the addon, the same counters from
 * /sys/class/net/<dev>/statistics (a file per counter per link).
 */
import path from 'node:path';
import { listDir, sysReadFileSync } from '../kernel-files/read.ts';
import type { NetlinkRequest } from '../netlink/message.ts';
import { readLinkStats64 } from '../netlink/rtnetlink.ts';
/** Counters of one device by node_exporter's names: the shape procfs/netdev.ts gives, so the netdev collector takes either source. */
type DeviceCounters = Map<string, number>;

/** sysfs attribute → node_exporter's key for the netlink field, in the order of struct rtnl_link_stats64's fields. */
const STATISTICS: ReadonlyArray<[string, string]> = [
  ['rx_packets', 'receive_packets'],
  ['tx_packets', 'transmit_packets'],
  ['rx_bytes', 'receive_bytes'],
  ['tx_bytes', 'transmit_bytes'],
  ['rx_errors', 'receive_errors'],
  ['tx_errors', 'transmit_errors'],
  ['rx_dropped', 'receive_dropped'],
  ['tx_dropped', 'transmit_dropped'],
  ['multicast', 'multicast'],
  ['collisions', 'collisions'],
  ['rx_length_errors', 'receive_length_errors'],
  ['rx_over_errors', 'receive_over_errors'],
  ['rx_crc_errors', 'receive_crc_errors'],
  ['rx_frame_errors', 'receive_frame_errors'],
  ['rx_fifo_errors', 'receive_fifo_errors'],
  ['rx_missed_errors', 'receive_missed_errors'],
  ['tx_aborted_errors', 'transmit_aborted_errors'],
  ['tx_carrier_errors', 'transmit_carrier_errors'],
  ['tx_fifo_errors', 'transmit_fifo_errors'],
  ['tx_heartbeat_errors', 'transmit_heartbeat_errors'],
  ['tx_window_errors', 'transmit_window_errors'],
  ['rx_compressed', 'receive_compressed'],
  ['tx_compressed', 'transmit_compressed'],
  ['rx_nohandler', 'receive_nohandler'],
];

/** Every link's counters from one rtnetlink dump; a field the kernel does not send (older kernels lack rx_nohandler) is 0. */
export function readLinkStatisticsNetlink(request: NetlinkRequest): Map<string, DeviceCounters> {
  const out = new Map<string, DeviceCounters>();
  for (const [device, fields] of readLinkStats64(request)) {
    const counters: DeviceCounters = new Map();
    for (let i = 0; i < STATISTICS.length; i++) counters.set(STATISTICS[i]![1], fields[i] ?? 0);
    out.set(device, counters);
  }
  return out;
}

/**
 * Reads the link counters of every device under <sysfs>/class/net that has a
 * statistics directory. A counter the kernel does not expose (older kernels
 * lack rx_nohandler) is 0, as netlink reports it.
 */
export async function readLinkStatistics(sysfs: string): Promise<Map<string, DeviceCounters>> {
  const classNet = path.join(sysfs, 'class', 'net');
  const devices = await listDir(classNet);
  const all = devices.map((device) => readDeviceStatistics(path.join(classNet, device, 'statistics')));
  const out = new Map<string, DeviceCounters>();
  devices.forEach((device, i) => {
    const counters = all[i];
    if (counters) out.set(device, counters);
  });
  return out;
}

/** undefined when the device has no statistics directory. */
function readDeviceStatistics(dir: string): DeviceCounters | undefined {
  const counters: DeviceCounters = new Map();
  let found = false;
  for (let i = 0; i < STATISTICS.length; i++) {
    const [attr, key] = STATISTICS[i]!;
    let v: string | undefined;
    try {
      v = sysReadFileSync(`${dir}/${attr}`);
      found = true;
    } catch {
      v = undefined;
    }
    if (v !== undefined && !/^\d+$/.test(v)) throw new Error(`${path.join(dir, attr)}: expected a counter, got ${JSON.stringify(v.slice(0, 40))}`);
    counters.set(key, v === undefined ? 0 : Number(v));
  }
  return found ? counters : undefined;
}
