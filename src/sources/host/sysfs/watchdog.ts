import path from 'node:path';
import { isNotExist, readSysAttr } from '../kernel-files/read.ts';
import { parseGoInt } from '../kernel-files/parse.ts';
import { readDirNames } from '../kernel-files/dir.ts';

/** One /sys/class/watchdog/<name>: each attribute is absent when the driver does not provide it. */
export interface Watchdog {
  name: string;
  bootstatus?: number;
  options?: string;
  fwVersion?: number;
  identity?: string;
  nowayout?: number;
  state?: string;
  status?: string;
  timeleft?: number;
  timeout?: number;
  pretimeout?: number;
  pretimeoutGovernor?: string;
  accessCs0?: number;
}

const NUMERIC = {
  bootstatus: 'bootstatus',
  fw_version: 'fwVersion',
  nowayout: 'nowayout',
  timeleft: 'timeleft',
  timeout: 'timeout',
  pretimeout: 'pretimeout',
  access_cs0: 'accessCs0',
} as const;
const TEXT = { options: 'options', identity: 'identity', state: 'state', status: 'status', pretimeout_governor: 'pretimeoutGovernor' } as const;

/** Reads every watchdog of /sys/class/watchdog; throws ENOENT when the class is absent. */
export async function readWatchdogClass(sysfs: string): Promise<Watchdog[]> {
  const classDir = path.join(sysfs, 'class', 'watchdog');
  const out: Watchdog[] = [];
  for (const name of await readDirNames(classDir)) out.push(await readWatchdog(path.join(classDir, name), name));
  return out;
}

async function readWatchdog(dir: string, name: string): Promise<Watchdog> {
  const wd: Watchdog = { name };
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return await readSysAttr(path.join(dir, file));
    } catch (err) {
      if (isNotExist(err)) return undefined;
      throw err;
    }
  };
  for (const [file, key] of Object.entries(NUMERIC)) {
    const v = await read(file);
    if (v !== undefined) wd[key] = parseGoInt(v, path.join(dir, file));
  }
  for (const [file, key] of Object.entries(TEXT)) {
    const v = await read(file);
    if (v !== undefined) wd[key] = v;
  }
  return wd;
}
