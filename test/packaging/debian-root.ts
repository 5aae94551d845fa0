/**
 * A Debian root file system for package tests, made once with debootstrap
 * from the Debian mirror apt is configured with (the Debian registry; nothing
 * else is downloaded) and cached under .cache/debian-root/. Tests work on
 * copies. Also: booting a copy with systemd-nspawn, and running commands in it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { procStatFields } from '../../scripts/bench/proc-usage.ts';
import { CACHE_DIR } from '../../scripts/lib/build.ts';
import { runProcess } from '../helpers/run.ts';
import { waitFor } from '../helpers/wait.ts';
import { withLock } from './build-once.ts';

/** systemd to boot, the runtime libraries of the executable, and nothing more. */
const INCLUDE = ['systemd', 'systemd-sysv', 'dbus', 'libstdc++6', 'procps'];

export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function osCodename(): string {
  const m = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'));
  if (!m?.[1]) throw new Error('/etc/os-release has no VERSION_CODENAME');
  return m[1];
}

/** The Debian mirror from apt's configuration (one-line or deb822 sources). */
function debianMirror(): string {
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`) : []),
  ];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const url = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text)?.[1];
    if (url && !url.includes('security')) return url;
  }
  throw new Error('no Debian mirror found in /etc/apt/sources.list(.d)');
}

/** Why a Debian root cannot be made here, or undefined. */
export function debianRootUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'debootstrap and chroot need root';
  if (!has('debootstrap')) return 'debootstrap is not installed (scripts/install-test-deps.sh installs it)';
  return undefined;
}

/** Why a Debian root cannot be made and booted here, or undefined. */
export function bootedRootUnavailable(): string | undefined {
  return (
    debianRootUnavailable() ??
    (has('systemd-nspawn') && has('unshare') && has('nsenter') ? undefined : 'systemd-nspawn, unshare and nsenter are needed (systemd-container, util-linux)')
  );
}

/** The cached pristine root; built on first use (about a minute). */
export async function ensureDebianRoot(): Promise<string> {
  const codename = osCodename();
  const root = path.join(CACHE_DIR, 'debian-root', `${codename}-${INCLUDE.join('_')}`);
  const done = `${root}.complete`;
  await withLock(path.join(CACHE_DIR, 'debian-root.lock'), async () => {
    if (existsSync(done)) return;
    rmSync(root, { recursive: true, force: true });
    const r = spawnSync('debootstrap', ['--variant=minbase', `--include=${INCLUDE.join(',')}`, codename, root, debianMirror()], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`debootstrap failed (${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    writeFileSync(done, new Date().toISOString());
  });
  return root;
}

/** A private writable copy of the cached root. */
export function copyRoot(pristine: string, target: string): void {
  execFileSync('cp', ['-a', '--reflink=auto', pristine, target]);
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(procStatFields(Number(entry))[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A Debian root booted with `systemd-nspawn --boot`, sharing the host's
 * network (a Pushgateway on the host's 127.0.0.1 is reachable). nspawn is
 * run with --keep-unit/--register=no (no host systemd or D-Bus needed) in a
 * private mount namespace whose /run/systemd/nspawn is a tmpfs (nspawn
 * refuses to clean up its propagation directory elsewhere). The container
 * keeps CAP_SYS_TIME: without it nspawn's own seccomp filter denies every
 * @clock system call, adjtimex(2) included, which no real host does; with it
 * the unit's own filter decides (the service itself has no capabilities).
 */
export class BootedRoot {
  readonly root: string;
  readonly machine: string;
  private nspawn: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private log = '';

  constructor(root: string, machine: string) {
    this.root = root;
    this.machine = machine;
  }

  output(): string {
    return this.log.slice(-4000);
  }

  /**
   * Boots, or says why this machine cannot boot the root (nothing of ours
   * runs yet, so a failure here is the machine's limit, not a test failure).
   */
  async bootOrReason(): Promise<string | undefined> {
    try {
      await this.boot();
      return undefined;
    } catch (err) {
      return `systemd-nspawn --boot of a Debian root does not work here: ${(err as Error).message.slice(0, 1500)}`;
    }
  }

  async boot(timeoutMs = 120_000): Promise<void> {
    const script = `mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && exec systemd-nspawn -D "$1" -M "$2" --boot --register=no --keep-unit --console=passive --capability=CAP_SYS_TIME`;
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', this.root, this.machine], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.nspawn = child;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let gone = false;
    void this.exited.then(() => (gone = true));
    await waitFor(
      `systemd in ${this.machine} to finish booting`,
      async () => {
        if (gone) throw new Error(`systemd-nspawn exited: ${this.output()}`);
        if (this.initPid() === undefined) return false;
        const state = (await this.exec(['systemctl', 'is-system-running'])).stdout.trim();
        return state === 'running' || state === 'degraded' ? state : false;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** PID (on the host) of the container's systemd. */
  initPid(): number | undefined {
    const pid = this.nspawn?.pid;
    return pid === undefined ? undefined : childPids(pid)[0];
  }

  exec(argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const pid = this.initPid();
    if (pid === undefined) return Promise.reject(new Error(`${this.machine} is not running`));
    return runProcess(
      'nsenter',
      [
        '-t',
        String(pid),
        '-m',
        '-u',
        '-i',
        '-p',
        '-r',
        '-w',
        'env',
        '-i',
        'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
        'LANG=C',
        'DEBIAN_FRONTEND=noninteractive',
        ...argv,
      ],
      { timeoutMs: options.timeoutMs ?? 120_000, input: options.input ?? '' },
    );
  }

  /** Runs a command that must succeed; its output otherwise in the error. */
  async must(argv: readonly string[]): Promise<string> {
    const r = await this.exec(argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${this.machine} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** `systemctl reboot`: nspawn exits with 133 and is started again, as systemd-nspawn@.service does. */
  async reboot(): Promise<void> {
    await this.exec(['systemctl', 'reboot']);
    const code = await this.exited;
    if (code !== 133) throw new Error(`systemd-nspawn exited ${code} on reboot, not 133: ${this.output()}`);
    await this.boot();
  }

  async shutdown(): Promise<void> {
    if (!this.nspawn || this.nspawn.exitCode !== null) return;
    await this.exec(['systemctl', 'poweroff'], { timeoutMs: 30_000 }).catch(() => undefined);
    const timer = setTimeout(() => this.nspawn?.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}
