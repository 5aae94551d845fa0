import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readNumaMemory } from '../sysfs/meminfo-numa.ts';

export const meminfoNuma: CollectorDefinition = {
  name: 'meminfo_numa',
  defaultEnabled: false,
  description: 'Exposes memory statistics from /sys/devices/system/node/node[0-9]*/meminfo, /sys/devices/system/node/node[0-9]*/numastat.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const f of await readNumaMemory(paths.sysfs)) {
      out.add(`node_memory_numa_${f.name}`, `Memory information field ${f.name}.`, f.type, f.value, { node: f.node });
    }
    return out.toArray();
  }),
};
