import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { isNotExist } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';

export interface BondingMaster {
  master: string;
  /** Slaves configured in the bond. */
  slaves: number;
  /** Slaves whose MII status is "up". */
  active: number;
}

/** Reads /sys/class/net/bonding_masters and each master's slaves' MII status. */
export async function readBonding(sysfs: string): Promise<BondingMaster[]> {
  const netDir = path.join(sysfs, 'class', 'net');
  const masters = fields(await readFile(path.join(netDir, 'bonding_masters'), 'utf8'));
  const out: BondingMaster[] = [];
  for (const master of masters) {
    const slaves = fields(await readFile(path.join(netDir, master, 'bonding', 'slaves'), 'utf8'));
    let active = 0;
    for (const slave of slaves) {
      if ((await readMiiStatus(path.join(netDir, master), slave)) === 'up') active++;
    }
    out.push({ master, slaves: slaves.length, active });
  }
  return out;
}

async function readMiiStatus(masterDir: string, slave: string): Promise<string> {
  try {
    return (await readFile(path.join(masterDir, `lower_${slave}`, 'bonding_slave', 'mii_status'), 'utf8')).trim();
  } catch (err) {
    if (!isNotExist(err)) throw err;
    // Older kernels name the link slave_<name>.
    return (await readFile(path.join(masterDir, `slave_${slave}`, 'bonding_slave', 'mii_status'), 'utf8')).trim();
  }
}
