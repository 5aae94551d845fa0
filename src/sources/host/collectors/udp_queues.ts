import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readUdpSummary } from '../procfs/net-udp.ts';

const HELP = 'Number of allocated memory in the kernel for UDP datagrams in bytes.';

export const udpQueues: CollectorDefinition = {
  name: 'udp_queues',
  defaultEnabled: true,
  description: 'Exposes UDP total lengths of the rx_queue and tx_queue from /proc/net/udp and /proc/net/udp6.',
  create: stateless(async ({ paths }) => {
    const [v4, v6] = await Promise.all([readUdpSummary(paths.procfs, 'udp'), readUdpSummary(paths.procfs, 'udp6')]);
    if (!v4 && !v6) throw new NoDataError('neither net/udp nor net/udp6 exists');
    const out = new FamilySet();
    for (const [ip, summary] of [
      ['v4', v4],
      ['v6', v6],
    ] as const) {
      if (!summary) continue;
      out.gauge('node_udp_queues', HELP, summary.txQueue, { queue: 'tx', ip });
      out.gauge('node_udp_queues', HELP, summary.rxQueue, { queue: 'rx', ip });
    }
    return out.toArray();
  }),
};
