/**
 * The packaging tests share one build of the executables per change of their
 * inputs: the first test file that needs them builds dist/ under a lock, the
 * others (and later runs) reuse it when dist/build-info.json still matches.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, globSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ARCHES, CACHE_DIR, DIST_DIR, binaryName, build, buildInputsDigest, packageVersion, upToDate, type Arch } from '../../scripts/lib/build.ts';
import { buildPackages, debName, rpmName, type Compression, type Format } from '../../scripts/lib/package.ts';
import { REPO_ROOT } from '../../scripts/lib/peers.ts';
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

/** dist/edgepush-linux-<arch> for every architecture, built from the current tree. */
export async function ensureBinaries(): Promise<Record<Arch, string>> {
  await withLock(LOCK, async () => {
    if (!upToDate()) await build({ log: (line) => process.stderr.write(`# build: ${line}\n`) });
  });
  return Object.fromEntries(ARCHES.map((a) => [a, path.join(DIST_DIR, binaryName(a))])) as Record<Arch, string>;
}

const PACKAGING_INPUTS = ['packaging/**/*', 'scripts/lib/package.ts', 'scripts/lib/manpage.ts', 'README.md'];

function packagingDigest(): string {
  const hash = createHash('sha256').update(buildInputsDigest());
  for (const f of PACKAGING_INPUTS.flatMap((p) => globSync(p, { cwd: REPO_ROOT })).sort()) {
    const full = path.join(REPO_ROOT, f);
    if (statSync(full).isFile()) hash.update(f).update('\0').update(readFileSync(full)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A package of the current tree, cached under .cache/test-packages/ until an
 * input changes. `version` other than package.json's builds the executable
 * again with that version (the upgrade tests install a newer package).
 */
export async function ensurePackage(format: Format, arch: Arch, options: { version?: string; compression?: Compression } = {}): Promise<string> {
  const version = options.version ?? packageVersion();
  const compression = options.compression ?? 'fast';
  const dir = path.join(CACHE_DIR, 'test-packages', packagingDigest(), `${version}-${compression}`);
  const file = path.join(dir, format === 'deb' ? debName(version, arch) : rpmName(version, arch));
  await ensureBinaries();
  mkdirSync(path.join(CACHE_DIR, 'test-packages'), { recursive: true });
  await withLock(path.join(CACHE_DIR, 'package.lock'), async () => {
    // Packages of earlier trees are of no further use (hundreds of MB each).
    const digest = packagingDigest();
    for (const old of readdirSync(path.join(CACHE_DIR, 'test-packages'), { withFileTypes: true })) {
      if (old.isDirectory() && old.name !== digest) rmSync(path.join(CACHE_DIR, 'test-packages', old.name), { recursive: true, force: true });
    }
    if (existsSync(file)) return;
    let binDir = DIST_DIR;
    if (version !== packageVersion()) {
      binDir = path.join(CACHE_DIR, 'test-packages', packagingDigest(), `bin-${version}`);
      if (!existsSync(path.join(binDir, binaryName(arch)))) await build({ arches: [arch], version, outDir: binDir, log: () => {} });
    }
    buildPackages({
      arches: [arch],
      formats: [format],
      version,
      binDir,
      outDir: dir,
      compression,
      log: (line) => process.stderr.write(`# package: ${line}\n`),
    });
  });
  return file;
}
