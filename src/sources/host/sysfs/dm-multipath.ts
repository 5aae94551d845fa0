import path from 'node:path';
import { isNotExist, readSysAttr, readUintAttr } from '../kernel-files/read.ts';
import { readDirNames } from '../kernel-files/dir.ts';

interface MultipathPath {
  /** Block device of the path (sdX, nvmeXnY). */
  device: string;
  /** /sys/block/<dev>/device/state, e.g. running, offline, live. */
  state: string;
}

export interface MultipathDevice {
  name: string;
  sysfsName: string;
  uuid: string;
  suspended: boolean;
  sizeBytes: number;
  paths: MultipathPath[];
}

const SECTOR_SIZE = 512;

/** The device-mapper multipath devices of /sys/block (dm-* whose dm/uuid starts with "mpath-"); throws ENOENT when /sys/block is absent. */
export async function readMultipathDevices(sysfs: string): Promise<MultipathDevice[]> {
  const blockDir = path.join(sysfs, 'block');
  const devices: MultipathDevice[] = [];
  for (const entry of await readDirNames(blockDir)) {
    if (!entry.startsWith('dm-')) continue;
    const dmDir = path.join(blockDir, entry, 'dm');
    let uuid: string;
    try {
      uuid = await readSysAttr(path.join(dmDir, 'uuid'));
    } catch (err) {
      if (isNotExist(err)) continue; // Not a device-mapper device.
      throw err;
    }
    if (!uuid.startsWith('mpath-')) continue;
    devices.push({
      name: await readSysAttr(path.join(dmDir, 'name')),
      sysfsName: entry,
      uuid,
      suspended: (await readUintAttr(path.join(dmDir, 'suspended'))) === 1,
      sizeBytes: (await readUintAttr(path.join(blockDir, entry, 'size'))) * SECTOR_SIZE,
      paths: await readPaths(blockDir, entry),
    });
  }
  return devices;
}

async function readPaths(blockDir: string, dm: string): Promise<MultipathPath[]> {
  let slaves: string[];
  try {
    slaves = await readDirNames(path.join(blockDir, dm, 'slaves'));
  } catch (err) {
    if (isNotExist(err)) return [];
    throw err;
  }
  const paths: MultipathPath[] = [];
  for (const device of slaves) paths.push({ device, state: await readSysAttr(path.join(blockDir, device, 'device', 'state')) });
  return paths;
}
