/**
 * The pci.ids database (vendors, devices, subsystems, classes), for the
 * optional name labels of node_pcidevice_info, looked up as node_exporter
 * does: ids are lower-case hex without 0x; unknown ids give the id back.
 */
import { readFile } from 'node:fs/promises';
import { scanLines } from '../kernel-files/parse.ts';

const DEFAULT_PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

export interface PciIds {
  vendors: Map<string, string>;
  devices: Map<string, string>; // "vendor:device"
  subsystems: Map<string, string>; // "vendor:device/subvendor:subdevice"
  classes: Map<string, string>; // "06", "0604", "060400"
}

function emptyPciIds(): PciIds {
  return { vendors: new Map(), devices: new Map(), subsystems: new Map(), classes: new Map() };
}

/** "id  name" as pci.ids separates them (two spaces). */
function split(line: string): [string, string] | undefined {
  const i = line.indexOf('  ');
  return i === -1 ? undefined : [line.slice(0, i).trim(), line.slice(i + 2).trim()];
}

export function parsePciIds(text: string): PciIds {
  const ids = emptyPciIds();
  let vendor = '';
  let device = '';
  let baseClass = '';
  let subclass = '';
  let inClass = false;
  for (const line of scanLines(text)) {
    if (line === '' || line.startsWith('#')) continue;
    const depth = line.startsWith('\t\t') ? 2 : line.startsWith('\t') ? 1 : 0;
    if (depth === 0 && line.startsWith('C ')) {
      const p = split(line);
      if (p) {
        baseClass = p[0].slice(1).trim();
        ids.classes.set(baseClass, p[1]);
        inClass = true;
      }
      continue;
    }
    const p = split(line.slice(depth));
    if (inClass && depth > 0) {
      if (p && depth === 1 && baseClass !== '') ids.classes.set((subclass = baseClass + p[0]), p[1]);
      else if (p && depth === 2 && subclass !== '') ids.classes.set(subclass + p[0], p[1]);
      continue;
    }
    if (depth === 0) {
      if (p) {
        vendor = p[0];
        ids.vendors.set(vendor, p[1]);
        device = '';
        inClass = false;
      }
    } else if (depth === 1) {
      if (p && vendor !== '') ids.devices.set(`${vendor}:${(device = p[0])}`, p[1]);
    } else if (p && vendor !== '' && device !== '') {
      const sub = p[0].split(/\s+/);
      if (sub.length === 2) ids.subsystems.set(`${vendor}:${device}/${sub[0]}:${sub[1]}`, p[1]);
    }
  }
  return ids;
}

/** Loads the given file, or the first default path that exists; an empty database when none can be read. */
export async function loadPciIds(file: string): Promise<PciIds> {
  for (const candidate of file !== '' ? [file] : DEFAULT_PCI_IDS_PATHS) {
    try {
      return parsePciIds(await readFile(candidate, 'utf8'));
    } catch {
      // node_exporter logs at debug level and goes on without names.
    }
  }
  return emptyPciIds();
}

const bare = (id: string): string => id.replace(/^0x/, '').toLowerCase();

export function vendorName(ids: PciIds, vendorId: string): string {
  return ids.vendors.get(bare(vendorId)) ?? bare(vendorId);
}

export function deviceName(ids: PciIds, vendorId: string, deviceId: string): string {
  return ids.devices.get(`${bare(vendorId)}:${bare(deviceId)}`) ?? bare(deviceId);
}

export function subsystemName(ids: PciIds, vendorId: string, deviceId: string, subVendorId: string, subDeviceId: string): string {
  return ids.subsystems.get(`${bare(vendorId)}:${bare(deviceId)}/${bare(subVendorId)}:${bare(subDeviceId)}`) ?? bare(subDeviceId);
}

/** Most specific first: programming interface, subclass, base class. */
export function className(ids: PciIds, classId: string): string {
  const id = bare(classId);
  for (const len of [6, 4, 2]) {
    if (id.length >= len) {
      const name = ids.classes.get(id.slice(0, len));
      if (name !== undefined) return name;
    }
  }
  return `Unknown class (${id})`;
}
