import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readSoftirqs, SOFTIRQ_TYPES } from '../procfs/softirqs.ts';

export const softirqs: CollectorDefinition = {
  name: 'softirqs',
  defaultEnabled: false,
  description: 'Exposes detailed softirq statistics from /proc/softirqs.',
  create: stateless(async ({ paths }) => {
    const counts = await readSoftirqs(paths.procfs);
    const out = new FamilySet();
    for (const type of SOFTIRQ_TYPES) {
      (counts[type] ?? []).forEach((value, cpu) => out.counter('node_softirqs_functions_total', 'Softirq counts per CPU.', value, { cpu: String(cpu), type }));
    }
    return out.toArray();
  }),
};
