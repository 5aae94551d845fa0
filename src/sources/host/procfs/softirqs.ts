import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, parseUint } from '../kernel-files/parse.ts';

/** The softirq types node_exporter exports, as /proc/softirqs names them. */
export const SOFTIRQ_TYPES = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'] as const;
type SoftirqType = (typeof SOFTIRQ_TYPES)[number];

/** Per-CPU counts by type (index = CPU column); types absent from the file are absent here. */
export type Softirqs = Partial<Record<SoftirqType, number[]>>;

const KNOWN = new Set<string>(SOFTIRQ_TYPES);

/** Parses /proc/softirqs: a CPU header line, then "TYPE: n n n..." per type. */
export function parseSoftirqs(text: string, file = '/proc/softirqs'): Softirqs {
  const lines = text.split('\n');
  if (lines[0] === undefined || lines[0] === '') throw new Error(`${file}: empty`);
  const out: Softirqs = {};
  for (const line of lines.slice(1)) {
    const parts = fields(line);
    if (parts.length < 2 || !parts[0]!.endsWith(':')) continue;
    const type = parts[0]!.slice(0, -1);
    if (!KNOWN.has(type)) continue;
    out[type as SoftirqType] = parts.slice(1).map((v, cpu) => parseUint(v, `${file} ${type} cpu ${cpu}`));
  }
  return out;
}

export async function readSoftirqs(procfs: string): Promise<Softirqs> {
  const file = path.join(procfs, 'softirqs');
  return parseSoftirqs(await readText(file), file);
}
