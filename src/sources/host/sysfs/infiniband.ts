import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { pathExists, isErrno, isNotExist, readSysAttr } from '../kernel-files/read.ts';
import { parseGoBigInt, parseGoFloat } from '../kernel-files/parse.ts';
import { readDirEntries, readDirNames } from '../kernel-files/dir.ts';

interface InfinibandPort {
  port: number;
  state: string;
  stateId: number;
  physState: string;
  physStateId: number;
  /** Bytes per second. */
  rate: number;
  /** counters/ and counters_ext/ values by file name (data counters already ×4, see below). */
  counters: Map<string, bigint>;
  /** hw_counters/ values by file name. */
  hwCounters: Map<string, bigint>;
}

export interface InfinibandDevice {
  name: string;
  firmwareVersion: string;
  boardId: string;
  hcaType: string;
  ports: InfinibandPort[];
}

const UINT64_MASK = 2n ** 64n - 1n;

/**
 * Mellanox reports these per lane, divided by 4 "unconditionally"; procfs
 * multiplies them back (in uint64 arithmetic, so wrapping like Go).
 */
const PER_LANE = new Set(['port_rcv_data', 'port_xmit_data', 'port_rcv_data_64', 'port_xmit_data_64']);

/** Reads every device of /sys/class/infiniband; fs errors keep their code (ENOENT means no data, as in node_exporter). */
export async function readInfinibandClass(sysfs: string): Promise<InfinibandDevice[]> {
  const classDir = path.join(sysfs, 'class', 'infiniband');
  const out: InfinibandDevice[] = [];
  for (const name of await readDirNames(classDir)) out.push(await readDevice(path.join(classDir, name), name));
  return out;
}

async function readOptionalAttr(file: string): Promise<string> {
  try {
    return await readSysAttr(file);
  } catch (err) {
    if (isNotExist(err)) return '';
    throw err;
  }
}

async function readDevice(dir: string, name: string): Promise<InfinibandDevice> {
  const device: InfinibandDevice = {
    name,
    firmwareVersion: await readSysAttr(path.join(dir, 'fw_ver')),
    boardId: await readOptionalAttr(path.join(dir, 'board_id')),
    hcaType: await readOptionalAttr(path.join(dir, 'hca_type')),
    ports: [],
  };
  await readOptionalAttr(path.join(dir, 'node_guid'));
  for (const port of await readDirNames(path.join(dir, 'ports'))) device.ports.push(await readPort(path.join(dir, 'ports', port), port));
  device.ports.sort((a, b) => a.port - b.port);
  return device;
}

/** "4: ACTIVE" → [4, "ACTIVE"]. */
export function parseState(text: string, where: string): [number, string] {
  const parts = text.split(':');
  if (parts.length !== 2) throw new Error(`${where}: failed to split ${JSON.stringify(text)} into 'ID: NAME'`);
  const id = parts[0]!.trim();
  if (!/^\d+$/.test(id) || Number(id) > 0xffffffff) throw new Error(`${where}: failed to convert ${id} into uint`);
  return [Number(id), parts[1]!.trim()];
}

/** "100 Gb/sec (4X EDR)" → bytes per second, with procfs' float32 parse and truncation. */
export function parseRate(text: string, where: string): number {
  const space = text.indexOf(' ');
  if (space < 0) throw new Error(`${where}: failed to split ${JSON.stringify(text)}`);
  const num = text.slice(0, space).trim();
  const bytes = Math.fround(parseGoFloat(num, where)) * 125000000;
  return bytes <= 0 || Number.isNaN(bytes) ? 0 : Math.trunc(bytes);
}

async function readPort(dir: string, port: string): Promise<InfinibandPort> {
  if (!/^\d+$/.test(port) || Number(port) > 0xffffffff) throw new Error(`${dir}: failed to convert ${port} into uint`);
  await readFile(path.join(dir, 'link_layer'), 'utf8');
  const [stateId, state] = parseState(await readFile(path.join(dir, 'state'), 'utf8'), path.join(dir, 'state'));
  const [physStateId, physState] = parseState(await readFile(path.join(dir, 'phys_state'), 'utf8'), path.join(dir, 'phys_state'));
  const rate = parseRate(await readFile(path.join(dir, 'rate'), 'utf8'), path.join(dir, 'rate'));
  const counters = new Map<string, bigint>();
  const hwCounters = new Map<string, bigint>();
  if (await pathExists(path.join(dir, 'counters'))) {
    await readCounterDir(path.join(dir, 'counters'), counters, ['ENOENT', 'EACCES', 'EPERM', 'EOPNOTSUPP', 'EINVAL']);
    await readCounterDir(path.join(dir, 'counters_ext'), counters, ['ENOENT', 'EACCES', 'EPERM', 'EOPNOTSUPP'], true);
  }
  if (await pathExists(path.join(dir, 'hw_counters')))
    await readCounterDir(path.join(dir, 'hw_counters'), hwCounters, ['ENOENT', 'EACCES', 'EPERM', 'EOPNOTSUPP']);
  return { port: Number(port), state, stateId, physState, physStateId, rate, counters, hwCounters };
}

/** Reads the regular files of a counter directory, skipping unreadable ones and "N/A (no PMA)" values as procfs does. */
async function readCounterDir(dir: string, into: Map<string, bigint>, skippable: string[], optional = false): Promise<void> {
  let entries;
  try {
    entries = await readDirEntries(dir);
  } catch (err) {
    if (optional && isNotExist(err)) return;
    throw err;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = path.join(dir, e.name);
    let value: string;
    try {
      value = await readSysAttr(file);
    } catch (err) {
      if (isErrno(err, ...skippable)) continue;
      throw err;
    }
    let n: bigint;
    try {
      n = parseGoBigInt(value, file, true);
    } catch (err) {
      if (value.includes('N/A (no PMA)')) continue;
      throw err;
    }
    into.set(e.name, PER_LANE.has(e.name) ? (n * 4n) & UINT64_MASK : n);
  }
}
