import { FamilySet } from '../../../model/family.ts';
import type { MetricType } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { procPath } from '../machinery/paths.ts';
import { readMountInfo } from '../procfs/mountinfo.ts';
import {
  readMountStats,
  type NfsByteStats,
  type NfsEventName,
  type NfsMountStats,
  type NfsOperationStats,
  type NfsTransportStats,
} from '../procfs/mountstats.ts';

const PREFIX = 'node_mountstats_nfs_';

// node_exporter exports the 64-bit cumulative times modulo the float64 mantissa range, so they wrap instead of losing precision.
const FLOAT64_MANTISSA = 9007199254740992n;

const BYTES: ReadonlyArray<[string, keyof NfsByteStats, string]> = [
  ['read_bytes_total', 'read', 'Number of bytes read using the read() syscall.'],
  ['write_bytes_total', 'write', 'Number of bytes written using the write() syscall.'],
  ['direct_read_bytes_total', 'directRead', 'Number of bytes read using the read() syscall in O_DIRECT mode.'],
  ['direct_write_bytes_total', 'directWrite', 'Number of bytes written using the write() syscall in O_DIRECT mode.'],
  ['total_read_bytes_total', 'readTotal', 'Number of bytes read from the NFS server, in total.'],
  ['total_write_bytes_total', 'writeTotal', 'Number of bytes written to the NFS server, in total.'],
  ['read_pages_total', 'readPages', "Number of pages read directly via mmap()'d files."],
  ['write_pages_total', 'writePages', "Number of pages written directly via mmap()'d files."],
];

// HELP texts are node_exporter's, including its copy-paste slips (vfs_open, vfs_setattr).
const EVENTS: ReadonlyArray<[string, NfsEventName, string]> = [
  ['event_inode_revalidate_total', 'inodeRevalidate', 'Number of times cached inode attributes are re-validated from the server.'],
  ['event_dnode_revalidate_total', 'dnodeRevalidate', 'Number of times cached dentry nodes are re-validated from the server.'],
  ['event_data_invalidate_total', 'dataInvalidate', 'Number of times an inode cache is cleared.'],
  ['event_attribute_invalidate_total', 'attributeInvalidate', 'Number of times cached inode attributes are invalidated.'],
  ['event_vfs_open_total', 'vfsOpen', 'Number of times cached inode attributes are invalidated.'],
  ['event_vfs_lookup_total', 'vfsLookup', 'Number of times a directory lookup has occurred.'],
  ['event_vfs_access_total', 'vfsAccess', 'Number of times permissions have been checked.'],
  ['event_vfs_update_page_total', 'vfsUpdatePage', 'Number of updates (and potential writes) to pages.'],
  ['event_vfs_read_page_total', 'vfsReadPage', "Number of pages read directly via mmap()'d files."],
  ['event_vfs_read_pages_total', 'vfsReadPages', 'Number of times a group of pages have been read.'],
  ['event_vfs_write_page_total', 'vfsWritePage', "Number of pages written directly via mmap()'d files."],
  ['event_vfs_write_pages_total', 'vfsWritePages', 'Number of times a group of pages have been written.'],
  ['event_vfs_getdents_total', 'vfsGetdents', 'Number of times directory entries have been read with getdents().'],
  ['event_vfs_setattr_total', 'vfsSetattr', 'Number of times directory entries have been read with getdents().'],
  ['event_vfs_flush_total', 'vfsFlush', 'Number of pending writes that have been forcefully flushed to the server.'],
  ['event_vfs_fsync_total', 'vfsFsync', 'Number of times fsync() has been called on directories and files.'],
  ['event_vfs_lock_total', 'vfsLock', 'Number of times locking has been attempted on a file.'],
  ['event_vfs_file_release_total', 'vfsFileRelease', 'Number of times files have been closed and released.'],
  ['event_truncation_total', 'truncation', 'Number of times files have been truncated.'],
  ['event_write_extension_total', 'writeExtension', 'Number of times a file has been grown due to writes beyond its existing end.'],
  ['event_silly_rename_total', 'sillyRename', 'Number of times a file was removed while still open by another process.'],
  ['event_short_read_total', 'shortRead', 'Number of times the NFS server gave less data than expected while reading.'],
  ['event_short_write_total', 'shortWrite', 'Number of times the NFS server wrote less data than expected while writing.'],
  ['event_jukebox_delay_total', 'jukeboxDelay', 'Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.'],
  ['event_pnfs_read_total', 'pnfsRead', 'Number of NFS v4.1+ pNFS reads.'],
  ['event_pnfs_write_total', 'pnfsWrite', 'Number of NFS v4.1+ pNFS writes.'],
];

