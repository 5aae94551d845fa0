import { access } from 'node:fs/promises';
import path from 'node:path';
import { FamilySet, type MetricFamily } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { nativeAddon, type TcpSockets } from '../machinery/native.ts';

const AF_INET = 2;
const AF_INET6 = 10;

/** The kernel's TCP states (include/net/tcp_states.h) by number, as node_exporter names them. */
const STATE_NAMES = ['', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing'];

const HELP = 'Number of connection states.';

/**
 * node_tcp_connection_states over the sockets of every family: one series per
 * state that has sockets, and the queue sums once there is any socket (as
 * node_exporter, whose map gets those entries with the first socket).
 */
export function tcpStateFamilies(families: readonly TcpSockets[]): MetricFamily[] {
  const byName = new Map<string, number>();
  let sockets = 0;
  let rqueue = 0;
  let wqueue = 0;
  for (const f of families) {
    f.byState.forEach((count, state) => {
      if (count === 0) return;
      const name = STATE_NAMES[state] || 'unknown';
      byName.set(name, (byName.get(name) ?? 0) + count);
      sockets += count;
    });
    rqueue += f.rqueue;
    wqueue += f.wqueue;
  }
  const out = new FamilySet();
  for (const [state, count] of byName) out.gauge('node_tcp_connection_states', HELP, count, { state });
  if (sockets > 0) {
    out.gauge('node_tcp_connection_states', HELP, rqueue, { state: 'rx_queued_bytes' });
    out.gauge('node_tcp_connection_states', HELP, wqueue, { state: 'tx_queued_bytes' });
  }
  return out.toArray();
}

/**
 * node_exporter's tcpstat collector: TCP sockets by state and their queued
 * bytes, from netlink sock_diag through the native addon. /proc/net/tcp would
 * give the same states but not the same queues: for a listener sock_diag
 * reports its backlog limit as the send queue, which node_exporter sums.
 * IPv6 is read when the kernel has it (net/tcp6 exists), as node_exporter does.
 */
export const tcpstat: CollectorDefinition = {
  name: 'tcpstat',
  defaultEnabled: false,
  description: 'Exposes TCP connection status information.',
  create: stateless(async ({ paths, log }) => {
    const addon = nativeAddon(log);
    const hasIPv6 = await access(path.join(paths.procfs, 'net', 'tcp6')).then(
      () => true,
      () => false,
    );
    return tcpStateFamilies([addon.tcpSockets(AF_INET), ...(hasIPv6 ? [addon.tcpSockets(AF_INET6)] : [])]);
  }),
};
