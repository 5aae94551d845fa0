import { FamilySet } from '../../model/family.ts';
import { NoDataError, stateless, type CollectorDefinition } from './collector.ts';
import { readMdStat, type MdStat } from './procfs/mdstat.ts';
import { isNotExist } from './sysfs/attr.ts';
import { readMdraids, type Mdraid } from './sysfs/mdraid.ts';

/** node_md_state's state label → the mdstat activity state it flags. */
const STATES: Array<[string, string]> = [
  ['active', 'active'],
  ['inactive', 'inactive'],
  ['recovering', 'recovering'],
  ['resync', 'resyncing'],
  ['check', 'checking'],
];

async function orNoData<T>(read: () => Promise<T>, what: string): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isNotExist(err)) throw new NoDataError(`not collecting ${what}: ${(err as Error).message}`);
    throw new Error(`error parsing ${what}: ${(err as Error).message}`, { cause: err });
  }
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
