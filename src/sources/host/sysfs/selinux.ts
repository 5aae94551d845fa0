/**
 * SELinux state as node_exporter reads it through go-selinux, without
 * libselinux: enabled when a writable selinuxfs is mounted (at
 * <sysfs>/fs/selinux, or found in /proc/self/mountinfo) and the process label
 * is not "kernel"; the current mode from <selinuxfs>/enforce; the configured
 * mode from /etc/selinux/config. Paths honour --path.sysfs/procfs/rootfs.
 */
import path from 'node:path';
import { readFile, statfs } from 'node:fs/promises';

/** go-selinux's modes. */
const ENFORCING = 1;
const PERMISSIVE = 0;
const DISABLED = -1;

const SELINUX_MAGIC = 0xf97cff8c;

export interface SelinuxPaths {
  sysfs: string;
  procfs: string;
  rootfs: string;
}

export type SelinuxState = { enabled: false } | { enabled: true; configMode: number; currentMode: number };

/** Whether `mnt` is a writable selinuxfs mount (the statfs magic, and no "ro" in its mount options). */
export type SelinuxfsCheck = (mnt: string, mountinfo: string | undefined) => Promise<boolean>;

const verifySelinuxfs: SelinuxfsCheck = async (mnt, mountinfo) => {
  try {
    if ((await statfs(mnt)).type !== SELINUX_MAGIC) return false;
  } catch {
    return false;
  }
  // Node's statfs has no mount flags: read-only-ness comes from mountinfo.
  for (const line of (mountinfo ?? '').split('\n')) {
    const f = line.split(' ');
    if (f[4] === mnt && (f[5] ?? '').split(',').includes('ro')) return false;
  }
  return true;
};

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The selinuxfs mount point, or undefined when SELinux is not available. */
export async function findSelinuxfs(paths: SelinuxPaths, check: SelinuxfsCheck = verifySelinuxfs): Promise<string | undefined> {
  const mountinfo = await readOptional(path.join(paths.procfs, 'self', 'mountinfo'));
  const fast = path.join(paths.sysfs, 'fs', 'selinux');
  if (await check(fast, mountinfo)) return fast;
  const filesystems = await readOptional(path.join(paths.procfs, 'filesystems'));
  if (!filesystems?.includes('\tselinuxfs\n')) return undefined;
  for (const line of (mountinfo ?? '').split('\n')) {
    if (!line.includes(' - selinuxfs ')) continue;
    const mnt = line.split(' ')[4];
    if (mnt !== undefined && (await check(mnt, mountinfo))) return mnt;
  }
  return undefined;
}

/** A value of /etc/selinux/config ("SELINUX=enforcing"), quotes stripped; "" when absent. */
export function selinuxConfigValue(config: string, key: string): string {
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq >= 0 && line.slice(0, eq) === key) return line.slice(eq + 1).replace(/^"+|"+$/g, '');
  }
  return '';
}

/** <selinuxfs>/enforce holds "0" or "1" (no newline); anything unreadable or unparsable is -1, as go-selinux. */
export function parseEnforce(text: string | undefined): number {
  return text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : DISABLED;
}

export async function readSelinuxState(paths: SelinuxPaths, check: SelinuxfsCheck = verifySelinuxfs): Promise<SelinuxState> {
  const mnt = await findSelinuxfs(paths, check);
  if (mnt === undefined) return { enabled: false };
  const label = (await readOptional(path.join(paths.procfs, 'self', 'attr', 'current')))?.replace(/\0$/, '') ?? '';
  if (label === 'kernel') return { enabled: false };
  const mode = selinuxConfigValue((await readOptional(path.join(paths.rootfs, 'etc', 'selinux', 'config'))) ?? '', 'SELINUX');
  return {
    enabled: true,
    configMode: mode === 'enforcing' ? ENFORCING : mode === 'permissive' ? PERMISSIVE : DISABLED,
    currentMode: parseEnforce(await readOptional(path.join(mnt, 'enforce'))),
  };
}
