import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readVmstat } from '../procfs/vmstat.ts';

const FIELDS_OPTION = 'collector.vmstat.fields';

export const vmstat: CollectorDefinition = {
  name: 'vmstat',
  defaultEnabled: true,
  description: 'Exposes statistics from /proc/vmstat.',
  options: [{ name: FIELDS_OPTION, kind: 'regex', default: '^(oom_kill|pgpg|pswp|pg.*fault).*', help: 'Regexp of fields to return for vmstat collector.' }],
  create: stateless(async ({ paths, options }) => {
    const pattern = options.regex(FIELDS_OPTION);
    const out = new FamilySet();
    // Every line is parsed before filtering, so a garbled file fails the collector as in node_exporter.
    for (const { name, value } of await readVmstat(paths.procfs)) {
      if (pattern && !pattern.test(name)) continue;
      out.untyped(`node_vmstat_${name}`, `/proc/vmstat information field ${name}.`, value);
    }
    return out.toArray();
  }),
};
