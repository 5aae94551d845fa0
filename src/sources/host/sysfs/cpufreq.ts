import path from 'node:path';
import { stat } from 'node:fs/promises';
import { listDir, isNotFound, isNotExist, isPermission, readSysAttr, readUintAttr } from '../kernel-files/read.ts';
import { parseCpuRange } from './cpu-range.ts';

/** One CPU's /sys/devices/system/cpu/cpuN/cpufreq, frequencies in kHz as the kernel writes them. */
export interface CpufreqStats {
  cpu: string;
  cpuinfoCurKhz?: number;
  cpuinfoAvgKhz?: number;
  cpuinfoMinKhz?: number;
  cpuinfoMaxKhz?: number;
  scalingCurKhz?: number;
  scalingMinKhz?: number;
  scalingMaxKhz?: number;
  availableGovernors: string;
  driver: string;
  governor: string;
}

const FREQUENCY_FILES = {
  cpuinfoCurKhz: 'cpuinfo_cur_freq',
  cpuinfoAvgKhz: 'cpuinfo_avg_freq',
  cpuinfoMinKhz: 'cpuinfo_min_freq',
  cpuinfoMaxKhz: 'cpuinfo_max_freq',
  scalingCurKhz: 'scaling_cur_freq',
  scalingMinKhz: 'scaling_min_freq',
  scalingMaxKhz: 'scaling_max_freq',
} as const;

/** cpuN directories of /sys/devices/system/cpu, sorted as Go's filepath.Glob sorts them (by name). */
export async function listCpuDirs(sysfs: string): Promise<string[]> {
  const dir = path.join(sysfs, 'devices', 'system', 'cpu');
  return (await listDir(dir)).filter((e) => /^cpu[0-9]/.test(e)).map((e) => path.join(dir, e));
}

/** A frequency file; absent or unreadable (cpuinfo_cur_freq is root-only) is undefined, garbled is an error. */
async function readOptionalUint(file: string): Promise<number | undefined> {
  return readUintAttr(file).catch((err: unknown) => {
    if (isNotExist(err) || isPermission(err)) return undefined;
    throw err;
  });
}

async function readCpufreqDir(cpu: string, dir: string): Promise<CpufreqStats> {
  const out: CpufreqStats = { cpu, availableGovernors: '', driver: '', governor: '' };
  for (const [key, file] of Object.entries(FREQUENCY_FILES) as [keyof typeof FREQUENCY_FILES, string][]) {
    const v = await readOptionalUint(path.join(dir, file));
    if (v !== undefined) out[key] = v;
  }
  // These attributes always exist with a cpufreq driver; their absence is an error, as in procfs.
  const str = (file: string): Promise<string> => readSysAttr(path.join(dir, file));
  out.availableGovernors = await str('scaling_available_governors');
  out.driver = await str('scaling_driver');
  out.governor = await str('scaling_governor');
  return out;
}

/**
 * Reads cpufreq of every online CPU that has it. The offline list must
 * exist (procfs fails without it); no CPU at all is an error.
 */
export async function readSystemCpufreq(sysfs: string): Promise<CpufreqStats[]> {
  let cpuDirs = await listCpuDirs(sysfs);
  const offlineFile = path.join(sysfs, 'devices', 'system', 'cpu', 'offline');
  const offline = new Set(parseCpuRange(await readSysAttr(offlineFile), offlineFile));
  cpuDirs = cpuDirs.filter((d) => !offline.has(Number(path.basename(d).slice(3))));
  if (cpuDirs.length === 0) throw new Error(`could not find any cpufreq files under ${sysfs}/devices/system/cpu`);
  const stats: CpufreqStats[] = [];
  for (const dir of cpuDirs) {
    const freqDir = path.join(dir, 'cpufreq');
    try {
      await stat(freqDir);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    stats.push(await readCpufreqDir(path.basename(dir).slice(3), freqDir));
  }
  return stats;
}
