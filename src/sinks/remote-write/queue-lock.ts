/**
 * The lock of a queue directory: two writers would interleave records, so a
 * second queue on the same directory is refused, whether it is in another
 * process or in this one.
 *
 * Why not flock: Node's standard library has no flock or fcntl, and a native
 * addon would be a build step on every target. Why not a bare pid: after a
 * crash the pid in a stale lock may be reused by any live process (an sshd,
 * a shell), and the queue would stay refused until someone deletes the file.
 * So the lock names its holder by what the kernel never gives two processes:
 * the pid, the process's start time (clock ticks since boot, field 22 of
 * /proc/<pid>/stat) and the boot id. A lock is honoured only while a process
 * with that pid and that start time runs in that boot, which can only be the
 * edgepush that wrote it; anything else is stale and taken over. Only where
 * /proc cannot be read does the pid alone decide.
 *
 * Two processes taking over the same stale lock at the same instant could
 * both succeed (there is no atomic compare-and-replace of a file); that needs
 * two agents started together on one state directory, which the package
 * never does.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readBootId } from '../../restart-backoff.ts';

const LOCK_FILE = 'lock';

interface Holder {
  pid: number;
  /** Start time in clock ticks since boot; undefined when /proc could not tell. */
  start?: string;
  boot?: string;
}

/** Directories whose lock this process holds: a second queue here is refused without looking at the file. */
const heldHere = new Set<string>();

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function self(): Holder {
  const start = processStartTime(process.pid);
  return start === undefined ? { pid: process.pid } : { pid: process.pid, start, boot: readBootId() };
}

/** Reads the holder a lock file names; undefined when it names none (garbled, or written before start times were recorded). */
function readHolder(file: string): Holder | undefined {
  const text = readFileSync(file, 'utf8').trim();
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (Number.isSafeInteger(h.pid) && h.pid! > 0)
      return { pid: h.pid!, ...(typeof h.start === 'string' ? { start: h.start } : {}), ...(typeof h.boot === 'string' ? { boot: h.boot } : {}) };
  } catch {
    // Not JSON: a bare pid, as versions before this one wrote.
  }
  const pid = Number(text);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid } : undefined;
}

/** Whether `holder` is a live process other than this one, as far as this machine can prove. */
function holderAlive(holder: Holder, me: Holder): boolean {
  if (me.start === undefined) return holder.pid !== process.pid && processAlive(holder.pid);
  // A bare pid proves nothing once pids can be told apart: it is a leftover of an older version.
  if (holder.start === undefined || holder.boot !== me.boot) return false;
  // Our own pid and start time, but not in heldHere: a queue of ours that failed to open, never released.
  if (holder.pid === process.pid) return false;
  return processStartTime(holder.pid) === holder.start;
}

export class QueueLock {
  readonly file: string;
  private readonly dir: string;
  private released = false;

  private constructor(dir: string) {
    this.dir = dir;
    this.file = path.join(dir, LOCK_FILE);
  }

  /** Takes the lock of `dir` (which must exist), or throws naming who holds it. */
  static acquire(dir: string): QueueLock {
    const key = path.resolve(dir);
    if (heldHere.has(key)) throw new Error(`disk queue ${dir} is already open in this process`);
    const lock = new QueueLock(key);
    const me = self();
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(lock.file, JSON.stringify(me) + '\n', { flag: 'wx' });
        heldHere.add(key);
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const holder = readHolder(lock.file);
      if (holder && holderAlive(holder, me)) {
        throw new Error(`disk queue ${dir} is in use by process ${holder.pid} (${lock.file}); is another edgepush running with the same state directory?`);
      }
      rmSync(lock.file, { force: true });
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.dir);
    try {
      rmSync(this.file, { force: true });
    } catch {
      // A directory gone read-only: the file names this process, which its next try here takes over.
    }
  }
}
