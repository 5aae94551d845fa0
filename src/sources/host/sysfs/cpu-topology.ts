import path from 'node:path';
import { readTextIfExists } from '../procfs/read.ts';
import { listCpuDirs } from './cpufreq.ts';
import { parseCpuRange } from './cpu-range.ts';
import { readSysAttr, readUintAttr } from './attr.ts';

/** Thermal throttle counts: per physical package, and per core within a package. */
export interface ThermalThrottles {
  packages: Map<number, number>;
  cores: Map<number, Map<number, number>>;
}

/** A count or id; node_exporter skips the CPU or count when it cannot read one, whatever the reason. */
async function readUintOrUndefined(file: string): Promise<number | undefined> {
  return readUintAttr(file).catch(() => undefined);
}

/**
 * Reads thermal_throttle/{core,package}_throttle_count of every CPU. As in
 * node_exporter, a CPU without topology is skipped, each core's and each
 * package's count is read from the first CPU that has it, and missing or
 * unreadable counts are left out rather than failing the collection.
 */
export async function readThermalThrottles(sysfs: string): Promise<ThermalThrottles> {
  const out: ThermalThrottles = { packages: new Map(), cores: new Map() };
  for (const dir of await listCpuDirs(sysfs)) {
    const pkg = await readUintOrUndefined(path.join(dir, 'topology', 'physical_package_id'));
    if (pkg === undefined) continue;
    const core = await readUintOrUndefined(path.join(dir, 'topology', 'core_id'));
    if (core === undefined) continue;
    let cores = out.cores.get(pkg);
    if (!cores) out.cores.set(pkg, (cores = new Map()));
    if (!cores.has(core)) {
      const count = await readUintOrUndefined(path.join(dir, 'thermal_throttle', 'core_throttle_count'));
      if (count !== undefined) cores.set(core, count);
    }
    if (!out.packages.has(pkg)) {
      const count = await readUintOrUndefined(path.join(dir, 'thermal_throttle', 'package_throttle_count'));
      if (count !== undefined) out.packages.set(pkg, count);
    }
  }
  return out;
}

/** CPUs listed in /sys/devices/system/cpu/isolated; undefined when the file does not exist. */
export async function readIsolatedCpus(sysfs: string): Promise<number[] | undefined> {
  const file = path.join(sysfs, 'devices', 'system', 'cpu', 'isolated');
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  return parseCpuRange(text, file);
}

/**
 * Whether each CPU is online (its `online` attribute is "1"), by CPU number.
 * Undefined when the first CPU has no `online` file: the kernel then does
 * not support CPU hotplug, and node_exporter reports nothing.
 */
export async function readCpuOnline(sysfs: string): Promise<Map<string, boolean> | undefined> {
  const dirs = await listCpuDirs(sysfs);
  if (dirs.length === 0) return undefined;
  // Only absence stops here; an unreadable first `online` still lists every CPU (as offline where unreadable).
  const firstOnline = await readTextIfExists(path.join(dirs[0]!, 'online')).catch(() => 'unreadable');
  if (firstOnline === undefined) return undefined;
  const online = new Map<string, boolean>();
  for (const dir of dirs) {
    const state = await readSysAttr(path.join(dir, 'online')).catch(() => '');
    online.set(path.basename(dir).slice(3), state === '1');
  }
  return online;
}
