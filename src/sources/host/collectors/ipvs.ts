import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readIpvsBackends, readIpvsStats, type IpvsBackend, type IpvsStats } from '../procfs/ipvs.ts';

const LABELS_OPTION = 'collector.ipvs.backend-labels';
const ALL_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'] as const;
type BackendLabel = (typeof ALL_LABELS)[number];

/** The chosen backend labels in node_exporter's fixed order; unknown names are an error naming them. */
export function parseBackendLabels(option: string): BackendLabel[] {
  const given = new Set(option.split(',').filter((l) => l !== ''));
  const chosen = ALL_LABELS.filter((l) => given.delete(l));
  if (given.size > 0) throw new Error(`unknown IPVS backend labels: ${JSON.stringify([...given].sort().join(', '))}`);
  return chosen;
}

function labelValue(b: IpvsBackend, label: BackendLabel): string {
  switch (label) {
    case 'local_address':
      return b.localAddress;
    case 'local_port':
      return String(b.localPort);
    case 'remote_address':
      return b.remoteAddress;
    case 'remote_port':
      return String(b.remotePort);
    case 'proto':
      return b.proto;
    case 'local_mark':
      return b.localMark;
  }
}

export const ipvs: CollectorDefinition = {
  name: 'ipvs',
  defaultEnabled: true,
  description: 'Exposes IPVS status from /proc/net/ip_vs and stats from /proc/net/ip_vs_stats.',
  options: [{ name: LABELS_OPTION, kind: 'string', default: ALL_LABELS.join(','), help: 'Comma separated list for IPVS backend stats labels.' }],
  create: stateless(async ({ paths, options }) => {
    const labelNames = parseBackendLabels(options.string(LABELS_OPTION));
    const stats: IpvsStats = await readOrNoData(() => readIpvsStats(paths.procfs), {
      noData: 'ipvs metrics are not available on this system',
      context: 'could not get IPVS stats',
    });
    let backends: IpvsBackend[];
    try {
      backends = await readIpvsBackends(paths.procfs);
    } catch (err) {
      throw new Error(`could not get backend status: ${(err as Error).message}`, { cause: err });
    }
    const out = new FamilySet();
    out.counter('node_ipvs_connections_total', 'The total number of connections made.', stats.connections);
    out.counter('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', stats.incomingPackets);
    out.counter('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', stats.outgoingPackets);
    out.counter('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', stats.incomingBytes);
    out.counter('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', stats.outgoingBytes);

    // Backends that share the chosen label values (e.g. when labels are dropped) are summed.
    const sums = new Map<string, { labels: Record<string, string>; active: number; inactive: number; weight: number }>();
    for (const b of backends) {
      const values = labelNames.map((l) => labelValue(b, l));
      const key = values.join('-');
      let sum = sums.get(key);
      if (!sum) {
        sum = { labels: Object.fromEntries(labelNames.map((l, i) => [l, values[i]!])), active: 0, inactive: 0, weight: 0 };
        sums.set(key, sum);
      }
      sum.active += b.activeConn;
      sum.inactive += b.inactConn;
      sum.weight += b.weight;
    }
    for (const s of sums.values()) {
      out.gauge('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', s.active, s.labels);
      out.gauge('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', s.inactive, s.labels);
      out.gauge('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', s.weight, s.labels);
    }
    return out.toArray();
  }),
};
