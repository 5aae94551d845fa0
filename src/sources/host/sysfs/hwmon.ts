/**
 * /sys/class/hwmon, read the way node_exporter's hwmon collector does: chip
 * names from the device symlink, then the name file, then the directory;
 * sensor files "<type><n>_<property>" of known types, in the chip directory
 * and its device/ directory.
 */
import { lstat, open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { pathExists } from '../kernel-files/read.ts';
import path from 'node:path';

const SENSOR_TYPES = new Set([
  'vrm',
  'beep_enable',
  'update_interval',
  'in',
  'cpu',
  'fan',
  'pwm',
  'temp',
  'curr',
  'power',
  'energy',
  'humidity',
  'intrusion',
  'freq',
]);
const SENSOR_FILE_RE = /^([^0-9]+)([0-9]*)?(_(.+))?$/;

/** Lower-cases and turns anything but [a-z0-9:_] into "_", trimming "_" at both ends. */
export function cleanMetricName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9:_]/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface SensorFileName {
  type: string;
  num: number;
  property: string;
}

/** Splits "temp1_input" into temp, 1, input; undefined when the name does not have that shape. */
export function explodeSensorFilename(name: string): SensorFileName | undefined {
  const m = SENSOR_FILE_RE.exec(name);
  if (!m) return undefined;
  return { type: m[1]!, num: m[2] ? Number(m[2]) : 0, property: m[4] ?? '' };
}

export interface HwmonChip {
  /** Unique chip label (node_exporter's chip). */
  chip: string;
  dir: string;
  /** The cleaned name file, for node_hwmon_chip_names; undefined when absent or empty. */
  humanName?: string;
}

/** Sensor ("temp1") → property ("input", "" for the bare file) → raw value. */
export type SensorData = Map<string, Map<string, string>>;

async function readName(dir: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, 'name'), 'utf8');
  } catch {
    return undefined;
  }
}

async function baseChipName(dir: string): Promise<string | undefined> {
  try {
    const device = await realpath(path.join(dir, 'device'));
    const devName = cleanMetricName(path.basename(device));
    const devType = cleanMetricName(path.basename(path.dirname(device)));
    if (devType !== '' && devName !== '') return `${devType}_${devName}`;
    if (devName !== '') return devName;
  } catch {
    // no device link: fall back to the name file
  }
  const name = await readName(dir);
  if (name !== undefined && cleanMetricName(name) !== '') return cleanMetricName(name);
  try {
    const own = cleanMetricName(path.basename(await realpath(dir)));
    return own === '' ? undefined : own;
  } catch {
    return undefined;
  }
}

/**
 * The chips under <sysfs>/class/hwmon (entries that are, or link to,
 * directories), with node_exporter's disambiguation of equal names: the
 * name file, else the hwmonN directory name, is appended.
 * Throws ENOENT when the class directory is absent.
 */
export async function listHwmonChips(sysfs: string): Promise<HwmonChip[]> {
  const classDir = path.join(sysfs, 'class', 'hwmon');
  const found: Array<{ dir: string; base: string; nameFile: string }> = [];
  for (const entry of (await readdir(classDir)).sort()) {
    const dir = path.join(classDir, entry);
    try {
      const st = (await lstat(dir)).isSymbolicLink() ? await stat(dir) : await lstat(dir);
      if (!st.isDirectory()) continue;
    } catch {
      continue;
    }
    const base = await baseChipName(dir);
    if (base === undefined) continue;
    found.push({ dir, base, nameFile: (await readName(dir))?.trim() ?? '' });
  }
  const count = (key: (f: (typeof found)[number]) => string, value: string): number => found.filter((f) => key(f) === value).length;
  return Promise.all(
    found.map(async (f) => {
      let chip = f.base;
      if (count((g) => g.base, f.base) > 1) {
        let suffix = cleanMetricName(f.nameFile);
        if (suffix === '' || count((g) => `${g.base}\0${g.nameFile}`, `${f.base}\0${f.nameFile}`) > 1) suffix = cleanMetricName(path.basename(f.dir));
        chip = `${f.base}_${suffix}`;
      }
      const raw = await readName(f.dir);
      const human = raw === undefined ? undefined : cleanMetricName(raw);
      return human ? { chip, dir: f.dir, humanName: human } : { chip, dir: f.dir };
    }),
  );
}

/** Reads at most 128 bytes like node_exporter's sysReadFile; undefined when unreadable (directories, EIO...). */
async function readSmall(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(128);
    const { bytesRead } = await handle.read(buf, 0, 128, null);
    return buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\n+|\n+$/g, '');
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

async function collectSensorFiles(dir: string, data: SensorData): Promise<void> {
  const files = (await readdir(dir)).sort().filter((f) => SENSOR_TYPES.has(explodeSensorFilename(f)?.type ?? ''));
  const values = await Promise.all(files.map((f) => readSmall(path.join(dir, f))));
  files.forEach((file, i) => {
    const value = values[i];
    if (value === undefined) return;
    const parsed = explodeSensorFilename(file)!;
    const sensor = `${parsed.type}${parsed.num}`;
    let props = data.get(sensor);
    if (!props) data.set(sensor, (props = new Map()));
    props.set(parsed.property, value);
  });
}

/** The sensor values of one chip (its directory, then device/ if present). Throws if the directory cannot be listed. */
export async function readSensorData(chipDir: string): Promise<SensorData> {
  const data: SensorData = new Map();
  await collectSensorFiles(chipDir, data);
  const device = path.join(chipDir, 'device');
  if (await pathExists(device)) await collectSensorFiles(device, data);
  return data;
}
