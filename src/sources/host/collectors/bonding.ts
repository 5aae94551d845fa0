import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readBonding, type BondingMaster } from '../sysfs/bonding.ts';

export const bonding: CollectorDefinition = {
  name: 'bonding',
  defaultEnabled: true,
  description: 'Exposes the number of configured and active slaves of Linux bonding interfaces.',
  create: stateless(async ({ paths }) => {
    const masters: BondingMaster[] = await readOrNoData(() => readBonding(paths.sysfs), { noData: (err) => `no bonding information: ${err.message}` });
    const out = new FamilySet();
    for (const m of masters) {
      out.gauge('node_bonding_slaves', 'Number of configured slaves per bonding interface.', m.slaves, { master: m.master });
      out.gauge('node_bonding_active', 'Number of active slaves per bonding interface.', m.active, { master: m.master });
    }
    return out.toArray();
  }),
};
