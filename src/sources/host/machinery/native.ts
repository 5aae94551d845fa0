/**
 * The native addon (native/edgepush.c): the system calls Node.js has no
 * binding for (adjtimex(2), netlink sock_diag, a generic netlink request,
 * btrfs ioctls, madvise(2), malloc_trim(3)), for the timex, tcpstat, qdisc,
 * wifi and btrfs collectors, the executable's read advice
 * (src/executable-pages.ts) and the trim after each cycle (src/malloc-trim.ts).
 *
 * Why an N-API addon of our own rather than an FFI package: two small calls
 * need ~190 lines of C, built from source in this repository with Debian's
 * gcc and its aarch64 cross compiler, reproducibly; an FFI (koffi) would add
 * a prebuilt binary of ~2 MB per architecture from the npm registry and
 * describe kernel structs' layouts in JavaScript, which is where mistakes hide.
 *
 * Where the addon comes from, first found:
 *  1. EDGEPUSH_NATIVE_ADDON, a path (tests; a packager's own build). When set,
 *     nothing else is tried.
 *  2. Inside the executable: the SEA asset for this architecture, written to a
 *     private temporary file, loaded, and deleted (the mapping stays). A
 *     noexec /tmp makes loading fail there, so the state directory is tried next.
 *  3. From source: .cache/native/edgepush-<arch>.node, which `npm test` and
 *     `npm run build` compile (scripts/lib/native.ts).
 * Where none loads, the collectors that need it report no data and the reason
 * is logged once; every other collector runs.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getAsset, isSea } from 'node:sea';
import { createLogger, type Logger } from '../../../log.ts';
import { NoDataError } from '../kernel-files/no-data.ts';

/** adjtimex(2)'s struct timex with modes 0, and its return value (the clock state). */
export interface Timex {
  state: number;
  offset: number;
  freq: number;
  maxerror: number;
  esterror: number;
  status: number;
  constant: number;
  precision: number;
  tolerance: number;
  tick: number;
  ppsfreq: number;
  jitter: number;
  shift: number;
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  tai: number;
}

/** Every TCP socket of one address family: counts indexed by TCP state, and queue sums. */
export interface TcpSockets {
  byState: number[];
  rqueue: number;
  wqueue: number;
}

/** BTRFS_IOC_FS_INFO's answer. */
interface BtrfsFsInfo {
  maxId: number;
  numDevices: number;
  fsid: Buffer;
}

/** BTRFS_IOC_DEV_INFO's answer for one device id. */
interface BtrfsDevInfo {
  uuid: Buffer;
  bytesUsed: number;
  totalBytes: number;
  path: string;
}

export interface NativeAddon {
  adjtimex(): Timex;
  tcpSockets(family: 2 | 10): TcpSockets;
  /** One netlink request (NLM_F_REQUEST | flags); the reply messages, headers included. Errors carry the errno's name as code. */
  netlinkRequest(protocol: number, type: number, flags: number, payload: Buffer): Buffer[];
  btrfsFsInfo(fd: number): BtrfsFsInfo;
  /** Throws with code ENODEV for an id no device has. */
  btrfsDevInfo(fd: number, devid: number): BtrfsDevInfo;
  /** The device's error counters: write, read, flush, corruption, generation. */
  btrfsDevStats(fd: number, devid: number): number[];
  /** madvise(2) on [start, start + length) with Linux's advice number; throws with the errno's name as code. */
  madvise(start: number, length: number, advice: number): void;
  /** glibc's malloc_trim(0): true when memory was given back to the kernel. */
  mallocTrim(): boolean;
}

export const ADDON_ENV = 'EDGEPUSH_NATIVE_ADDON';

/** The SEA asset's name, and the source tree's build output's file name. */
export function addonFileName(arch: string = process.arch): string {
  return `edgepush-${arch}.node`;
}

/** What goes missing without the addon (said once in the log). */
const NEEDS_ADDON =
  "the timex, tcpstat, qdisc and wifi collectors report no data, btrfs no per-device error counters, and the executable's pages are read with the disk's readahead";

/**
 * The load, shared by the executable's two scripts (src/sea-main.ts, which
 * advises the executable's pages with it, and the agent's bundle): each has
 * its own copy of this module, and the addon is extracted and loaded once.
 */
const LOADED = Symbol.for('edgepush.native-addon');
type Loaded = { addon: NativeAddon } | { error: string };
const shared = globalThis as { [LOADED]?: Loaded };

/**
 * The addon, loaded on first use. Throws NoDataError when it cannot be
 * loaded: the first time, the reason is logged as one warning.
 */
export function nativeAddon(log?: Logger): NativeAddon {
  // Called every cycle (the trim, the collectors): the logger is made only for the one load.
  let loaded = shared[LOADED];
  if (!loaded) {
    try {
      loaded = { addon: loadAddon() };
    } catch (err) {
      loaded = { error: (err as Error).message };
      (log ?? createLogger({ source: 'host' })).warn(`native addon not loaded: ${NEEDS_ADDON}`, { err: loaded.error });
    }
    shared[LOADED] = loaded;
  }
  if ('error' in loaded) throw new NoDataError(`native addon not loaded: ${loaded.error}`);
  return loaded.addon;
}

/** Forgets the loaded addon (tests load it again under another environment). */
export function resetNativeAddon(): void {
  delete shared[LOADED];
}

function loadAddon(): NativeAddon {
  const override = process.env[ADDON_ENV];
  if (override !== undefined && override !== '') return dlopen(override);
  if (isSea()) return loadEmbedded();
  const built = sourceTreeBuild();
  if (built === undefined || !existsSync(built)) throw new Error(`${built ?? addonFileName()} is not built (npm test or npm run build compiles it)`);
  return dlopen(built);
}

function dlopen(file: string): NativeAddon {
  const module = { exports: {} as NativeAddon };
  process.dlopen(module, file);
  return module.exports;
}

function loadEmbedded(): NativeAddon {
  const name = addonFileName();
  let bytes: ArrayBuffer;
  try {
    bytes = getAsset(name);
  } catch {
    throw new Error(`this executable embeds no ${name}`);
  }
  const failures: string[] = [];
  const dirs = [os.tmpdir(), process.env['STATE_DIRECTORY']?.split(':')[0]].filter((d): d is string => d !== undefined && d !== '');
  for (const dir of dirs) {
    let privateDir: string | undefined;
    try {
      privateDir = mkdtempSync(path.join(dir, 'edgepush-native-'));
      const file = path.join(privateDir, name);
      writeFileSync(file, new Uint8Array(bytes), { mode: 0o500 });
      return dlopen(file);
    } catch (err) {
      failures.push(`${dir}: ${(err as Error).message}`);
    } finally {
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
    }
  }
  throw new Error(`the embedded ${name} could not be loaded from ${failures.join('; ')}`);
}

/** .cache/native/ of the source tree; undefined inside a bundle (no module URL there). */
function sourceTreeBuild(): string | undefined {
  const url = import.meta.url as string | undefined;
  if (!url) return undefined;
  return path.join(path.dirname(fileURLToPath(url)), '..', '..', '..', '..', '.cache', 'native', addonFileName());
}
