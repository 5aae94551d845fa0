import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readZfsKstats } from '../procfs/zfs.ts';

/**
 * The named kstat tables exposed, by node_exporter's subsystem: every int64
 * or uint64 row of /proc/spl/kstat/zfs/<table> becomes the untyped family
 * node_<subsystem>_<row> with HELP kstat.zfs.misc.<table>.<row>, so the
 * families follow whatever rows the running ZFS version has.
 */
const TABLES: ReadonlyArray<[subsystem: string, table: string]> = [
  ['zfs_abd', 'abdstats'],
  ['zfs_arc', 'arcstats'],
  ['zfs_dbuf', 'dbufstats'],
  ['zfs_dmu_tx', 'dmu_tx'],
  ['zfs_dnode', 'dnodestats'],
  ['zfs_fm', 'fm'],
  ['zfs_vdev_cache', 'vdev_cache_stats'],
  ['zfs_vdev_mirror', 'vdev_mirror_stats'],
  ['zfs_xuio', 'xuio_stats'],
  ['zfs_zfetch', 'zfetchstats'],
  ['zfs_zil', 'zil'],
];

/** Every state a pool's state file may name; each pool gets one 0/1 series per state. */
const POOL_STATES = ['online', 'degraded', 'faulted', 'offline', 'removed', 'unavail', 'suspended'];

/** node_exporter's metric name of a kstat row: the part after its last dot, dashes made underscores. */
function kstatMetricName(row: string): string {
  return row.slice(row.lastIndexOf('.') + 1).replaceAll('-', '_');
}

export const zfs: CollectorDefinition = {
  name: 'zfs',
  defaultEnabled: true,
  description: 'Exposes ZFS kstats (ARC, prefetch, ZIL, pools, datasets...) from /proc/spl/kstat/zfs.',
  create: stateless(async ({ paths }) => {
    const kstats = await readZfsKstats(
      paths.procfs,
      TABLES.map(([, table]) => table),
    );
    if (!kstats) throw new NoDataError('ZFS statistics are not available (spl/kstat/zfs absent)');
    const out = new FamilySet();
    for (const [subsystem, table] of TABLES) {
      for (const { name, value } of kstats.tables.get(table) ?? []) {
        out.untyped(`node_${subsystem}_${kstatMetricName(name)}`, `kstat.zfs.misc.${table}.${name}`, value);
      }
    }
    for (const { pool, values } of kstats.poolIo) {
      for (const { name, value } of values) out.untyped(`node_zfs_zpool_${kstatMetricName(name)}`, `kstat.zfs.misc.io.${name}`, value, { zpool: pool });
    }
    for (const { pool, values } of kstats.objsets) {
      for (const { name, value, dataset } of values) {
        // Rows before the dataset_name row carry no pool either in node_exporter.
        const labels = dataset === undefined ? { zpool: '', dataset: '' } : { zpool: pool, dataset };
        out.untyped(`node_zfs_zpool_dataset_${kstatMetricName(name)}`, `kstat.zfs.misc.objset.${name}`, value, labels);
      }
    }
    for (const { pool, state } of kstats.poolStates) {
      for (const s of POOL_STATES) out.gauge('node_zfs_zpool_state', 'kstat.zfs.misc.state', state === s ? 1 : 0, { zpool: pool, state: s });
    }
    return out.toArray();
  }),
};
