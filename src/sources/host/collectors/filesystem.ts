import { FamilySet } from '../../../model/family.ts';
import type { Collector, CollectorContext, CollectorDefinition } from '../machinery/collector.ts';
import { DeviceFilter } from '../machinery/options.ts';
import { rootfsPath, stripRootfsPrefix } from '../machinery/paths.ts';
import type { MountInfo } from '../procfs/mountinfo.ts';
import { readHostMounts } from '../procfs/host-mounts.ts';
import {
  processStuckMounts,
  processThreadpoolLanes,
  statWithTimeout,
  THREADPOOL_STUCK_LIMIT,
  threadpoolStatfs,
  type Lanes,
  type StatfsFn,
  type StatOutcome,
  type StuckMounts,
} from '../machinery/filesystem-statfs.ts';
import { sharedStatfsPool } from '../machinery/statfs-worker-pool.ts';

const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$';

/**
 * Filesystem types whose statfs can block for as long as something outside
 * the kernel takes to answer, and forever when it is gone: network
 * filesystems (the server), cluster filesystems (the lock manager), FUSE (the
 * user-space daemon: fuse, fuseblk, fuse.<subtype>), host-shared folders of
 * VMs (the hypervisor) and automount points (statfs triggers the mount). Their
 * statfs runs on worker threads; every other type is local and uses libuv's
 * threadpool, which costs no thread of its own.
 */
export const HANG_PRONE_FS_TYPES =
  /^(nfs4?|cifs|smb3|smbfs|ncpfs?|afs|coda|ceph|glusterfs|lustre|gpfs|beegfs|orangefs|pvfs2|gfs2?|ocfs2|davfs|sshfs|9p|virtiofs|vboxsf|vmhgfs|autofs|fuse|fuseblk|fuse\..+)$/;

interface MountLabels {
  device: string;
  mountpoint: string;
  fstype: string;
  major: string;
  minor: string;
  readOnly: boolean;
}

function filterOf({ options }: CollectorContext, kind: 'mount-points' | 'fs-types', defaultExclude: string): DeviceFilter {
  const include = options.regex(`collector.filesystem.${kind}-include`);
  const exclude = options.string(`collector.filesystem.${kind}-exclude`);
  if (include) {
    // An include replaces the default exclude; an exclude given as well is a conflict.
    if (exclude !== defaultExclude && exclude !== '')
      throw new Error(`--collector.filesystem.${kind}-exclude and --collector.filesystem.${kind}-include are mutually exclusive`);
    return new DeviceFilter(include, undefined);
  }
  return new DeviceFilter(undefined, options.regex(`collector.filesystem.${kind}-exclude`));
}

function labelsOf(m: MountInfo, ctx: CollectorContext): MountLabels {
  const mm = /^(\d+):(\d+)/.exec(m.majorMinor);
  if (!mm) throw new Error(`malformed mount point MajorMinorVer: ${JSON.stringify(m.majorMinor)}`);
  // node_exporter undoes only these two of the kernel's octal escapes.
  const mountPoint = m.mountPoint.replaceAll('\\040', ' ').replaceAll('\\011', '\t');
  const readOnly = m.options.has('ro') || m.superOptions.has('ro') || m.superOptions.has('emergency_ro');
  return {
    device: m.source,
    mountpoint: stripRootfsPrefix(ctx.paths, mountPoint),
    fstype: m.fsType,
    major: String(Number(mm[1])),
    minor: String(Number(mm[2])),
    readOnly,
  };
}

/** Runs `fn` over `items` with at most `workers` in flight, keeping the order of results. */
async function mapPool<T, R>(items: readonly T[], workers: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  return out;
}

export interface FilesystemSeams {
  /** statfs for both paths below, for tests that do not care which thread it runs on. */
  statfs?: StatfsFn;
  /** statfs of local filesystem types on libuv's threadpool (default threadpoolStatfs). */
  threadpoolStatfs?: StatfsFn;
  /** statfs on worker threads, for HANG_PRONE_FS_TYPES and for local mounts once the threadpool has too many stuck calls (default: the process's worker pool). */
  isolatedStatfs?: StatfsFn;
  stuck?: StuckMounts;
  threadpoolLanes?: Lanes;
}

