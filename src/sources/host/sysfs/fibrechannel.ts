import path from 'node:path';
import { isErrno, isNotExist, readSysAttr } from '../kernel-files/read.ts';
import { parseGoBigInt } from '../kernel-files/parse.ts';
import { readDirEntries, readDirNames } from '../kernel-files/dir.ts';

/** The counters of /sys/class/fc_host/<host>/statistics; all-ones (unsupported by the HBA) stays a bigint marker. */
export const FC_COUNTERS = [
  'dumped_frames',
  'error_frames',
  'invalid_crc_count',
  'rx_frames',
  'rx_words',
  'tx_frames',
  'tx_words',
  'seconds_since_last_reset',
  'invalid_tx_word_count',
  'link_failure_count',
  'loss_of_sync_count',
  'loss_of_signal_count',
  'nos_count',
  'fcp_packet_aborts',
] as const;
export type FcCounter = (typeof FC_COUNTERS)[number];

const FC_ATTRIBUTES = [
  'speed',
  'port_state',
  'port_type',
  'node_name',
  'port_id',
  'port_name',
  'fabric_name',
  'dev_loss_tmo',
  'symbolic_name',
  'supported_classes',
  'supported_speeds',
] as const;
type FcAttribute = (typeof FC_ATTRIBUTES)[number];

/** Attributes whose value carries a "0x" prefix that procfs strips. */
const HEX_PREFIXED = new Set<FcAttribute>(['node_name', 'port_id', 'port_name', 'fabric_name']);

export interface FcHost {
  name: string;
  /** Attributes the driver exposes. */
  attributes: Partial<Record<FcAttribute, string>>;
  counters: Partial<Record<FcCounter, bigint>>;
}

/** Reads every host of /sys/class/fc_host; throws ENOENT when the class is absent. */
export async function readFcHosts(sysfs: string): Promise<FcHost[]> {
  const classDir = path.join(sysfs, 'class', 'fc_host');
  const hosts: FcHost[] = [];
  for (const name of await readDirNames(classDir)) hosts.push(await readFcHost(path.join(classDir, name), name));
  return hosts;
}

async function readFcHost(dir: string, name: string): Promise<FcHost> {
  const host: FcHost = { name, attributes: {}, counters: {} };
  for (const attr of FC_ATTRIBUTES) {
    let value: string;
    try {
      value = await readSysAttr(path.join(dir, attr));
    } catch (err) {
      if (isNotExist(err)) continue; // Drivers may leave attributes out.
      throw err;
    }
    host.attributes[attr] = HEX_PREFIXED.has(attr) && value.length > 2 ? value.slice(2) : value;
  }
  const statsDir = path.join(dir, 'statistics');
  let entries;
  try {
    entries = await readDirEntries(statsDir);
  } catch (err) {
    if (isNotExist(err)) return host;
    throw err;
  }
  const wanted = new Set<string>(FC_COUNTERS);
  for (const e of entries) {
    if (!e.isFile() || e.name === 'reset_statistics') continue;
    const file = path.join(statsDir, e.name);
    let value: string;
    try {
      value = await readSysAttr(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'EOPNOTSUPP')) continue; // Write-only attributes.
      throw err;
    }
    if (wanted.has(e.name)) host.counters[e.name as FcCounter] = parseGoBigInt(value, file, true);
  }
  return host;
}
