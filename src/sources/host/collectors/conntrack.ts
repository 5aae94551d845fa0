import path from 'node:path';
import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readConntrackStat } from '../procfs/conntrack.ts';
import { readUintAttr, isNotFound } from '../kernel-files/read.ts';

/** A missing file means the nf_conntrack module is not loaded: no data rather than a failure. */
function orNoData<T>(read: () => Promise<T>): Promise<T> {
  return readOrNoData(read, {
    absent: isNotFound,
    noData: (err) => `conntrack probably not loaded: ${err.message}`,
    context: 'failed to retrieve conntrack stats',
  });
}

export const conntrack: CollectorDefinition = {
  name: 'conntrack',
  defaultEnabled: true,
  description: 'Shows conntrack statistics (does nothing if no /proc/sys/net/netfilter/ present).',
  create: stateless(async ({ paths }) => {
    const netfilter = path.join(paths.procfs, 'sys', 'net', 'netfilter');
    const [count, max, s] = await Promise.all([
      orNoData(() => readUintAttr(path.join(netfilter, 'nf_conntrack_count'))),
      orNoData(() => readUintAttr(path.join(netfilter, 'nf_conntrack_max'))),
      orNoData(() => readConntrackStat(paths.procfs)),
    ]);
    const out = new FamilySet();
    out.gauge('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', count);
    out.gauge('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', max);
    out.gauge('node_nf_conntrack_stat_found', 'Number of searched entries which were successful.', s.found);
    out.gauge('node_nf_conntrack_stat_invalid', 'Number of packets seen which can not be tracked.', s.invalid);
    out.gauge('node_nf_conntrack_stat_ignore', 'Number of packets seen which are already connected to a conntrack entry.', s.ignore);
    out.gauge('node_nf_conntrack_stat_insert', 'Number of entries inserted into the list.', s.insert);
    out.gauge('node_nf_conntrack_stat_insert_failed', 'Number of entries for which list insertion was attempted but failed.', s.insertFailed);
    out.gauge('node_nf_conntrack_stat_drop', 'Number of packets dropped due to conntrack failure.', s.drop);
    out.gauge(
      'node_nf_conntrack_stat_early_drop',
      'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.',
      s.earlyDrop,
    );
    out.gauge(
      'node_nf_conntrack_stat_search_restart',
      'Number of conntrack table lookups which had to be restarted due to hashtable resizes.',
      s.searchRestart,
    );
    return out.toArray();
  }),
};
