/**
 * Small filesystems for queue-fault tests: root ignores file modes, so a
 * read-only or full directory needs a real mount (a tmpfs, read-only or small).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Why mount tests cannot run here, or false when they can. */
export const mountSkip: string | false =
  process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs (root ignores file modes, so only a mount makes a directory read-only or full)';

/** Mounts a fresh tmpfs of `size` (e.g. "256k") on a new directory, unmounted after the test. */
export function mountTmpfs(t: { after(fn: () => void): void }, size: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir]);
}
