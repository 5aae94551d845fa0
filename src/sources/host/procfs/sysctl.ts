import { open } from 'node:fs/promises';
import path from 'node:path';

/** What procfs' SysReadFile returns: one read(2) of at most 128 bytes, trimmed (longer values are cut, as in node_exporter). */
export async function readSysFileOnce(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(128);
    const { bytesRead } = await handle.read(buf, 0, buf.length, null);
    return buf.subarray(0, bytesRead).toString('utf8').trim();
  } finally {
    await handle.close();
  }
}

/** The whitespace-separated values of sysctl `name` (dots are path separators under /proc/sys). */
export async function readSysctlStrings(procfs: string, name: string): Promise<string[]> {
  const text = await readSysFileOnce(path.join(procfs, 'sys', ...name.split('.')));
  return text.split(/\s+/).filter((f) => f !== '');
}

/** The values of sysctl `name` as integers, parsed as Go's strconv.ParseInt(s, 0, 64) (0x, 0o, 0b and leading-0 octal prefixes). */
export async function readSysctlInts(procfs: string, name: string): Promise<number[]> {
  return (await readSysctlStrings(procfs, name)).map((f, i) => parseGoIntBase0(f, `field ${i} in sysctl ${name}`));
}

export function parseGoIntBase0(text: string, where: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text.replace(/(?<=[0-9a-fA-FxXoObB])_(?=[0-9a-fA-F])/g, ''));
  if (!m) throw new Error(`${where} is not a valid int: ${JSON.stringify(text.slice(0, 40))}`);
  const digits = m[2]!;
  let value: bigint;
  if (/^0[xXoObB]/.test(digits)) value = BigInt(digits.toLowerCase());
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt('0o' + digits.slice(1));
  else value = BigInt(digits);
  if (m[1] === '-') value = -value;
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) throw new Error(`${where} is out of the int64 range: ${text}`);
  return Number(value);
}
