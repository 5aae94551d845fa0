/**
 * How the kernel reads the executable's own pages. The single executable is a
 * ~110 MB file of which the agent uses ~10 MiB, scattered; on a page fault the
 * kernel reads the disk's readahead around the page (128 KB usually, 8 MB on
 * some virtual disks, eMMC and RAID devices), and all of it is charged to the
 * agent's memory cgroup. With 8 MB, every fault filled the cgroup with pages
 * nobody maps and evicted the mapped ones: the agent thrashed under a limit
 * it otherwise fits in (issue 13; `npm run bench -- memory`).
 *
 * madvise(MADV_RANDOM) makes a fault read only the page it needs, but since
 * Linux 6.16 not in executable (text) mappings: there a fault reads the
 * readahead size forward from the page, bounded by the mapping. And on a
 * MADV_RANDOM mapping reclaim ignores accesses (vma_has_recency(), 6.3+), so
 * the hot code looks cold and is evicted first. On those kernels the text
 * mapping is instead cut into small mappings (every other piece marked
 * MADV_DONTDUMP, which only concerns core dumps and file-backed text is not
 * dumped by default), so that a fault reads at most one piece, and reclaim
 * still sees which code is used.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { log as defaultLog, type Logger } from './log.ts';
import { nativeAddon, type NativeAddon } from './sources/host/machinery/native.ts';

/** Linux's advice numbers (asm-generic/mman-common.h: the same on x64 and arm64). */
const MADV_RANDOM = 1;
const MADV_DONTDUMP = 16;

/** A text fault reads at most this much: the usual default readahead, whatever the disk's. */
export const TEXT_PIECE_BYTES = 128 * 1024;

/** An address range [start, end). */
interface AddressRange {
  start: number;
  end: number;
}

export interface FileMapping extends AddressRange {
  executable: boolean;
}

/** A mapping's line of /proc/<pid>/maps (also the head line of each mapping in smaps). */
export interface MapsLine extends AddressRange {
  /** e.g. "r-xp". */
  perms: string;
  /** The rest of the line: a path (which may hold spaces), [heap], or empty for anonymous memory. */
  path: string;
}

/** Parses one line of /proc/<pid>/maps; undefined for any other line (smaps' field lines). */
export function parseMapsLine(line: string): MapsLine | undefined {
  // start-end perms offset dev inode path
  const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+ *(.*)$/.exec(line);
  return m ? { start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[2]!, 16), perms: m[3]!, path: m[4]! } : undefined;
}

/**
 * The mappings of `file` in a /proc/<pid>/maps text. A file replaced while
 * mapped (a package upgrade under the running agent) shows as "<path> (deleted)".
 */
export function mappingsOf(maps: string, file: string): FileMapping[] {
  const out: FileMapping[] = [];
  for (const line of maps.split('\n')) {
    const m = parseMapsLine(line);
    if (!m || (m.path !== file && m.path !== `${file} (deleted)`)) continue;
    out.push({ start: m.start, end: m.end, executable: m.perms[2] === 'x' });
  }
  return out;
}

/**
 * Whether a fault in an executable mapping reads ahead whatever the advice:
 * Linux 6.16 ("mm/filemap: allow arch to request folio size for exec
 * memory") and later. `kernelRelease` is uname -r, e.g. "6.1.0-18-amd64".
 */
export function textReadsAheadDespiteAdvice(kernelRelease: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!m) return false;
  const major = Number(m[1]);
  return major > 6 || (major === 6 && Number(m[2]) >= 16);
}

/** Every other piece of [start, end): marking these splits the mapping into pieces of `piece` bytes. */
export function alternatePieces(start: number, end: number, piece: number): AddressRange[] {
  const out: AddressRange[] = [];
  for (let at = start + piece; at < end; at += 2 * piece) out.push({ start: at, end: Math.min(at + piece, end) });
  return out;
}

export interface AdviceResult {
  /** Mappings advised MADV_RANDOM, and their bytes. */
  mappings: number;
  bytes: number;
  /** Text mappings cut into pieces instead, and how many pieces they now are. */
  textMappings: number;
  textPieces: number;
}

/**
 * Advises random access on the running executable's mappings, and on kernels
 * that read ahead in text regardless, cuts its text into small mappings.
 * Without the native addon nothing changes (the addon's loader logs why,
 * once); a refused madvise is logged and the agent runs on with the disk's
 * readahead.
 */
export function adviseReadsOfExecutable(
  options: { log?: Logger; addon?: () => NativeAddon; maps?: () => string; executable?: string; kernelRelease?: string } = {},
): AdviceResult | undefined {
  const log = options.log ?? defaultLog;
  const executable = options.executable ?? process.execPath;
  let addon: NativeAddon;
  try {
    addon = (options.addon ?? (() => nativeAddon()))();
  } catch {
    return undefined;
  }
  const cutText = textReadsAheadDespiteAdvice(options.kernelRelease ?? release());
  const mappings = mappingsOf((options.maps ?? (() => readFileSync('/proc/self/maps', 'utf8')))(), executable);
  const result: AdviceResult = { mappings: 0, bytes: 0, textMappings: 0, textPieces: 0 };
  try {
    for (const { start, end, executable: text } of mappings) {
      if (text && cutText) {
        for (const piece of alternatePieces(start, end, TEXT_PIECE_BYTES)) addon.madvise(piece.start, piece.end - piece.start, MADV_DONTDUMP);
        result.textMappings++;
        result.textPieces += Math.ceil((end - start) / TEXT_PIECE_BYTES);
      } else {
        addon.madvise(start, end - start, MADV_RANDOM);
        result.mappings++;
        result.bytes += end - start;
      }
    }
  } catch (err) {
    log.warn("the executable's pages are read with the disk's readahead: madvise refused", { executable, err });
    return undefined;
  }
  log.debug('executable advised for small reads', { executable, ...result });
  return result;
}
