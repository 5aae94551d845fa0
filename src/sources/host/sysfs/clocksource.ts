import path from 'node:path';
import { listDir, readSysAttr } from '../kernel-files/read.ts';

export interface ClockSource {
  /** The number in the directory name (clocksource0 → "0"). */
  name: string;
  available: string[];
  current: string;
}

/** Reads /sys/devices/system/clocksource/clocksource[0-9]*, in name order; a missing attribute is an error. */
export async function readClockSources(sysfs: string): Promise<ClockSource[]> {
  const dir = path.join(sysfs, 'devices', 'system', 'clocksource');
  const entries = (await listDir(dir)).filter((e) => /^clocksource[0-9]/.test(e));
  return Promise.all(
    entries.map(async (entry) => {
      const base = path.join(dir, entry);
      const [available, current] = await Promise.all([
        readSysAttr(path.join(base, 'available_clocksource')),
        readSysAttr(path.join(base, 'current_clocksource')),
      ]);
      return { name: entry.slice('clocksource'.length), available: available.split(/\s+/).filter((s) => s !== ''), current };
    }),
  );
}
