import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readStat, SOFTIRQ_VECTORS } from '../procfs/stat.ts';

const SOFTIRQ_OPTION = 'collector.stat.softirq';

export const stat: CollectorDefinition = {
  name: 'stat',
  defaultEnabled: true,
  description: 'Exposes various statistics from /proc/stat. This includes boot time, forks and interrupts.',
  options: [{ name: SOFTIRQ_OPTION, kind: 'bool', default: false, help: 'Export softirq calls per vector' }],
  create: stateless(async ({ paths, options }) => {
    const s = await readStat(paths.procfs);
    const out = new FamilySet();
    out.counter('node_intr_total', 'Total number of interrupts serviced.', s.intrTotal);
    out.counter('node_context_switches_total', 'Total number of context switches.', s.contextSwitches);
    out.counter('node_forks_total', 'Total number of forks.', s.processesCreated);
    out.gauge('node_boot_time_seconds', 'Node boot time, in unixtime.', s.bootTime);
    out.gauge('node_procs_running', 'Number of processes in runnable state.', s.processesRunning);
    out.gauge('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', s.processesBlocked);
    if (options.bool(SOFTIRQ_OPTION)) {
      for (const vector of SOFTIRQ_VECTORS) out.counter('node_softirqs_total', 'Number of softirq calls.', s.softirq[vector], { vector });
    }
    return out.toArray();
  }),
};
