/** Parses /sys/bus/pci/devices/<location>/ into plain objects, as procfs' sysfs.PciDevices reads them. */
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { NoDataError } from '../kernel-files/no-data.ts';
import { isNotFound, sysReadFile } from '../kernel-files/read.ts';
import { tryParseGoInt } from '../kernel-files/parse.ts';

export interface PciLocation {
  segment: number;
  bus: number;
  device: number;
  function: number;
}

export interface PciDevice {
  location: PciLocation;
  parent?: PciLocation;
  class: number;
  vendor: number;
  device: number;
  subsystemVendor: number;
  subsystemDevice: number;
  revision: number;
  numaNode?: number;
  /** GT/s, as the kernel gives it ("8.0 GT/s PCIe"). */
  maxLinkSpeed?: number;
  maxLinkWidth?: number;
  currentLinkSpeed?: number;
  currentLinkWidth?: number;
  sriovDriversAutoprobe?: boolean;
  sriovNumvfs?: number;
  sriovTotalvfs?: number;
  sriovVfTotalMsix?: number;
  d3coldAllowed?: boolean;
  powerState?: string;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** The segment, bus, device and function label values ("0000", "01", "00", "0"). */
export function locationStrings(l: PciLocation): [string, string, string, string] {
  return [hex(l.segment, 4), hex(l.bus, 2), hex(l.device, 2), hex(l.function, 1)];
}

/** Parses "0000:01:00.0". */
export function parsePciLocation(text: string): PciLocation {
  const m = /^([^:]+):([^:]+):([^.:]+)\.([^.:]+)$/.exec(text);
  if (!m) throw new Error(`invalid PCI location ${JSON.stringify(text)}`);
  const part = (s: string, what: string): number => {
    if (!/^[+-]?[0-9a-fA-F]+$/.test(s)) throw new Error(`invalid PCI ${what} in location ${JSON.stringify(text)}`);
    const v = parseInt(s, 16);
    if (v > 0x7fffffff || v < -0x80000000) throw new Error(`PCI ${what} out of range in location ${JSON.stringify(text)}`);
    return v;
  };
  return { segment: part(m[1]!, 'segment'), bus: part(m[2]!, 'bus'), device: part(m[3]!, 'device'), function: part(m[4]!, 'function') };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await sysReadFile(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`failed to read ${file}: ${(err as Error).message}`);
  }
}

function int(text: string, where: string, radix: 10 | 16 = 10): number {
  const re = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[+-]?\d+$/;
  if (!re.test(text)) throw new Error(`${where}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return radix === 16 ? parseInt(text, 16) : Number(text);
}

/** "8.0 GT/s PCIe" → 8 */
function linkSpeed(text: string, where: string): number {
  const space = text.indexOf(' ');
  if (space === -1) throw new Error(`${where}: invalid value ${JSON.stringify(text)}`);
  if (text.slice(space + 1) !== 'GT/s PCIe') throw new Error(`${where}: unknown unit in ${JSON.stringify(text)}`);
  const v = Number(text.slice(0, space).trim());
  if (text.slice(0, space).trim() === '' || Number.isNaN(v)) throw new Error(`${where}: invalid speed in ${JSON.stringify(text)}`);
  return v;
}

async function readPciDevice(devicesDir: string, name: string): Promise<PciDevice> {
  const dir = path.join(devicesDir, name);
  const real = await readlink(dir);
  const location = parsePciLocation(path.basename(real));
  const parentName = path.basename(path.dirname(real));
  const dev: PciDevice = { location, class: 0, vendor: 0, device: 0, subsystemVendor: 0, subsystemDevice: 0, revision: 0 };
  if (!parentName.startsWith('pci')) dev.parent = parsePciLocation(parentName);

  const ids: Array<[keyof PciDevice & string, string]> = [
    ['class', 'class'],
    ['vendor', 'vendor'],
    ['device', 'device'],
    ['subsystemVendor', 'subsystem_vendor'],
    ['subsystemDevice', 'subsystem_device'],
    ['revision', 'revision'],
  ];
  for (const [key, file] of ids) {
    const where = path.join(dir, file);
    const text = await sysReadFile(where).catch((err: Error) => {
      throw new Error(`failed to read ${where}: ${err.message}`);
    });
    const v = tryParseGoInt(text);
    if (v === undefined || v > 0x7fffffff || v < -0x80000000)
      throw new Error(`${where}: expected an int32 (0x... allowed), got ${JSON.stringify(text.slice(0, 40))}`);
    (dev as unknown as Record<string, number>)[key] = v >>> 0;
  }

  for (const file of ['max_link_speed', 'max_link_width', 'current_link_speed', 'current_link_width', 'numa_node']) {
    const where = path.join(dir, file);
    const text = await readOptional(where);
    if (text === undefined || text === '' || text.startsWith('Unknown')) continue;
    if (file === 'max_link_speed') dev.maxLinkSpeed = linkSpeed(text, where);
    else if (file === 'current_link_speed') dev.currentLinkSpeed = linkSpeed(text, where);
    else if (file === 'max_link_width') dev.maxLinkWidth = int(text, where);
    else if (file === 'current_link_width') dev.currentLinkWidth = int(text, where);
    else dev.numaNode = int(text, where);
  }

  // Optional SR-IOV and power management attributes (offset, stride and vf_device are validated, not exported).
  for (const file of [
    'sriov_drivers_autoprobe',
    'sriov_numvfs',
    'sriov_offset',
    'sriov_stride',
    'sriov_totalvfs',
    'sriov_vf_device',
    'sriov_vf_total_msix',
    'd3cold_allowed',
    'power_state',
  ]) {
    const where = path.join(dir, file);
    const text = (await readOptional(where))?.trim();
    if (text === undefined || text === '') continue;
    if (file === 'sriov_drivers_autoprobe') dev.sriovDriversAutoprobe = int(text, where) !== 0;
    else if (file === 'd3cold_allowed') dev.d3coldAllowed = int(text, where) !== 0;
    else if (file === 'power_state') dev.powerState = text;
    else if (file === 'sriov_vf_device') int(text, where, 16);
    else {
      if (!/^\d+$/.test(text)) throw new Error(`${where}: expected an unsigned integer, got ${JSON.stringify(text.slice(0, 40))}`);
      const v = Number(text);
      if (file === 'sriov_numvfs') dev.sriovNumvfs = v;
      else if (file === 'sriov_totalvfs') dev.sriovTotalvfs = v;
      else if (file === 'sriov_vf_total_msix') dev.sriovVfTotalMsix = v;
    }
  }
  return dev;
}

/** Every device under /sys/bus/pci/devices; NoDataError when there is no PCI bus. */
export async function readPciDevices(sysfs: string): Promise<PciDevice[]> {
  const dir = path.join(sysfs, 'bus', 'pci', 'devices');
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if (isNotFound(err)) throw new NoDataError(`${dir} does not exist`);
    throw err;
  }
  return Promise.all(names.map((name) => readPciDevice(dir, name)));
}
