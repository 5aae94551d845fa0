/**
 * statfs(2) with a deadline, for the filesystem collector. A dead NFS or
 * FUSE mount can block statfs for minutes or forever, and a blocked call
 * cannot be cancelled: it holds the thread it runs on until the kernel
 * returns. So:
 * - each call is raced against --collector.filesystem.mount-timeout and, when
 *   it loses, the mount is reported with node_filesystem_device_error=1;
 * - the mount is remembered as stuck while that call is pending, and no new
 *   call is made on it (node_exporter's stuckMounts), so collections never
 *   pile up blocked calls; when the call finally returns the mount is
 *   monitored again.
 * Which thread a call runs on is the collector's choice (filesystem.ts): mounts
 * of local filesystem types use libuv's threadpool (threadpoolStatfs), mounts
 * that may hang use the worker pool (statfs-worker-pool.ts), and StuckMounts
 * counts the stuck threadpool calls so that the collector can stop using the
 * threadpool before statfs pins all of its threads. The statfs function is a
 * parameter so tests can simulate a hang.
 */
import { statfs as nodeStatfs } from 'node:fs/promises';
import { startTimer, type Timer } from '../../../timer.ts';

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** What the caller tells a StatfsFn about its call. */
interface StatfsCall {
  /** The caller's deadline for the statfs itself: the worker pool sizes its stall threshold from it. */
  timeoutMs?: number;
  /**
   * For a statfs that queues calls (the worker pool): called at once with a
   * promise that resolves when the call is handed to a thread that is ready
   * to run it. The caller's deadline starts then, so waiting for a worker
   * isolate to start, which on a busy box can take longer than the mount
   * timeout, is not charged to the mount.
   */
  onQueued?: (started: Promise<void>) => void;
}

export type StatfsFn = (path: string, call?: StatfsCall) => Promise<StatfsResult>;

/** statfs on libuv's threadpool, converted as the worker pool converts it (bigint counts, then numbers). */
export const threadpoolStatfs: StatfsFn = async (path) => {
  const s = await nodeStatfs(path, { bigint: true });
  return { bsize: Number(s.bsize), blocks: Number(s.blocks), bfree: Number(s.bfree), bavail: Number(s.bavail), files: Number(s.files), ffree: Number(s.ffree) };
};

export type StatOutcome = { ok: true; stats: StatfsResult } | { ok: false; error: string; timedOut: boolean };

/** node_exporter's device_error label for a mount that did not answer in time. */
export const MOUNT_TIMEOUT_ERROR = 'mountpoint timeout';

/** Go's syscall.Errno texts, which node_exporter puts in the device_error label. */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENOTCONN: 'transport endpoint is not connected',
  ESTALE: 'stale NFS file handle',
  ENODEV: 'no such device',
  ENXIO: 'no such device or address',
  ETIMEDOUT: 'connection timed out',
  EHOSTDOWN: 'host is down',
  EHOSTUNREACH: 'no route to host',
  EOVERFLOW: 'value too large for defined data type',
  ENOSYS: 'function not implemented',
  EINTR: 'interrupted system call',
};

function goErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && GO_ERRNO_TEXT[e.code]) return GO_ERRNO_TEXT[e.code]!;
  // Node's message is "CODE: description, syscall 'path'": keep the description.
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e?.message ?? '');
  return m ? m[1]! : String(e?.message ?? err);
}

/** Remembers mounts whose statfs is still pending after the timeout. One per process, like node_exporter's. */
export class StuckMounts {
  private readonly pending = new Map<string, { call: Promise<unknown>; onThreadpool: boolean }>();

  has(mountPoint: string): boolean {
    return this.pending.has(mountPoint);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Stuck calls that are holding one of libuv's threadpool threads. */
  get onThreadpool(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.onThreadpool) n++;
    return n;
  }

  /** Marks the mount stuck until `call` settles. */
  hold(mountPoint: string, call: Promise<unknown>, onRecover: () => void, onThreadpool = false): void {
    this.pending.set(mountPoint, { call, onThreadpool });
    const release = (): void => {
      if (this.pending.get(mountPoint)?.call === call) this.pending.delete(mountPoint);
      onRecover();
    };
    call.then(release, release);
  }
}

export const processStuckMounts = new StuckMounts();

/**
 * Bounds on statfs's use of libuv's threadpool, which has 4 threads (the
 * agent leaves UV_THREADPOOL_SIZE alone) shared with DNS lookups, zlib and
 * every async file read. Local mounts use the threadpool while fewer than
 * THREADPOOL_STUCK_LIMIT threadpool calls are stuck, with at most
 * THREADPOOL_STATFS_LANES of them running at once; past the limit they move to
 * worker threads too. So at worst (THREADPOOL_STUCK_LIMIT - 1) stuck calls plus
 * THREADPOOL_STATFS_LANES running calls hang: 3 threads, and statfs can never
 * pin all four; a limit of 1 would send local mounts to a worker (an isolate
 * of ~8 MiB) after a single slow disk.
 */
export const THREADPOOL_STUCK_LIMIT = 2;
export const THREADPOOL_STATFS_LANES = 2;

/** At most `size` holders at a time; the others wait their turn in order. */
export class Lanes {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves with the function that gives the lane back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Process-wide, like the threadpool it guards. */
export const processThreadpoolLanes = new Lanes(THREADPOOL_STATFS_LANES);

export interface StatCallOptions {
  /** Called when a call that timed out finally returns. */
  onRecover?: () => void;
  /** Whether `statfs` runs on libuv's threadpool (counted in StuckMounts.onThreadpool while stuck). */
  onThreadpool?: boolean;
}

/**
 * statfs of `target` (the mount point under --path.rootfs), keyed in
 * `stuck` by `mountPoint`. Never waits more than `timeoutMs` once the call
 * runs (a queued call's wait for its thread is the queue's to bound).
 */
export async function statWithTimeout(
  statfs: StatfsFn,
  target: string,
  mountPoint: string,
  timeoutMs: number,
  stuck: StuckMounts,
  options: StatCallOptions = {},
): Promise<StatOutcome> {
  if (stuck.has(mountPoint)) return { ok: false, error: MOUNT_TIMEOUT_ERROR, timedOut: true };
  let started: Promise<void> | undefined;
  const call = statfs(target, { timeoutMs, onQueued: (s) => (started = s) });
  let timer: Timer | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    const start = (): void => {
      // Not unref'd: while the call runs, this timer keeps the process alive (the pool does while it is queued).
      timer = startTimer(() => resolve('timeout'), timeoutMs);
    };
    if (started) void started.then(start);
    else start();
  });
  try {
    const winner = await Promise.race([
      call.then(
        (stats) => ({ stats }),
        (error: unknown) => ({ error }),
      ),
      deadline,
    ]);
    if (winner === 'timeout') {
      stuck.hold(mountPoint, call, options.onRecover ?? (() => {}), options.onThreadpool);
      return { ok: false, error: MOUNT_TIMEOUT_ERROR, timedOut: true };
    }
    if ('error' in winner) return { ok: false, error: goErrorText(winner.error), timedOut: false };
    return { ok: true, stats: winner.stats };
  } finally {
    timer?.clear();
  }
}
