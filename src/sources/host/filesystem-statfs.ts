/**
 * statfs(2) with a deadline, for the filesystem collector. A dead NFS or
 * FUSE mount can block statfs for minutes or forever; a blocked call cannot
 * be cancelled (it occupies one of libuv's threadpool threads until the
 * kernel returns), so:
 * - each call is raced against --collector.filesystem.mount-timeout and, when
 *   it loses, the mount is reported with node_filesystem_device_error=1;
 * - the mount is remembered as stuck while that call is pending, and no new
 *   call is made on it (node_exporter's stuckMounts), so collections never
 *   pile up blocked calls; when the call finally returns the mount is
 *   monitored again.
 * The statfs function is a parameter so tests can simulate a hang; the
 * agent's runs on worker threads (statfs-worker-pool.ts).
 */

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export type StatfsFn = (path: string) => Promise<StatfsResult>;

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

export function goErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && GO_ERRNO_TEXT[e.code]) return GO_ERRNO_TEXT[e.code]!;
  // Node's message is "CODE: description, syscall 'path'": keep the description.
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e?.message ?? '');
  return m ? m[1]! : String(e?.message ?? err);
}

/** Remembers mounts whose statfs is still pending after the timeout. One per process, like node_exporter's. */
export class StuckMounts {
  private readonly pending = new Map<string, Promise<unknown>>();

  has(mountPoint: string): boolean {
    return this.pending.has(mountPoint);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Marks the mount stuck until `call` settles. */
  hold(mountPoint: string, call: Promise<unknown>, onRecover: () => void): void {
    this.pending.set(mountPoint, call);
    const release = (): void => {
      if (this.pending.get(mountPoint) === call) this.pending.delete(mountPoint);
      onRecover();
    };
    call.then(release, release);
  }
}

export const processStuckMounts = new StuckMounts();

/**
 * statfs of `target` (the mount point under --path.rootfs), keyed in
 * `stuck` by `mountPoint`. Never waits more than `timeoutMs`.
 */
export async function statWithTimeout(statfs: StatfsFn, target: string, mountPoint: string, timeoutMs: number, stuck: StuckMounts, onRecover: () => void = () => {}): Promise<StatOutcome> {
  if (stuck.has(mountPoint)) return { ok: false, error: MOUNT_TIMEOUT_ERROR, timedOut: true };
  const call = statfs(target);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    // Not unref'd: this timer is what keeps the process alive while the (unref'd) statfs worker works.
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const winner = await Promise.race([call.then((stats) => ({ stats }), (error: unknown) => ({ error })), deadline]);
    if (winner === 'timeout') {
      stuck.hold(mountPoint, call, onRecover);
      return { ok: false, error: MOUNT_TIMEOUT_ERROR, timedOut: true };
    }
    if ('error' in winner) return { ok: false, error: goErrorText(winner.error), timedOut: false };
    return { ok: true, stats: winner.stats };
  } finally {
    clearTimeout(timer);
  }
}
