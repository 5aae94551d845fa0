/** Parses a kernel CPU list ("1,3-5,9\n") into CPU numbers, as in /sys/devices/system/cpu/{isolated,offline}. */
export function parseCpuRange(text: string, where: string): number[] {
  const cpus: number[] = [];
  for (const part of text.replace(/\n$/, '').split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${where}: invalid cpu range ${JSON.stringify(part)}`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    for (let i = start; i <= end; i++) cpus.push(i);
  }
  return cpus;
}
