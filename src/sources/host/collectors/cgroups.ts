import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readCgroupSummaries } from '../procfs/cgroups.ts';

export const cgroups: CollectorDefinition = {
  name: 'cgroups',
  defaultEnabled: false,
  description: 'Exposes a summary of active cgroups from /proc/cgroups.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const cg of await readCgroupSummaries(paths.procfs)) {
      out.gauge('node_cgroups_cgroups', 'Current cgroup number of the subsystem.', cg.cgroups, { subsys_name: cg.subsysName });
      // node_exporter gives this family the same HELP as node_cgroups_cgroups.
      out.gauge('node_cgroups_enabled', 'Current cgroup number of the subsystem.', cg.enabled, { subsys_name: cg.subsysName });
    }
    return out.toArray();
  }),
};
