/** /sys/class/net/<iface>/* attributes, read the way prometheus/procfs' sysfs.NetClass does. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseGoInt } from '../procfs/go-number.ts';

const NUMERIC = [
  'addr_assign_type', 'addr_len', 'carrier', 'carrier_changes', 'carrier_up_count', 'carrier_down_count', 'dev_id', 'dormant', 'flags',
  'ifindex', 'iflink', 'link_mode', 'mtu', 'name_assign_type', 'netdev_group', 'speed', 'tx_queue_len', 'type',
] as const;
const TEXT = ['address', 'broadcast', 'duplex', 'ifalias', 'operstate', 'phys_port_id', 'phys_port_name', 'phys_switch_id'] as const;

export type NetClassNumeric = (typeof NUMERIC)[number];
export type NetClassText = (typeof TEXT)[number];

export interface NetClassIface {
  name: string;
  /** Numeric attributes present and readable; an unparsable one is left out, as procfs does. */
  numbers: Partial<Record<NetClassNumeric, number>>;
  /** Text attributes; absent ones are "". */
  text: Record<NetClassText, string>;
}

/** Errors the kernel gives for attributes that do not apply (carrier of a down link is EINVAL...): skipped. */
const IGNORABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'EOPNOTSUPP', 'EINVAL', 'ENOTSUP']);

async function readIface(dir: string, name: string): Promise<NetClassIface> {
  const iface: NetClassIface = { name, numbers: {}, text: Object.fromEntries(TEXT.map((t) => [t, ''])) as Record<NetClassText, string> };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const attr = entry.name;
    const isNumeric = (NUMERIC as readonly string[]).includes(attr);
    if (!isNumeric && !(TEXT as readonly string[]).includes(attr)) continue;
    let value: string;
    try {
      value = (await readFile(path.join(dir, attr), 'utf8')).trim();
    } catch (err) {
      if (IGNORABLE.has((err as NodeJS.ErrnoException).code ?? '')) continue;
      throw new Error(`failed to read ${path.join(dir, attr)}: ${(err as Error).message}`, { cause: err });
    }
    if (isNumeric) {
      const n = parseGoInt(value);
      if (n !== undefined) iface.numbers[attr as NetClassNumeric] = n;
    } else {
      iface.text[attr as NetClassText] = value;
    }
  }
  return iface;
}

/**
 * Every interface under <sysfs>/class/net whose name `ignored` does not
 * match. Regular files there (bonding_masters) are not interfaces.
 */
export async function readNetClass(sysfs: string, ignored: (name: string) => boolean = () => false): Promise<NetClassIface[]> {
  const classNet = path.join(sysfs, 'class', 'net');
  const entries = await readdir(classNet, { withFileTypes: true });
  const out: NetClassIface[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isFile() || ignored(entry.name)) continue;
    out.push(await readIface(path.join(classNet, entry.name), entry.name));
  }
  return out;
}
