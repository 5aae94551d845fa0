/** /sys/class/thermal zones and cooling devices, read as prometheus/procfs v0.21 does. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound, errnoOf, sysReadFile } from '../kernel-files/read.ts';

export interface ThermalZone {
  /** "0" for thermal_zone0. */
  name: string;
  type: string;
  /** Millidegrees Celsius; 0 when unreadable (procfs records the error and node_exporter still reports the zone). */
  tempMilliCelsius: number;
  /** Why some attribute could not be read, if any. */
  readError?: string;
}

export interface CoolingDevice {
  name: string;
  type: string;
  curState: number;
  maxState: number;
}

async function entries(sysfs: string, prefix: string): Promise<string[]> {
  const dir = path.join(sysfs, 'class', 'thermal');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // Like Go's filepath.Glob: a missing directory is no match, not an error.
    if (isNotFound(err)) return [];
    throw err;
  }
  const re = new RegExp(`^${prefix}[0-9]`);
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

const INT_RE = /^[+-]?\d+$/;

export async function readThermalZones(sysfs: string): Promise<ThermalZone[]> {
  const zones: ThermalZone[] = [];
  for (const dir of await entries(sysfs, 'thermal_zone')) {
    const errors: string[] = [];
    const attr = async (name: string): Promise<string> => {
      try {
        return await sysReadFile(path.join(dir, name));
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
        return '';
      }
    };
    const type = await attr('type');
    const tempText = await attr('temp');
    let temp = 0;
    if (INT_RE.test(tempText)) temp = Number(tempText);
    else if (tempText !== '') errors.push(`temp: not an integer: ${JSON.stringify(tempText)}`);
    const zone: ThermalZone = { name: path.basename(dir).slice('thermal_zone'.length), type, tempMilliCelsius: temp };
    if (errors.length > 0) zone.readError = errors.join('; ');
    zones.push(zone);
  }
  return zones;
}

const IGNORABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL']);

/** Cooling devices; one whose files are missing or refused is skipped, a garbled state fails the whole read. */
export async function readCoolingDevices(sysfs: string): Promise<CoolingDevice[]> {
  const out: CoolingDevice[] = [];
  for (const dir of await entries(sysfs, 'cooling_device')) {
    try {
      const type = await sysReadFile(path.join(dir, 'type'));
      const state = async (name: string): Promise<number> => {
        const text = await sysReadFile(path.join(dir, name));
        if (!INT_RE.test(text)) throw new Error(`${path.join(dir, name)}: not an integer: ${JSON.stringify(text.slice(0, 40))}`);
        return Number(text);
      };
      const maxState = await state('max_state');
      const curState = await state('cur_state');
      out.push({ name: path.basename(dir).slice('cooling_device'.length), type, curState, maxState });
    } catch (err) {
      if (IGNORABLE.has(errnoOf(err))) continue;
      throw err;
    }
  }
  return out;
}
