import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields, parseUint } from '../kernel-files/parse.ts';

/** The kernel's USER_HZ: /proc/stat counts CPU time in 1/100 s on every Linux architecture. */
const USER_HZ = 100;

/** Seconds spent in each mode (already divided by USER_HZ). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;

/** The per-vector counts of the `softirq` line, in the kernel's order. */
export const SOFTIRQ_VECTORS = ['hi', 'timer', 'net_tx', 'net_rx', 'block', 'block_iopoll', 'tasklet', 'sched', 'hrtimer', 'rcu'] as const;
type SoftirqVector = (typeof SOFTIRQ_VECTORS)[number];

export interface KernelStat {
  bootTime: number;
  cpuTotal: CpuTimes;
  /** Per-CPU times by CPU number, in file order. */
  cpus: Map<number, CpuTimes>;
  intrTotal: number;
  contextSwitches: number;
  processesCreated: number;
  processesRunning: number;
  processesBlocked: number;
  softirqTotal: number;
  softirq: Record<SoftirqVector, number>;
}

function zeroTimes(): CpuTimes {
  return { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };
}

/** A `cpu`/`cpuN` line; older kernels give fewer columns, the missing ones stay 0. */
function parseCpuLine(f: string[], line: number, file: string): { id: number | undefined; times: CpuTimes } {
  const where = `${file} line ${line} (${f[0]})`;
  const times = zeroTimes();
  const values = f.slice(1, 1 + CPU_MODES.length);
  if (values.length === 0) throw new Error(`${where}: no values`);
  values.forEach((v, i) => {
    times[CPU_MODES[i]!] = parseUint(v, where) / USER_HZ;
  });
  if (f[0] === 'cpu') return { id: undefined, times };
  return { id: parseUint(f[0]!.slice(3), `${where}: cpu number`), times };
}

/** Parses /proc/stat. Lines it does not know are skipped, as procfs does. */
export function parseStat(text: string, file = '/proc/stat'): KernelStat {
  const stat: KernelStat = {
    bootTime: 0,
    cpuTotal: zeroTimes(),
    cpus: new Map(),
    intrTotal: 0,
    contextSwitches: 0,
    processesCreated: 0,
    processesRunning: 0,
    processesBlocked: 0,
    softirqTotal: 0,
    softirq: Object.fromEntries(SOFTIRQ_VECTORS.map((v) => [v, 0])) as Record<SoftirqVector, number>,
  };
  text.split('\n').forEach((raw, index) => {
    const f = fields(raw);
    if (f.length < 2) return;
    const key = f[0]!;
    const where = `${file} line ${index + 1} (${key})`;
    switch (key) {
      case 'btime':
        stat.bootTime = parseUint(f[1]!, where);
        break;
      case 'intr':
        stat.intrTotal = parseUint(f[1]!, where);
        break;
      case 'ctxt':
        stat.contextSwitches = parseUint(f[1]!, where);
        break;
      case 'processes':
        stat.processesCreated = parseUint(f[1]!, where);
        break;
      case 'procs_running':
        stat.processesRunning = parseUint(f[1]!, where);
        break;
      case 'procs_blocked':
        stat.processesBlocked = parseUint(f[1]!, where);
        break;
      case 'softirq':
        if (f.length < 2 + SOFTIRQ_VECTORS.length) throw new Error(`${where}: expected ${1 + SOFTIRQ_VECTORS.length} counts, got ${f.length - 1}`);
        stat.softirqTotal = parseUint(f[1]!, where);
        SOFTIRQ_VECTORS.forEach((v, i) => {
          stat.softirq[v] = parseUint(f[2 + i]!, `${where} ${v}`);
        });
        break;
      default:
        if (key.startsWith('cpu')) {
          const { id, times } = parseCpuLine(f, index + 1, file);
          if (id === undefined) stat.cpuTotal = times;
          else stat.cpus.set(id, times);
        }
    }
  });
  return stat;
}

export async function readStat(procfs: string): Promise<KernelStat> {
  const file = path.join(procfs, 'stat');
  return parseStat(await readText(file), file);
}
