/**
 * Reads a process's mappings of one file from /proc/<pid>/smaps, to check
 * what src/executable-pages.ts did to them.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { type MapsLine, parseMapsLine, TEXT_PIECE_BYTES, textReadsAheadDespiteAdvice } from '../../src/executable-pages.ts';

export interface SmapsMapping extends Omit<MapsLine, 'path'> {
  /** VmFlags: "rr" is MADV_RANDOM, "dd" MADV_DONTDUMP. */
  flags: string[];
}

/** Each mapping of `file` in /proc/<pid>/smaps with its permissions and VmFlags. */
export function smapsOf(file: string, pid: number | 'self' = 'self'): SmapsMapping[] {
  const out: SmapsMapping[] = [];
  let current: SmapsMapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = parseMapsLine(line);
    if (head) {
      current = head.path === file ? { start: head.start, end: head.end, perms: head.perms, flags: [] } : undefined;
      if (current) out.push(current);
    } else if (current && line.startsWith('VmFlags:')) current.flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
  }
  return out;
}

export const isText = (m: SmapsMapping): boolean => m.perms[2] === 'x';

/**
 * What is still missing for the mappings to be advised as this kernel needs
 * (empty when done): MADV_RANDOM on every mapping, except from Linux 6.16 on
 * the text, which is instead in pieces of at most TEXT_PIECE_BYTES, neighbours
 * told apart by MADV_DONTDUMP, and not MADV_RANDOM.
 */
export function adviceMissing(mappings: SmapsMapping[], kernelRelease = release()): string[] {
  const missing: string[] = [];
  if (mappings.length === 0) return ['no mapping of the executable'];
  const cutText = textReadsAheadDespiteAdvice(kernelRelease);
  for (const m of mappings) {
    const where = `${m.start.toString(16)}-${m.end.toString(16)} ${m.perms}`;
    if (!isText(m) || !cutText) {
      if (!m.flags.includes('rr')) missing.push(`${where}: not MADV_RANDOM`);
      continue;
    }
    if (m.flags.includes('rr')) missing.push(`${where}: text advised MADV_RANDOM (reclaim would ignore its accesses)`);
    if (m.end - m.start > TEXT_PIECE_BYTES) missing.push(`${where}: a text mapping of ${m.end - m.start} bytes`);
  }
  const text = mappings.filter(isText);
  for (let i = 1; i < text.length; i++) {
    const [a, b] = [text[i - 1]!, text[i]!];
    // Neighbours marked alike would have been merged back by the kernel.
    if (cutText && a.end === b.start && a.flags.includes('dd') === b.flags.includes('dd')) missing.push(`${b.start.toString(16)}: neighbours marked alike`);
  }
  return missing;
}
