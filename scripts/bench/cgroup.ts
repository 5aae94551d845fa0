/**
 * Cgroups for the benchmarks and the fleet drill: a process measured the way
 * a box's systemd charges a service (memory, page cache included), or held
 * to a share of the CPU the way a small machine is (the drill's overloadable
 * receiver). Works on cgroup v1 (each controller's own hierarchy) and v2 (the
 * unified one, where this process's cgroup must delegate the controller to
 * its children); `cgroupSupport()` says which, or why neither can be used here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type Version = 'v1' | 'v2';
type Controller = 'memory' | 'cpu';

interface Support {
  version: Version;
  /** Where this process's children cgroups are made. */
  parent: string;
}

/** Where this process can make child cgroups with `controller`, or the reason it cannot. */
export function cgroupSupport(controller: Controller): Support | string {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find(([, controllers]) => controllers!.split(',').includes(controller));
  const v1Probe = controller === 'memory' ? 'memory.limit_in_bytes' : 'cpu.cfs_quota_us';
  if (v1 && existsSync(path.join('/sys/fs/cgroup', controller, v1Probe))) {
    return usable({ version: 'v1', parent: path.join('/sys/fs/cgroup', controller, v1[2]!) }, controller);
  }
  const v2 = lines.map((l) => l.split(':')).find(([id]) => id === '0');
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const parent = path.join('/sys/fs/cgroup', v2[2]!);
    if (!readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes(controller)) {
      return `cgroup v2: ${parent} does not delegate the ${controller} controller to its children (cgroup.subtree_control)`;
    }
    return usable({ version: 'v2', parent }, controller);
  }
  return `no ${controller} cgroup controller is mounted`;
}

/** The memory controller this process can make child cgroups under, or the reason it cannot. */
export function memoryCgroupSupport(): Support | string {
  return cgroupSupport('memory');
}

