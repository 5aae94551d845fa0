/**
 * Memory cgroups for the benchmarks: a process measured the way a box's
 * systemd charges a service, page cache included. Works on cgroup v1 (the
 * memory controller's own hierarchy) and v2 (the unified one, where this
 * process's cgroup must delegate the memory controller to its children);
 * `memoryCgroupSupport()` says which, or why neither can be used here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type Version = 'v1' | 'v2';

interface Support {
  version: Version;
  /** Where this process's children cgroups are made. */
  parent: string;
}

/** The memory controller this process can make child cgroups under, or the reason it cannot. */
export function memoryCgroupSupport(): Support | string {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find(([, controllers]) => controllers!.split(',').includes('memory'));
  if (v1 && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
    return usable({ version: 'v1', parent: path.join('/sys/fs/cgroup/memory', v1[2]!) });
  }
  const v2 = lines.map((l) => l.split(':')).find(([id]) => id === '0');
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const parent = path.join('/sys/fs/cgroup', v2[2]!);
    if (!readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory')) {
      return `cgroup v2: ${parent} does not delegate the memory controller to its children (cgroup.subtree_control)`;
    }
    return usable({ version: 'v2', parent });
  }
  return 'no memory cgroup controller is mounted';
}

function usable(support: Support): Support | string {
  const probe = path.join(support.parent, `edgepush-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return support;
  } catch (err) {
    return `cannot create a memory cgroup under ${support.parent}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (run as root)`;
  }
}

export interface CgroupUsage {
  /** Highest charge seen (memory.max_usage_in_bytes / memory.peak), page cache included. */
  peakBytes: number;
  oomKills: number;
  majorFaults: number;
  /** Page cache charged to the cgroup at the end. */
  fileBytes: number;
  anonBytes: number;
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
    return spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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
      };
    }
    const events = /^oom_kill (\d+)$/m.exec(this.read('memory.events'));
    return {
      peakBytes: existsSync(path.join(this.dir, 'memory.peak')) ? Number(this.read('memory.peak')) : NaN,
      oomKills: Number(events?.[1] ?? 0),
      majorFaults: stat.get('pgmajfault') ?? NaN,
      fileBytes: stat.get('file') ?? NaN,
      anonBytes: stat.get('anon') ?? NaN,
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
