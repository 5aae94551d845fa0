import { FamilySet } from '../../model/family.ts';
import { NoDataError, stateless, type CollectorDefinition } from './collector.ts';
import { isNotExist } from './sysfs/attr.ts';
import { readBonding, type BondingMaster } from './sysfs/bonding.ts';

export const bonding: CollectorDefinition = {
  name: 'bonding',
  defaultEnabled: true,
  description: 'Exposes the number of configured and active slaves of Linux bonding interfaces.',
  create: stateless(async ({ paths }) => {
    let masters: BondingMaster[];
    try {
      masters = await readBonding(paths.sysfs);
    } catch (err) {
      if (isNotExist(err)) throw new NoDataError(`no bonding information: ${(err as Error).message}`);
      throw err;
    }
    const out = new FamilySet();
    for (const m of masters) {
      out.gauge('node_bonding_slaves', 'Number of configured slaves per bonding interface.', m.slaves, { master: m.master });
      out.gauge('node_bonding_active', 'Number of active slaves per bonding interface.', m.active, { master: m.master });
    }
    return out.toArray();
  }),
};
