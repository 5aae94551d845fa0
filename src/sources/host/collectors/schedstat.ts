import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readSchedstat, type SchedstatCpu } from '../procfs/schedstat.ts';
import { isNotFound } from '../kernel-files/read.ts';

const NS_PER_SEC = 1e9;

export const schedstat: CollectorDefinition = {
  name: 'schedstat',
  defaultEnabled: true,
  description: 'Exposes task scheduler statistics from /proc/schedstat.',
  create: stateless(async ({ paths }) => {
    const cpus: SchedstatCpu[] = await readOrNoData(() => readSchedstat(paths.procfs), { absent: isNotFound, noData: 'schedstat file does not exist' });
    const out = new FamilySet();
    for (const c of cpus) {
      const labels = { cpu: c.cpu };
      out.counter('node_schedstat_running_seconds_total', 'Number of seconds CPU spent running a process.', c.runningNanoseconds / NS_PER_SEC, labels);
      out.counter(
        'node_schedstat_waiting_seconds_total',
        'Number of seconds spent by processing waiting for this CPU.',
        c.waitingNanoseconds / NS_PER_SEC,
        labels,
      );
      out.counter('node_schedstat_timeslices_total', 'Number of timeslices executed by CPU.', c.timeslices, labels);
    }
    return out.toArray();
  }),
};
