import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readSlabInfo } from '../procfs/slabinfo.ts';

const INCLUDE = 'collector.slabinfo.slabs-include';
const EXCLUDE = 'collector.slabinfo.slabs-exclude';

export const slabinfo: CollectorDefinition = {
  name: 'slabinfo',
  defaultEnabled: false,
  description: 'Exposes slab statistics from /proc/slabinfo.',
  options: [
    { name: INCLUDE, kind: 'regex', default: '.*', help: 'Regexp of slabs to include in slabinfo collector.' },
    { name: EXCLUDE, kind: 'regex', default: '', help: 'Regexp of slabs to exclude in slabinfo collector.' },
  ],
  create: stateless(async ({ paths, options }) => {
    const include = options.regex(INCLUDE);
    const exclude = options.regex(EXCLUDE);
    const out = new FamilySet();
    for (const slab of await readSlabInfo(paths.procfs)) {
      // Both filters apply, as node_exporter's deviceFilter does.
      if (exclude?.test(slab.name) || (include && !include.test(slab.name))) continue;
      const labels = { slab: slab.name };
      out.gauge('node_slabinfo_active_objects', 'The number of objects that are currently active (i.e., in use).', slab.objActive, labels);
      out.gauge('node_slabinfo_objects', 'The total number of allocated objects (i.e., objects that are both in use and not in use).', slab.objNum, labels);
      out.gauge('node_slabinfo_object_size_bytes', 'The size of objects in this slab, in bytes.', slab.objSize, labels);
      out.gauge('node_slabinfo_objects_per_slab', 'The number of objects stored in each slab.', slab.objPerSlab, labels);
      out.gauge('node_slabinfo_pages_per_slab', 'The number of pages allocated for each slab.', slab.pagesPerSlab, labels);
    }
    return out.toArray();
  }),
};
