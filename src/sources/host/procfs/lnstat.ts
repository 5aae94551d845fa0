import path from 'node:path';
import { goGlob } from '../machinery/go-glob.ts';
import { readText } from '../kernel-files/read.ts';
import { scanLines } from '../kernel-files/parse.ts';

export interface NetStatFile {
  /** The file's name under /proc/net/stat (arp_cache, nf_conntrack...). */
  filename: string;
  /** Per column header, one value per CPU line, in order. */
  stats: Map<string, number[]>;
}

/** Parses one /proc/net/stat file: a header line of column names, then one line of hex counters per CPU. */
export function parseNetStatFile(text: string, filename: string): NetStatFile {
  const lines = scanLines(text);
  const headers = (lines[0] ?? '')
    .trim()
    .split(/\s+/)
    .filter((h) => h !== '');
  const stats = new Map<string, number[]>();
  for (const line of lines.slice(1)) {
    const values = line
      .trim()
      .split(/\s+/)
      .filter((v) => v !== '');
    values.forEach((v, i) => {
      const header = headers[i];
      if (header === undefined) throw new Error(`${filename}: more values than the ${headers.length} column headers in ${JSON.stringify(line.slice(0, 80))}`);
      if (!/^[0-9a-fA-F]{1,16}$/.test(v)) throw new Error(`${filename}: ${header}: expected a hexadecimal counter, got ${JSON.stringify(v.slice(0, 40))}`);
      let list = stats.get(header);
      if (!list) stats.set(header, (list = []));
      list.push(Number(BigInt('0x' + v)));
    });
  }
  return { filename, stats };
}

/** Every file under /proc/net/stat, sorted by name. */
export async function readNetStat(procfs: string): Promise<NetStatFile[]> {
  const files = await goGlob(path.join(procfs, 'net', 'stat', '*'));
  const out: NetStatFile[] = [];
  for (const file of files) out.push(parseNetStatFile(await readText(file), path.basename(file)));
  return out;
}
