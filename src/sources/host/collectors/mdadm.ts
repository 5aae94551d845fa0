import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readMdStat, type MdStat } from '../procfs/mdstat.ts';
import { readMdraids, type Mdraid } from '../sysfs/mdraid.ts';

/** node_md_state's state label → the mdstat activity state it flags. */
const STATES: Array<[string, string]> = [
  ['active', 'active'],
  ['inactive', 'inactive'],
  ['recovering', 'recovering'],
  ['resync', 'resyncing'],
  ['check', 'checking'],
];

function orNoData<T>(read: () => Promise<T>, what: string): Promise<T> {
  return readOrNoData(read, { noData: (err) => `not collecting ${what}: ${err.message}`, context: `error parsing ${what}` });
}

export const mdadm: CollectorDefinition = {
  name: 'mdadm',
  defaultEnabled: true,
  description: 'Exposes statistics about devices in /proc/mdstat (does nothing if no /proc/mdstat present).',
  create: stateless(async ({ paths }) => {
    const stats: MdStat[] = await orNoData(() => readMdStat(paths.procfs), 'mdstat');
    const raids: Mdraid[] = await orNoData(() => readMdraids(paths.sysfs), 'mdraids');
    const out = new FamilySet();
    for (const md of stats) {
      const device = md.name;
      out.gauge('node_md_disks_required', 'Total number of disks of device.', md.disksTotal, { device });
      out.gauge('node_md_disks', 'Number of active/failed/spare disks of device.', md.disksActive, { device, state: 'active' });
      out.gauge('node_md_disks', 'Number of active/failed/spare disks of device.', md.disksFailed, { device, state: 'failed' });
      out.gauge('node_md_disks', 'Number of active/failed/spare disks of device.', md.disksSpare, { device, state: 'spare' });
      for (const [label, activity] of STATES) {
        out.gauge('node_md_state', 'Indicates the state of md-device.', md.activityState === activity ? 1 : 0, { device, state: label });
      }
      out.gauge('node_md_blocks', 'Total number of blocks on device.', md.blocksTotal, { device });
      out.gauge('node_md_blocks_synced', 'Number of blocks synced on device.', md.blocksSynced, { device });
    }
    for (const raid of raids) {
      if (raid.disks !== undefined) out.gauge('node_md_raid_disks', 'Number of raid disks on device.', raid.disks, { device: raid.device });
      out.gauge('node_md_degraded', 'Number of degraded disks on device.', raid.degradedDisks, { device: raid.device });
    }
    return out.toArray();
  }),
};
