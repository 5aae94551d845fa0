import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { parseInt64, scanLines } from '../kernel-files/parse.ts';

export interface CgroupSummary {
  subsysName: string;
  hierarchy: number;
  cgroups: number;
  enabled: number;
}

/** Parses /proc/cgroups (`#subsys_name hierarchy num_cgroups enabled`; comment lines skipped). */
export function parseCgroupSummaries(text: string): CgroupSummary[] {
  const out: CgroupSummary[] = [];
  for (const line of scanLines(text)) {
    if (line.startsWith('#')) continue;
    const f = line
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    if (f.length < 4) throw new Error(`cgroups: 4+ fields required, found ${f.length} in ${JSON.stringify(line)}`);
    out.push({
      subsysName: f[0]!,
      hierarchy: parseInt64(f[1]!, `cgroups ${f[0]} hierarchy`),
      cgroups: parseInt64(f[2]!, `cgroups ${f[0]} num_cgroups`),
      enabled: parseInt64(f[3]!, `cgroups ${f[0]} enabled`),
    });
  }
  return out;
}

export async function readCgroupSummaries(procfs: string): Promise<CgroupSummary[]> {
  return parseCgroupSummaries(await readText(path.join(procfs, 'cgroups')));
}
