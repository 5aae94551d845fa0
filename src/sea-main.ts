/**
 * The single executable's main script: the read advice on the executable
 * (src/executable-pages.ts) first, then the agent's bundle, kept in the
 * executable as a SEA asset, compiled and run. Node.js compiles the main
 * script before running any of it, and compiling the whole 0.8 MB bundle
 * faulted in V8's compiler and Node.js's modules with the disk's readahead:
 * in a 48 MiB cgroup at 8 MB readahead, the advice came 1.3 to 9.2 s after
 * execve, where Node.js alone starts in 0.8 s (issue 13, ninth round). This
 * script is a few kB, so the advice comes before the bundle is compiled.
 * Never run from the source tree (scripts/lib/build.ts makes it the main).
 */
import { getAsset } from 'node:sea';
import { createRequire } from 'node:module';
import path from 'node:path';
import { compileFunction } from 'node:vm';
import { adviseReadsOfExecutable } from './executable-pages.ts';
import { BUNDLE_ASSET } from './sea-bundle-asset.ts';

adviseReadsOfExecutable();
// UTF-8: the bundle keeps a few non-ASCII characters of its string literals.
const source = new TextDecoder().decode(getAsset(BUNDLE_ASSET));
const filename = path.join(path.dirname(process.execPath), BUNDLE_ASSET);
const main = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
const bundleModule = { exports: {} };
// The bundle requires only Node.js's own modules; createRequire gives it a require that has them.
main(bundleModule.exports, createRequire(process.execPath), bundleModule, filename, path.dirname(filename));
