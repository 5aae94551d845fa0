/**
 * The kernel page size of this process, as Go's os.Getpagesize() gives it to
 * node_exporter (used to turn page counts into bytes). Node has no direct
 * call; the kernel hands it to every process in the ELF auxiliary vector.
 */
import { readFileSync } from 'node:fs';

const AT_PAGESZ = 6n;
const FALLBACK = 4096;
let cached: number | undefined;

/** Reads AT_PAGESZ from an auxv image (pairs of native 64-bit words); undefined if absent. */
export function pageSizeFromAuxv(auxv: Buffer): number | undefined {
  for (let off = 0; off + 16 <= auxv.length; off += 16) {
    const type = auxv.readBigUInt64LE(off);
    if (type === 0n) break;
    if (type === AT_PAGESZ) return Number(auxv.readBigUInt64LE(off + 8));
  }
  return undefined;
}

/** Always of the live process (not --path.procfs): the page size is the running kernel's. */
export function pageSize(): number {
  if (cached === undefined) {
    try {
      cached = pageSizeFromAuxv(readFileSync('/proc/self/auxv')) ?? FALLBACK;
    } catch {
      cached = FALLBACK;
    }
  }
  return cached;
}
