/** CPU time and memory of a process, read from /proc, for the benchmarks that compare against another process. */
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // clock ticks of /proc/<pid>/stat's time fields on Linux

/** The fields of /proc/<pid>/stat after "(comm)", which may itself hold spaces or parentheses. */
export function procStatFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of the process, in seconds. */
export function procCpuSeconds(pid: number | 'self'): number {
  const f = procStatFields(pid);
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/** utime + stime and stime alone (the kernel's share: page faults, reclaim under a memory limit, I/O), in seconds, from one read. */
export function procCpuTimes(pid: number | 'self'): { cpuSeconds: number; systemSeconds: number } {
  const f = procStatFields(pid);
  return { cpuSeconds: (Number(f[11]) + Number(f[12])) / USER_HZ, systemSeconds: Number(f[12]) / USER_HZ };
}

/** cutime + cstime of this process: the CPU of its children that were waited for, in seconds. */
export function childrenCpuSeconds(): number {
  const f = procStatFields('self');
  return (Number(f[13]) + Number(f[14])) / USER_HZ;
}

/** A "<field>: N kB" line of /proc/<pid>/status in bytes; NaN when absent. */
export function procStatusBytes(pid: number | 'self', field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function rssBytes(pid: number | 'self'): number {
  return procStatusBytes(pid, 'VmRSS');
}

/** Runs `round` `rounds` times one after another; the wall time of each, in seconds. */
export async function timeRounds(rounds: number, round: () => Promise<unknown> | unknown): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await round();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
}
