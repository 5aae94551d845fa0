import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readNfsClientStats, type ProcedureCounts } from '../procfs/nfs.ts';

const REQUESTS_HELP = 'Number of NFS procedures invoked.';

function addRequests(out: FamilySet, proto: string, counts: ProcedureCounts): void {
  for (const [method, value] of Object.entries(counts)) out.counter('node_nfs_requests_total', REQUESTS_HELP, value, { proto, method });
}

export const nfs: CollectorDefinition = {
  name: 'nfs',
  defaultEnabled: true,
  description: 'Exposes NFS client statistics from /proc/net/rpc/nfs.',
  create: stateless(async ({ paths }) => {
    const stats = await readNfsClientStats(paths.procfs);
    if (!stats) throw new NoDataError('no NFS client statistics (net/rpc/nfs absent)');
    const out = new FamilySet();
    // node_exporter's HELP says NFSd here although these are client counters; kept for identical output.
    const packetsHelp = 'Total NFSd network packets (sent+received) by protocol type.';
    out.counter('node_nfs_packets_total', packetsHelp, stats.network.udpCount, { protocol: 'udp' });
    out.counter('node_nfs_packets_total', packetsHelp, stats.network.tcpCount, { protocol: 'tcp' });
    out.counter('node_nfs_connections_total', 'Total number of NFSd TCP connections.', stats.network.tcpConnect);
    out.counter('node_nfs_rpcs_total', 'Total number of RPCs performed.', stats.rpc.rpcCount);
    out.counter('node_nfs_rpc_retransmissions_total', 'Number of RPC transmissions performed.', stats.rpc.retransmissions);
    out.counter('node_nfs_rpc_authentication_refreshes_total', 'Number of RPC authentication refreshes performed.', stats.rpc.authRefreshes);
    addRequests(out, '2', stats.v2);
    addRequests(out, '3', stats.v3);
    addRequests(out, '4', stats.v4);
    return out.toArray();
  }),
};
