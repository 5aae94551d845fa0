import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseInt64, scanLines } from '../kernel-files/parse.ts';

/** Parses /proc/net/xfrm_stat: `XfrmInError 1` lines, into a map by counter name (unknown names kept too). */
export function parseXfrmStat(text: string, where = 'xfrm_stat'): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of scanLines(text)) {
    const f = line
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    if (f.length !== 2) throw new Error(`${where}: expected "name value", got ${JSON.stringify(line)}`);
    out.set(f[0]!, parseInt64(f[1]!, `${where} ${f[0]}`));
  }
  return out;
}

export async function readXfrmStat(procfs: string): Promise<Map<string, number>> {
  const file = path.join(procfs, 'net', 'xfrm_stat');
  return parseXfrmStat(await readText(file), file);
}
