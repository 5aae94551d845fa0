/**
 * How the kernel reads the executable's own pages. The single executable is a
 * ~110 MB file of which the agent uses ~10 MiB, scattered; on a page fault the
 * kernel reads the disk's readahead around the page (128 KB usually, 8 MB on
 * some virtual disks, eMMC and RAID devices), and all of it is charged to the
 * agent's memory cgroup. With 8 MB, every fault filled the cgroup with pages
 * nobody maps and evicted the mapped ones: the agent thrashed under a limit
 * it otherwise fits in. madvise(MADV_RANDOM) on the executable's mappings
 * makes a fault read the one page it needs (issue 13; `npm run bench -- memory`).
 */
import { readFileSync } from 'node:fs';
import { log as defaultLog, type Logger } from './log.ts';
import { nativeAddon, type NativeAddon } from './sources/host/machinery/native.ts';

/** Linux's advice numbers (asm-generic/mman-common.h: the same on x64 and arm64). */
const MADV_RANDOM = 1;

export interface FileMapping {
  start: number;
  end: number;
}

/**
 * The mappings of `file` in a /proc/<pid>/maps text. A file replaced while
 * mapped (a package upgrade under the running agent) shows as "<path> (deleted)".
 */
export function mappingsOf(maps: string, file: string): FileMapping[] {
  const out: FileMapping[] = [];
  for (const line of maps.split('\n')) {
    // start-end perms offset dev inode path; the path is the rest of the line and may hold spaces.
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+ +(.+)$/.exec(line);
    if (!m || (m[3] !== file && m[3] !== `${file} (deleted)`)) continue;
    out.push({ start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[2]!, 16) });
  }
  return out;
}

export interface AdviceResult {
  mappings: number;
  bytes: number;
}

/**
 * Advises random access on every mapping of the running executable. Without
 * the native addon nothing changes (the addon's loader logs why, once); a
 * refused madvise is logged and the agent runs on with the disk's readahead.
 */
export function adviseRandomReadsOfExecutable(
  options: { log?: Logger; addon?: () => NativeAddon; maps?: () => string; executable?: string } = {},
): AdviceResult | undefined {
  const log = options.log ?? defaultLog;
  const executable = options.executable ?? process.execPath;
  let addon: NativeAddon;
  try {
    addon = (options.addon ?? (() => nativeAddon()))();
  } catch {
    return undefined;
  }
  const mappings = mappingsOf((options.maps ?? (() => readFileSync('/proc/self/maps', 'utf8')))(), executable);
  let bytes = 0;
  try {
    for (const { start, end } of mappings) {
      addon.madvise(start, end - start, MADV_RANDOM);
      bytes += end - start;
    }
  } catch (err) {
    log.warn("the executable's pages are read with the disk's readahead: madvise refused", { executable, err });
    return undefined;
  }
  log.debug('executable advised for random reads', { executable, mappings: mappings.length, bytes });
  return { mappings: mappings.length, bytes };
}
