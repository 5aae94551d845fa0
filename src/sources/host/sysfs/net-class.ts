/** /sys/class/net/<iface>/* attributes, read the way prometheus/procfs' sysfs.NetClass does. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { errnoOf, sysReadFileSync } from '../kernel-files/read.ts';
import { tryParseGoInt } from '../kernel-files/parse.ts';

const NUMERIC = [
  'addr_assign_type',
  'addr_len',
  'carrier',
  'carrier_changes',
  'carrier_up_count',
  'carrier_down_count',
  'dev_id',
  'dormant',
  'flags',
  'ifindex',
  'iflink',
  'link_mode',
  'mtu',
  'name_assign_type',
  'netdev_group',
  'speed',
  'tx_queue_len',
  'type',
] as const;
const TEXT = ['address', 'broadcast', 'duplex', 'ifalias', 'operstate', 'phys_port_id', 'phys_port_name', 'phys_switch_id'] as const;
const KNOWN = new Set<string>([...NUMERIC, ...TEXT]);

export type NetClassNumeric = (typeof NUMERIC)[number];
type NetClassText = (typeof TEXT)[number];

export interface NetClassIface {
  name: string;
  /** Numeric attributes present and readable; an unparsable one is left out, as procfs does. */
  numbers: Partial<Record<NetClassNumeric, number>>;
  /** Text attributes; absent ones are "". */
  text: Record<NetClassText, string>;
}

/** Errors the kernel gives for attributes that do not apply (carrier of a down link is EINVAL...): skipped. */
const IGNORABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'EOPNOTSUPP', 'EINVAL', 'ENOTSUP']);

function readIface(dir: string, name: string): NetClassIface {
  const iface: NetClassIface = { name, numbers: {}, text: Object.fromEntries(TEXT.map((t) => [t, ''])) as Record<NetClassText, string> };
  const entries = readdirSync(dir, { withFileTypes: true });
  // One synchronous read after the other: sysfs answers from memory, and a promise per attribute cost more than the reads.
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const attr = entry.name;
    if (!KNOWN.has(attr) || !entry.isFile()) continue;
    let value: string;
    try {
      value = sysReadFileSync(`${dir}/${attr}`);
    } catch (err) {
      if (IGNORABLE.has(errnoOf(err))) continue;
      throw new Error(`failed to read ${path.join(dir, attr)}: ${(err as Error).message}`, { cause: err });
    }
    if ((NUMERIC as readonly string[]).includes(attr)) {
      const n = tryParseGoInt(value);
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
  const entries = readdirSync(classNet, { withFileTypes: true });
  const devices = entries
    .filter((e) => !e.isFile() && !ignored(e.name))
    .map((e) => e.name)
    .sort();
  return devices.map((name) => readIface(path.join(classNet, name), name));
}