function usable(support: Support, controller: Controller): Support | string {
  const probe = path.join(support.parent, `edgepush-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return support;
  } catch (err) {
    return `cannot create a ${controller} cgroup under ${support.parent}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (run as root)`;
  }
}

/** A command line that joins the cgroup `dir` and then becomes `command` (same pid: signals reach the command). */
export function inCgroup(dir: string, command: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: 'sh', args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args] };
}

export interface CgroupUsage {
  /** Highest charge seen (memory.max_usage_in_bytes / memory.peak), page cache included. */
  peakBytes: number;
  oomKills: number;
  majorFaults: number;
  /** Page cache charged to the cgroup at the end. */
  fileBytes: number;
  anonBytes: number;
  /**
   * How often the charge reached the limit and the kernel had to reclaim
   * first (v1 memory.failcnt, v2 memory.events' "max"): how hard the limit
   * pressed, beside the major faults it cost.
   */
  limitHits: number;
}

let counter = 0;

/** A memory cgroup with a limit (undefined: none) that the processes it spawns start in. */
export class MemoryCgroup {
  readonly dir: string;
  private readonly version: Version;

  constructor(support: Support, limitBytes: number | undefined) {
    this.version = support.version;
    this.dir = path.join(support.parent, `edgepush-bench-${process.pid}-${++counter}`);
    mkdirSync(this.dir);
    if (limitBytes !== undefined) writeFileSync(path.join(this.dir, this.version === 'v1' ? 'memory.limit_in_bytes' : 'memory.max'), String(limitBytes));
    // No swap for the measured process: a box's budget is RAM.
    if (this.version === 'v2') writeFileSync(path.join(this.dir, 'memory.swap.max'), '0');
    else if (existsSync(path.join(this.dir, 'memory.swappiness'))) writeFileSync(path.join(this.dir, 'memory.swappiness'), '0');
  }

  /** Starts the command inside the cgroup (the shell joins it, then becomes the command). */
  spawn(command: string, args: readonly string[]): ChildProcess {
    const line = inCgroup(this.dir, command, args);
    return spawn(line.command, line.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  usage(): CgroupUsage {
    const stat = new Map(
      this.read('memory.stat')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string])
        .map(([k, v]) => [k, Number(v)] as const),
    );
    if (this.version === 'v1') {
      const oom = /^oom_kill (\d+)$/m.exec(this.read('memory.oom_control'));
      return {
        peakBytes: Number(this.read('memory.max_usage_in_bytes')),
        oomKills: Number(oom?.[1] ?? 0),
        majorFaults: stat.get('total_pgmajfault') ?? stat.get('pgmajfault') ?? NaN,
        fileBytes: stat.get('total_cache') ?? stat.get('cache') ?? NaN,
        anonBytes: stat.get('total_rss') ?? stat.get('rss') ?? NaN,
        limitHits: Number(this.read('memory.failcnt')),
      };
    }
    const events = this.read('memory.events');
    const event = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(events)?.[1] ?? 0);
    return {
      peakBytes: existsSync(path.join(this.dir, 'memory.peak')) ? Number(this.read('memory.peak')) : NaN,
      oomKills: event('oom_kill'),
      majorFaults: stat.get('pgmajfault') ?? NaN,
      fileBytes: stat.get('file') ?? NaN,
      anonBytes: stat.get('anon') ?? NaN,
      limitHits: event('max'),
    };
  }

  /** Removes the cgroup once its processes are gone. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // A process still exiting keeps it busy for a moment; the parent's cleanup is the kernel's.
    }
  }

  private read(file: string): string {
    return readFileSync(path.join(this.dir, file), 'utf8');
  }
}

export interface CpuUsage {
  /** CPU seconds the cgroup's processes used (cpuacct in v1 is another hierarchy: there, NaN). */
  cpuSeconds: number;
  /** Scheduler periods in which the cgroup used its whole quota and waited, and how long it waited. */
  throttledPeriods: number;
  periods: number;
  throttledSeconds: number;
}

const CPU_PERIOD_US = 100_000;

/** A CPU cgroup holding its processes to `cores` of CPU (a CFS quota), as on a machine that small. */
export class CpuCgroup {
  readonly dir: string;
  private readonly version: Version;

  constructor(support: Support, cores: number) {
    if (!(cores > 0)) throw new Error(`a CPU limit must be above 0 cores (got ${cores})`);
    this.version = support.version;
    this.dir = path.join(support.parent, `edgepush-cpu-${process.pid}-${++counter}`);
    mkdirSync(this.dir);
    const quotaUs = Math.max(1000, Math.round(cores * CPU_PERIOD_US));
    if (this.version === 'v1') {
      writeFileSync(path.join(this.dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeFileSync(path.join(this.dir, 'cpu.cfs_quota_us'), String(quotaUs));
    } else writeFileSync(path.join(this.dir, 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
  }

  usage(): CpuUsage {
    const stat = new Map(
      readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string])
        .map(([k, v]) => [k, Number(v)] as const),
    );
    return {
      cpuSeconds: this.version === 'v2' ? (stat.get('usage_usec') ?? NaN) / 1e6 : NaN,
      periods: stat.get('nr_periods') ?? NaN,
      throttledPeriods: stat.get('nr_throttled') ?? NaN,
      throttledSeconds: this.version === 'v2' ? (stat.get('throttled_usec') ?? NaN) / 1e6 : (stat.get('throttled_time') ?? NaN) / 1e9,
    };
  }

  /** Removes the cgroup once its processes are gone. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // A process still exiting keeps it busy for a moment.
    }
  }
}

/**
 * Evicts a file's pages from the page cache (posix_fadvise DONTNEED through
 * GNU dd), so the next start reads it from disk as after a boot.
 */
export function evictFromPageCache(file: string): void {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`dd iflag=nocache could not evict ${file}`);
}

/** The read_ahead_kb file of the block device that holds `file`, or undefined (overlay, tmpfs...). */
export function readaheadFileOf(file: string): string | undefined {
  const dev = statSync(file).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((Math.floor(dev / 4096) & ~0xff) >>> 0);
  let sys: string;
  try {
    sys = realpathSync(`/sys/dev/block/${major}:${minor}`);
  } catch {
    return undefined;
  }
  // A partition's queue is its disk's.
  const queue = existsSync(path.join(sys, 'partition')) ? path.join(path.dirname(sys), 'queue', 'read_ahead_kb') : path.join(sys, 'queue', 'read_ahead_kb');
  return existsSync(queue) ? queue : undefined;
}