const TRANSPORT: ReadonlyArray<[string, MetricType, (t: NfsTransportStats) => number, string]> = [
  ['transport_bind_total', 'counter', (t) => t.bind, 'Number of times the client has had to establish a connection from scratch to the NFS server.'],
  ['transport_connect_total', 'counter', (t) => t.connect, 'Number of times the client has made a TCP connection to the NFS server.'],
  [
    'transport_idle_time_seconds',
    'gauge',
    (t) => Number(t.idleTimeSeconds % FLOAT64_MANTISSA),
    'Duration since the NFS mount last saw any RPC traffic, in seconds.',
  ],
  ['transport_sends_total', 'counter', (t) => t.sends, 'Number of RPC requests for this mount sent to the NFS server.'],
  ['transport_receives_total', 'counter', (t) => t.receives, 'Number of RPC responses for this mount received from the NFS server.'],
  [
    'transport_bad_transaction_ids_total',
    'counter',
    (t) => t.badTransactionIds,
    'Number of times the NFS server sent a response with a transaction ID unknown to this client.',
  ],
  ['transport_backlog_queue_total', 'counter', (t) => t.cumulativeBacklog, 'Total number of items added to the RPC backlog queue.'],
  ['transport_maximum_rpc_slots', 'gauge', (t) => t.maximumRpcSlotsUsed, 'Maximum number of simultaneously active RPC requests ever used.'],
  ['transport_sending_queue_total', 'counter', (t) => t.cumulativeSendingQueue, 'Total number of items added to the RPC transmission sending queue.'],
  ['transport_pending_queue_total', 'counter', (t) => t.cumulativePendingQueue, 'Total number of items added to the RPC transmission pending queue.'],
];

function millisToSeconds(ms: bigint): number {
  return Number(ms % FLOAT64_MANTISSA) / 1000;
}

const OPERATIONS: ReadonlyArray<[string, (o: NfsOperationStats) => number, string]> = [
  ['operations_requests_total', (o) => o.requests, 'Number of requests performed for a given operation.'],
  ['operations_transmissions_total', (o) => o.transmissions, 'Number of times an actual RPC request has been transmitted for a given operation.'],
  ['operations_major_timeouts_total', (o) => o.majorTimeouts, 'Number of times a request has had a major timeout for a given operation.'],
  ['operations_sent_bytes_total', (o) => o.bytesSent, 'Number of bytes sent for a given operation, including RPC headers and payload.'],
  ['operations_received_bytes_total', (o) => o.bytesReceived, 'Number of bytes received for a given operation, including RPC headers and payload.'],
  [
    'operations_queue_time_seconds_total',
    (o) => millisToSeconds(o.queueMilliseconds),
    'Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.',
  ],
  [
    'operations_response_time_seconds_total',
    (o) => millisToSeconds(o.responseMilliseconds),
    'Duration all requests took to get a reply back after a request for a given operation was transmitted, in seconds.',
  ],
  [
    'operations_request_time_seconds_total',
    (o) => millisToSeconds(o.requestMilliseconds),
    'Duration all requests took from when a request was enqueued to when it was completely handled for a given operation, in seconds.',
  ],
];

interface MountLabels {
  export: string;
  protocol: string;
  mountaddr: string;
}

function addNfsStats(out: FamilySet, stats: NfsMountStats, labels: MountLabels): void {
  out.counter(`${PREFIX}age_seconds_total`, 'The age of the NFS mount in seconds.', stats.ageSeconds, { ...labels });
  for (const [name, key, help] of BYTES) out.counter(PREFIX + name, help, stats.bytes[key], { ...labels });
  stats.transports.forEach((t, i) => {
    for (const [name, type, value, help] of TRANSPORT) out.add(PREFIX + name, help, type, value(t), { ...labels, transport: String(i) });
  });
  for (const op of stats.operations) {
    for (const [name, value, help] of OPERATIONS) out.counter(PREFIX + name, help, value(op), { ...labels, operation: op.operation });
  }
  for (const [name, key, help] of EVENTS) out.counter(PREFIX + name, help, stats.events[key], { ...labels });
}

export const mountstats: CollectorDefinition = {
  name: 'mountstats',
  defaultEnabled: false,
  description: 'Exposes filesystem statistics from /proc/self/mountstats. Exposes detailed NFS client statistics.',
  create: stateless(async ({ paths }) => {
    const mounts = await readMountStats(procPath(paths, 'self', 'mountstats'));
    const addresses = (await readMountInfo(procPath(paths, 'self', 'mountinfo'))).map((m) => m.superOptions.get('addr') ?? '');
    const out = new FamilySet();
    // A device reached over the same protocol and server address is one NFS
    // client whatever its mount points: its statistics are exported once,
    // each of its mount points gets an info series.
    const seenDevices = new Set<string>();
    const seenMountPoints = new Set<string>();
    mounts.forEach((mount, index) => {
      if (!mount.nfs) return;
      // mountstats and mountinfo list the mounts in the same order.
      const mountaddr = addresses[index] ?? '';
      for (const transport of mount.nfs.transports) {
        const labels: MountLabels = { export: mount.device, protocol: transport.protocol, mountaddr };
        const mountPointKey = JSON.stringify([mount.device, transport.protocol, mountaddr, mount.mountPoint]);
        if (!seenMountPoints.has(mountPointKey)) {
          seenMountPoints.add(mountPointKey);
          out.gauge(`${PREFIX}mountpoint_info`, 'Info metric for an NFS mountpoint.', 1, { ...labels, mountpoint: mount.mountPoint });
        }
        const deviceKey = JSON.stringify([mount.device, transport.protocol, mountaddr]);
        if (seenDevices.has(deviceKey)) break;
        seenDevices.add(deviceKey);
        addNfsStats(out, mount.nfs, labels);
      }
    });
    return out.toArray();
  }),
};
