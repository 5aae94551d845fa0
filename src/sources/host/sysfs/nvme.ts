import path from 'node:path';
import { readSysAttr } from '../kernel-files/read.ts';
import { readDirNames } from '../kernel-files/dir.ts';

interface NvmeNamespace {
  id: string;
  /** "unknown" when the kernel has no ana_state (no ANA support). */
  anaState: string;
  usedBytes: number;
  sizeBytes: number;
  capacityBytes: number;
  logicalBlockSize: number;
}

export interface NvmeDevice {
  name: string;
  firmwareRevision: string;
  model: string;
  serial: string;
  state: string;
  controllerId: string;
  namespaces: NvmeNamespace[];
}

/** Reads /sys/class/nvme; throws ENOENT when there is no NVMe class. */
export async function readNvmeClass(sysfs: string): Promise<NvmeDevice[]> {
  const classDir = path.join(sysfs, 'class', 'nvme');
  const devices: NvmeDevice[] = [];
  for (const name of await readDirNames(classDir)) devices.push(await readNvmeDevice(path.join(classDir, name), name));
  return devices;
}

async function readNvmeDevice(dir: string, name: string): Promise<NvmeDevice> {
  const device: NvmeDevice = {
    name,
    firmwareRevision: await readSysAttr(path.join(dir, 'firmware_rev')),
    model: await readSysAttr(path.join(dir, 'model')),
    serial: await readSysAttr(path.join(dir, 'serial')),
    state: await readSysAttr(path.join(dir, 'state')),
    controllerId: await readSysAttr(path.join(dir, 'cntlid')),
    namespaces: [],
  };
  for (const entry of await readDirNames(dir)) {
    const m = /nvme\d+n(\d+)/.exec(entry);
    if (!m) continue;
    device.namespaces.push(await readNamespace(path.join(dir, entry), m[1]!));
  }
  return device;
}

async function readNamespace(dir: string, id: string): Promise<NvmeNamespace> {
  // Like procfs, an unparsable block count reads as 0 rather than failing the device.
  const blocks = async (file: string): Promise<number> => {
    const v = await readSysAttr(path.join(dir, file));
    return /^\d+$/.test(v) ? Number(v) : 0;
  };
  const used = await blocks('nuse');
  const size = await blocks('size');
  const logicalBlockSize = await blocks('queue/logical_block_size');
  let anaState = 'unknown';
  try {
    anaState = await readSysAttr(path.join(dir, 'ana_state'));
  } catch {
    // Controllers without ANA have no ana_state.
  }
  return { id, anaState, usedBytes: used * logicalBlockSize, sizeBytes: size * logicalBlockSize, capacityBytes: size * logicalBlockSize, logicalBlockSize };
}
