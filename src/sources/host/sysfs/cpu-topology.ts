import path from 'node:path';
import { listDir, readTextIfExists, readSysAttr, readUintAttr } from '../kernel-files/read.ts';
import { listCpuDirs } from './cpufreq.ts';
import { parseCpuRange } from './cpu-range.ts';

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
  const read = (dir: string, ...rel: string[]): Promise<number | undefined> => readUintOrUndefined(path.join(dir, ...rel));
  // All files are read at once (a few hundred small reads on big machines), then folded in CPU order.
  const perCpu = await Promise.all(
    (await listCpuDirs(sysfs)).map(async (dir) => {
      // Most virtual machines have no thermal_throttle: look before reading, failed opens are the slow part.
      const throttled = (await listDir(dir)).includes('thermal_throttle');
      const [pkg, core, coreCount, packageCount] = await Promise.all([
        read(dir, 'topology', 'physical_package_id'),
        read(dir, 'topology', 'core_id'),
        throttled ? read(dir, 'thermal_throttle', 'core_throttle_count') : undefined,
        throttled ? read(dir, 'thermal_throttle', 'package_throttle_count') : undefined,
      ]);
      return { pkg, core, coreCount, packageCount };
    }),
  );
  const out: ThermalThrottles = { packages: new Map(), cores: new Map() };
  for (const { pkg, core, coreCount, packageCount } of perCpu) {
    if (pkg === undefined || core === undefined) continue;
    let cores = out.cores.get(pkg);
    if (!cores) out.cores.set(pkg, (cores = new Map()));
    if (!cores.has(core) && coreCount !== undefined) cores.set(core, coreCount);
    if (!out.packages.has(pkg) && packageCount !== undefined) out.packages.set(pkg, packageCount);
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
  const states = await Promise.all(dirs.map((dir) => readSysAttr(path.join(dir, 'online')).catch(() => '')));
  return new Map(dirs.map((dir, i) => [path.basename(dir).slice(3), states[i] === '1']));
}
