/**
 * The packaging tests share one build of the executables per change of their
 * inputs: the first test file that needs them builds dist/ under a lock, the
 * others (and later runs) reuse it when dist/build-info.json still matches.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ARCHES, CACHE_DIR, DIST_DIR, binaryName, build, buildInputsDigest, packageVersion, readBuildInfo, type Arch } from '../../scripts/lib/build.ts';
import { waitFor } from '../helpers/wait.ts';

const LOCK = path.join(CACHE_DIR, 'build.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An exclusive lock across test processes; a lock left by a dead process is taken over. */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const fd = await waitFor(
    `lock ${lockFile}`,
    () => {
      try {
        return openSync(lockFile, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(readFileSync(lockFile, 'utf8') || 'NaN');
        if (Number.isInteger(holder) && !alive(holder)) rmSync(lockFile, { force: true });
        return undefined;
      }
    },
    { timeoutMs: 15 * 60_000, intervalMs: 200 },
  );
  try {
    writeSync(fd, String(process.pid));
    return await fn();
  } finally {
    closeSync(fd);
    rmSync(lockFile, { force: true });
  }
}

function upToDate(): boolean {
  const info = readBuildInfo();
  return (
    info !== undefined &&
    info.digest === buildInputsDigest() &&
    info.version === packageVersion() &&
    ARCHES.every((a) => info.arches.includes(a) && existsSync(path.join(DIST_DIR, binaryName(a))))
  );
}

/** dist/edgepush-linux-<arch> for every architecture, built from the current tree. */
export async function ensureBinaries(): Promise<Record<Arch, string>> {
  await withLock(LOCK, async () => {
    if (!upToDate()) await build({ log: (line) => process.stderr.write(`# build: ${line}\n`) });
  });
  return Object.fromEntries(ARCHES.map((a) => [a, path.join(DIST_DIR, binaryName(a))])) as Record<Arch, string>;
}
