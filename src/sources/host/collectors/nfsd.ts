import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readNfsServerStats, type ProcedureCounts } from '../procfs/nfs.ts';

const REQUESTS = 'node_nfsd_requests_total';
const REQUESTS_HELP = 'Total number NFSd Requests by method and protocol.';

/**
 * Counters the kernel reserves but never increments (v2/v3 Null, the unused
 * and PutPubFH/PutRootFH v4 operations) are not exposed, as in node_exporter.
 */
const NOT_EXPOSED = new Set(['Null', 'Op0Unused', 'Op1Unused', 'Op2Future', 'PutPubFH', 'PutRootFH']);

function addRequests(out: FamilySet, proto: string, counts: ProcedureCounts): void {
  for (const [method, value] of Object.entries(counts)) {
    if (!NOT_EXPOSED.has(method)) out.counter(REQUESTS, REQUESTS_HELP, value, { proto, method });
  }
}

export const nfsd: CollectorDefinition = {
  name: 'nfsd',
  defaultEnabled: true,
  description: 'Exposes NFS kernel server statistics from /proc/net/rpc/nfsd.',
  create: stateless(async ({ paths }) => {
    const s = await readNfsServerStats(paths.procfs);
    if (!s) throw new NoDataError('no NFS server statistics (net/rpc/nfsd absent)');
    const out = new FamilySet();
    out.counter('node_nfsd_reply_cache_hits_total', 'Total number of NFSd Reply Cache hits (client lost server response).', s.replyCache.hits);
    out.counter('node_nfsd_reply_cache_misses_total', 'Total number of NFSd Reply Cache an operation that requires caching (idempotent).', s.replyCache.misses);
    out.counter('node_nfsd_reply_cache_nocache_total', 'Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).', s.replyCache.noCache);
    out.counter('node_nfsd_file_handles_stale_total', 'Total number of NFSd stale file handles', s.fileHandles.stale);
    out.counter('node_nfsd_disk_bytes_read_total', 'Total NFSd bytes read.', s.io.read);
    out.counter('node_nfsd_disk_bytes_written_total', 'Total NFSd bytes written.', s.io.write);
    out.gauge('node_nfsd_server_threads', 'Total number of NFSd kernel threads that are running.', s.threads.threads);
    out.gauge('node_nfsd_read_ahead_cache_size_blocks', 'How large the read ahead cache is in blocks.', s.readAheadCache.cacheSize);
    out.counter('node_nfsd_read_ahead_cache_not_found_total', 'Total number of NFSd read ahead cache not found.', s.readAheadCache.notFound);
    const packetsHelp = 'Total NFSd network packets (sent+received) by protocol type.';
    out.counter('node_nfsd_packets_total', packetsHelp, s.network.udpCount, { proto: 'udp' });
    out.counter('node_nfsd_packets_total', packetsHelp, s.network.tcpCount, { proto: 'tcp' });
    out.counter('node_nfsd_connections_total', 'Total number of NFSd TCP connections.', s.network.tcpConnect);
    const errorsHelp = 'Total number of NFSd RPC errors by error type.';
    out.counter('node_nfsd_rpc_errors_total', errorsHelp, s.rpc.badFormat, { error: 'fmt' });
    out.counter('node_nfsd_rpc_errors_total', errorsHelp, s.rpc.badAuth, { error: 'auth' });
    out.counter('node_nfsd_rpc_errors_total', errorsHelp, s.rpc.badClient, { error: 'cInt' });
    out.counter('node_nfsd_server_rpcs_total', 'Total number of NFSd RPCs.', s.rpc.rpcCount);
    addRequests(out, '2', s.v2);
    addRequests(out, '3', s.v3);
    addRequests(out, '4', s.v4Ops);
    out.counter(REQUESTS, REQUESTS_HELP, s.wdelegGetattr, { proto: '4', method: 'WdelegGetattr' });
    return out.toArray();
  }),
};