/** The filesystem collector; tests pass fake statfs functions (e.g. one that never answers) and their own stuck-mount memory. */
export function createFilesystemCollector(ctx: CollectorContext, seams: FilesystemSeams = {}): Collector {
  const threadpool = seams.threadpoolStatfs ?? seams.statfs ?? threadpoolStatfs;
  // Looked up per call: the pool (and its first worker) only comes into being for a mount that needs it.
  const isolated: StatfsFn = seams.isolatedStatfs ?? seams.statfs ?? ((p, call) => sharedStatfsPool().statfs(p, call));
  const stuck = seams.stuck ?? processStuckMounts;
  const lanes = seams.threadpoolLanes ?? processThreadpoolLanes;
  const { options, log, paths } = ctx;

  async function statMount(l: MountLabels, timeoutMs: number): Promise<StatOutcome> {
    const target = rootfsPath(paths, l.mountpoint);
    const onRecover = (): void => log.debug('Mount point has recovered, monitoring will resume', { mountpoint: l.mountpoint });
    if (!HANG_PRONE_FS_TYPES.test(l.fstype)) {
      const release = await lanes.acquire();
      try {
        if (stuck.onThreadpool < THREADPOOL_STUCK_LIMIT)
          return await statWithTimeout(threadpool, target, l.mountpoint, timeoutMs, stuck, { onRecover, onThreadpool: true });
        log.debug('Too many statfs calls stuck on the threadpool, using a worker thread', { mountpoint: l.mountpoint, stuck: stuck.onThreadpool });
      } finally {
        release();
      }
    }
    return statWithTimeout(isolated, target, l.mountpoint, timeoutMs, stuck, { onRecover });
  }

  return {
    async collect() {
      const mountPoints = filterOf(ctx, 'mount-points', DEFAULT_MOUNT_POINTS_EXCLUDE);
      const fsTypes = filterOf(ctx, 'fs-types', DEFAULT_FS_TYPES_EXCLUDE);
      const timeoutMs = options.durationSeconds('collector.filesystem.mount-timeout') * 1000;
      const workers = options.int('collector.filesystem.stat-workers');
      const mounts = (await readHostMounts(paths)).map((m) => labelsOf(m, ctx)).filter((l) => !mountPoints.ignored(l.mountpoint) && !fsTypes.ignored(l.fstype));
      const results = await mapPool(mounts, workers, async (l): Promise<[MountLabels, StatOutcome, boolean]> => {
        if (stuck.has(l.mountpoint)) {
          log.debug('Mount point is in an unresponsive state', { mountpoint: l.mountpoint });
          return [l, { ok: false, error: 'mountpoint timeout', timedOut: true }, true];
        }
        const outcome = await statMount(l, timeoutMs);
        if (!outcome.ok)
          log.debug(outcome.timedOut ? 'Mount point timed out, it is being labeled as stuck and will not be monitored' : 'Error on statfs() system call', {
            mountpoint: l.mountpoint,
            err: outcome.error,
          });
        return [l, outcome, false];
      });

      const out = new FamilySet();
      const seen = new Set<string>();
      for (const [l, outcome, wasStuck] of results) {
        const deviceError = outcome.ok ? '' : outcome.error;
        const labels = { device: l.device, mountpoint: l.mountpoint, fstype: l.fstype, device_error: deviceError };
        const key = JSON.stringify([labels, l.major, l.minor]);
        if (seen.has(key)) continue;
        seen.add(key);
        out.gauge('node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.', outcome.ok ? 0 : 1, labels);
        // A mount already known to be stuck is not looked at again, not even its options (node_exporter reports 0).
        out.gauge('node_filesystem_readonly', 'Filesystem read-only status.', l.readOnly && !wasStuck ? 1 : 0, labels);
        if (!outcome.ok) continue;
        const s = outcome.stats;
        out.gauge('node_filesystem_size_bytes', 'Filesystem size in bytes.', s.blocks * s.bsize, labels);
        out.gauge('node_filesystem_free_bytes', 'Filesystem free space in bytes.', s.bfree * s.bsize, labels);
        out.gauge('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', s.bavail * s.bsize, labels);
        out.gauge('node_filesystem_files', 'Filesystem total file nodes.', s.files, labels);
        out.gauge('node_filesystem_files_free', 'Filesystem total free file nodes.', s.ffree, labels);
        out.gauge('node_filesystem_mount_info', 'Filesystem mount information.', 1, {
          device: l.device,
          major: l.major,
          minor: l.minor,
          mountpoint: l.mountpoint,
        });
        // node_exporter 1.12 emits the macOS-only purgeable space as 0 on Linux too.
        out.gauge('node_filesystem_purgeable_bytes', 'Filesystem space available including purgeable space (MacOS specific).', 0, labels);
      }
      return out.toArray();
    },
  };
}

export const filesystem: CollectorDefinition = {
  name: 'filesystem',
  defaultEnabled: true,
  description: 'Exposes filesystem statistics, such as disk space used.',
  options: [
    {
      name: 'collector.filesystem.mount-points-exclude',
      kind: 'regex',
      default: DEFAULT_MOUNT_POINTS_EXCLUDE,
      help: 'Regexp of mount points to exclude for filesystem collector. (mutually exclusive to mount-points-include)',
    },
    {
      name: 'collector.filesystem.mount-points-include',
      kind: 'regex',
      default: '',
      help: 'Regexp of mount points to include for filesystem collector. (mutually exclusive to mount-points-exclude)',
    },
    {
      name: 'collector.filesystem.fs-types-exclude',
      kind: 'regex',
      default: DEFAULT_FS_TYPES_EXCLUDE,
      help: 'Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-include)',
    },
    {
      name: 'collector.filesystem.fs-types-include',
      kind: 'regex',
      default: '',
      help: 'Regexp of filesystem types to include for filesystem collector. (mutually exclusive to fs-types-exclude)',
    },
    {
      name: 'collector.filesystem.mount-timeout',
      kind: 'duration',
      default: '5s',
      min: '10ms',
      max: '5m',
      help: 'how long to wait for a mount to respond before marking it as stale',
    },
    { name: 'collector.filesystem.stat-workers', kind: 'int', default: 4, min: '1', max: '64', help: 'how many stat calls to process simultaneously' },
  ],
  create: (ctx) => createFilesystemCollector(ctx),
};
