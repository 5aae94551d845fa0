/**
 * Gives the free memory inside glibc's malloc arenas back to the kernel after
 * each cycle. A cycle allocates and frees buffers outside V8's heap (sockets,
 * gzip, file reads, some on libuv's threads, each with its own arena); glibc
 * returns only an arena's free top, so the free pages between live chunks
 * stayed resident: ~9 MiB of the agent's ~37 MiB of anonymous memory
 * (issue 13; `npm run bench -- memory`). Without the native addon nothing
 * happens (its loader logs why, once).
 */
import { nativeAddon, type NativeAddon } from './sources/host/machinery/native.ts';

/** True when memory was released; false when there was none or the addon is missing. */
export function trimMallocArenas(addon: () => NativeAddon = () => nativeAddon()): boolean {
  let loaded: NativeAddon;
  try {
    loaded = addon();
  } catch {
    return false;
  }
  return loaded.mallocTrim();
}
