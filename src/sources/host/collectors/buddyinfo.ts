import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readBuddyinfo } from '../procfs/buddyinfo.ts';

export const buddyinfo: CollectorDefinition = {
  name: 'buddyinfo',
  defaultEnabled: false,
  description: 'Exposes statistics of memory fragments as reported by /proc/buddyinfo.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const z of await readBuddyinfo(paths.procfs)) {
      z.sizes.forEach((value, size) =>
        out.gauge('node_buddyinfo_blocks', 'Count of free blocks according to size.', value, { node: z.node, zone: z.zone, size: String(size) }),
      );
    }
    return out.toArray();
  }),
};
