import path from 'node:path';
import { listDir, readText } from '../kernel-files/read.ts';
import { fields, parseDecimalFloat, nonEmptyLines } from '../kernel-files/parse.ts';

export interface NumaMemoryField {
  /** Metric name suffix: "MemTotal", "Active_anon" (from "Active(anon)"), "numa_hit_total". */
  name: string;
  type: 'gauge' | 'counter';
  node: string;
  value: number;
}

/** Parses /sys/devices/system/node/nodeN/meminfo ("Node 0 MemTotal:  123 kB"), values in bytes where the unit is kB. */
export function parseNodeMeminfo(text: string, file: string): NumaMemoryField[] {
  return nonEmptyLines(text).map((line) => {
    const parts = fields(line);
    const where = `${file}: line ${JSON.stringify(line.trim().slice(0, 60))}`;
    if (parts.length < 4) throw new Error(`${where}: invalid line`);
    let value = parseDecimalFloat(parts[3]!, where);
    if (parts.length === 5 && parts[4] === 'kB') value *= 1024;
    else if (parts.length !== 4) throw new Error(`${where}: invalid line`);
    const name = parts[2]!.replace(/:+$/, '').replace(/\((.*)\)/, '_$1');
    return { name, type: 'gauge', node: parts[1]!, value };
  });
}

/** Parses /sys/devices/system/node/nodeN/numastat ("numa_hit 123" per line) into *_total counters. */
export function parseNodeNumastat(text: string, node: string, file: string): NumaMemoryField[] {
  return nonEmptyLines(text).map((line) => {
    const parts = fields(line);
    if (parts.length !== 2) throw new Error(`${file}: line did not have 2 fields: ${JSON.stringify(line.trim().slice(0, 60))}`);
    return { name: `${parts[0]}_total`, type: 'counter', node, value: parseDecimalFloat(parts[1]!, `${file} ${parts[0]}`) };
  });
}

/** Reads meminfo and numastat of every NUMA node (none when sysfs has no node directory). */
export async function readNumaMemory(sysfs: string): Promise<NumaMemoryField[]> {
  const dir = path.join(sysfs, 'devices', 'system', 'node');
  const out: NumaMemoryField[] = [];
  for (const entry of (await listDir(dir)).filter((e) => /^node[0-9]/.test(e))) {
    const meminfoFile = path.join(dir, entry, 'meminfo');
    out.push(...parseNodeMeminfo(await readText(meminfoFile), meminfoFile));
    const numastatFile = path.join(dir, entry, 'numastat');
    const node = /^node([0-9]*)/.exec(entry)![1]!;
    out.push(...parseNodeNumastat(await readText(numastatFile), node, numastatFile));
  }
  return out;
}
