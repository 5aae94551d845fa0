import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseInt64, scanLines } from '../kernel-files/parse.ts';

export interface Slab {
  name: string;
  objActive: number;
  objNum: number;
  objSize: number;
  objPerSlab: number;
  pagesPerSlab: number;
}

/** Parses /proc/slabinfo version 2.1 (16 fields per slab line; the version and `# name` header lines are skipped). */
export function parseSlabInfo(text: string): Slab[] {
  const slabs: Slab[] = [];
  for (const line of scanLines(text)) {
    if (line.includes('slabinfo -') || line.includes('# name')) continue;
    const f = line.replace(/\s+/g, ' ').split(' ');
    if (f.length !== 16) throw new Error(`slabinfo: expected 16 fields, got ${f.length} in ${JSON.stringify(line.slice(0, 80))}`);
    const int = (i: number, what: string): number => parseInt64(f[i]!, `slabinfo ${f[0]} ${what}`);
    // The tunables and slabdata columns are validated as procfs does, though not exported.
    for (const i of [8, 9, 10, 13, 14, 15]) int(i, `field ${i}`);
    slabs.push({
      name: f[0]!,
      objActive: int(1, 'active_objs'),
      objNum: int(2, 'num_objs'),
      objSize: int(3, 'objsize'),
      objPerSlab: int(4, 'objperslab'),
      pagesPerSlab: int(5, 'pagesperslab'),
    });
  }
  return slabs;
}

export async function readSlabInfo(procfs: string): Promise<Slab[]> {
  return parseSlabInfo(await readText(path.join(procfs, 'slabinfo')));
}
