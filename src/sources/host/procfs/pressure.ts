import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { nonEmptyLines, parseUint } from '../kernel-files/parse.ts';

interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time in microseconds. */
  totalMicroseconds: number;
}

export interface PsiStats {
  some?: PsiLine;
  full?: PsiLine;
}

const PSI_LINE = /^(some|full) avg10=(\S+) avg60=(\S+) avg300=(\S+) total=(\S+)$/;

/** Parses a /proc/pressure/<resource> file; lines other than some/full are ignored. */
export function parsePsi(text: string, file: string): PsiStats {
  const stats: PsiStats = {};
  for (const line of nonEmptyLines(text)) {
    const kind = line.split(' ')[0];
    if (kind !== 'some' && kind !== 'full') continue;
    const m = PSI_LINE.exec(line.trim());
    if (!m) throw new Error(`${file}: malformed ${kind} line ${JSON.stringify(line.slice(0, 80))}`);
    const avg = (s: string, name: string): number => {
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) throw new Error(`${file}: ${kind} ${name} is not a number: ${JSON.stringify(s)}`);
      return v;
    };
    stats[kind] = {
      avg10: avg(m[2]!, 'avg10'),
      avg60: avg(m[3]!, 'avg60'),
      avg300: avg(m[4]!, 'avg300'),
      totalMicroseconds: parseUint(m[5]!, `${file} ${kind} total`),
    };
  }
  return stats;
}

/** Reads /proc/pressure/<resource>; read errors (ENOENT, EOPNOTSUPP with psi=0) are left to the caller. */
export async function readPsi(procfs: string, resource: string): Promise<PsiStats> {
  const file = path.join(procfs, 'pressure', resource);
  return parsePsi(await readText(file), file);
}
