import { FamilySet } from '../../../model/family.ts';
import { sanitizeMetricName } from '../machinery/metric-name.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readBcachefsStats, type BcachefsStats } from '../sysfs/bcachefs.ts';

function addFilesystem(out: FamilySet, s: BcachefsStats): void {
  const uuid = s.uuid;
  out.gauge('node_bcachefs_info', 'Filesystem information.', 1, { uuid });
  out.gauge('node_bcachefs_btree_cache_size_bytes', 'Btree cache memory usage in bytes.', s.btreeCacheSizeBytes, { uuid });
  for (const [algorithm, c] of s.compression) {
    out.gauge('node_bcachefs_compression_compressed_bytes', 'Compressed size by algorithm.', c.compressedBytes, { uuid, algorithm });
    out.gauge('node_bcachefs_compression_uncompressed_bytes', 'Uncompressed size by algorithm.', c.uncompressedBytes, { uuid, algorithm });
  }
  for (const [error_type, count] of s.errors) out.counter('node_bcachefs_errors_total', 'Error count by error type.', count, { uuid, error_type });
  for (const [name, value] of s.counters) {
    out.counter(`node_bcachefs_${sanitizeMetricName(name)}_total`, `Bcachefs counter ${name} since filesystem creation.`, value, { uuid });
  }
  for (const [type, w] of s.btreeWrites) {
    out.counter('node_bcachefs_btree_writes_total', 'Number of btree writes by type.', w.count, { uuid, type });
    out.gauge('node_bcachefs_btree_write_average_size_bytes', 'Average btree write size by type.', w.sizeBytes, { uuid, type });
  }
  for (const [device, d] of s.devices) {
    out.gauge('node_bcachefs_device_info', 'Device information.', 1, { uuid, device, label: d.label, state: d.state });
    out.gauge('node_bcachefs_device_bucket_size_bytes', 'Bucket size in bytes.', d.bucketSizeBytes, { uuid, device });
    out.gauge('node_bcachefs_device_buckets', 'Total number of buckets.', d.buckets, { uuid, device });
    out.gauge('node_bcachefs_device_durability', 'Device durability setting.', d.durability, { uuid, device });
    for (const [operation, byType] of d.ioDone) {
      for (const [data_type, bytes] of byType) {
        out.counter('node_bcachefs_device_io_done_bytes_total', 'IO bytes by operation type and data type.', bytes, { uuid, device, operation, data_type });
      }
    }
    for (const [type, count] of d.ioErrors) out.counter('node_bcachefs_device_io_errors_total', 'IO errors by error type.', count, { uuid, device, type });
  }
}

export const bcachefs: CollectorDefinition = {
  name: 'bcachefs',
  defaultEnabled: true,
  description: 'Exposes bcachefs filesystem statistics from /sys/fs/bcachefs/.',
  create: stateless(async ({ paths }) => {
    const filesystems: BcachefsStats[] = await readOrNoData(() => readBcachefsStats(paths.sysfs), {
      noData: 'bcachefs sysfs path does not exist',
      context: 'failed to retrieve bcachefs stats',
    });
    if (filesystems.length === 0) throw new NoDataError('no bcachefs filesystem');
    const out = new FamilySet();
    for (const s of filesystems) addFilesystem(out, s);
    return out.toArray();
  }),
};
