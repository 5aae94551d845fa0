import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readNetStat } from '../procfs/lnstat.ts';

export const lnstat: CollectorDefinition = {
  name: 'lnstat',
  defaultEnabled: false,
  description: 'Exposes stats from /proc/net/stat/ (the network cache statistics lnstat shows).',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const file of await readNetStat(paths.procfs)) {
      for (const [header, values] of file.stats) {
        values.forEach((v, cpu) => out.counter(`node_lnstat_${header}_total`, 'linux network cache stats', v, { subsystem: file.filename, cpu: String(cpu) }));
      }
    }
    return out.toArray();
  }),
};
