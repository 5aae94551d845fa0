import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readLoadAvg } from '../procfs/loadavg.ts';

export const loadavg: CollectorDefinition = {
  name: 'loadavg',
  defaultEnabled: true,
  description: 'Exposes load average.',
  create: stateless(async ({ paths }) => {
    const avg = await readLoadAvg(paths.procfs);
    const out = new FamilySet();
    out.gauge('node_load1', '1m load average.', avg.load1);
    out.gauge('node_load5', '5m load average.', avg.load5);
    out.gauge('node_load15', '15m load average.', avg.load15);
    return out.toArray();
  }),
};
