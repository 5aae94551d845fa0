/**
 * `npm test`: type-check and lint, then every test file under test/: first unit,
 * conformance and integration tests (against real peers) in one node:test
 * run, then the packaging tests (binary builds, xz, qemu, systemd) in a
 * second one, so their CPU-heavy builds don't starve the timing of
 * integration tests on a 2-core machine. Closes with one "N passed, N failed" line.
 * Pass file paths or globs to run only those: `npm test -- test/model`.
 */
import { spawnSync } from 'node:child_process';
import { globSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureAllPeers, REPO_ROOT } from './lib/peers.ts';
import { buildAddon, type NativeArch } from './lib/native.ts';

// As root (CI, a fresh machine), install the Debian tools the packaging tests
// need, so `npm ci && npm test` is the whole set-up; a no-op once installed.
if (process.getuid?.() === 0 && process.env['EDGEPUSH_SKIP_INSTALL'] !== '1') {
  const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-test-deps.sh')], { stdio: 'inherit' });
  if (install.status !== 0) console.error('warning: scripts/install-test-deps.sh failed; tests that need those tools will say skipped');
}

// Fetch the Debian test peers once, before test files run in parallel.
for (const r of ensureAllPeers()) if (r.error) console.error(`warning: test peer ${r.name} unavailable (its tests will say skipped): ${r.error}`);

const tsc = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', REPO_ROOT], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('tsc --noEmit failed');
  process.exit(tsc.status ?? 1);
}

// Formatting and lint rules (biome.json), then unused exports, files and dependencies (knip.json); `npm run fix` formats.
const lints: Array<[string, string[]]> = [
  ['biome check', [path.join(REPO_ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'check']],
  ['knip', [path.join(REPO_ROOT, 'node_modules', 'knip', 'bin', 'knip.js')]],
];
for (const [name, args] of lints) {
  const lint = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error(`${name} failed (npm run fix formats; other findings are for you to fix)`);
    process.exit(lint.status ?? 1);
  }
}

// The native addon the timex and tcpstat collectors load from the source tree.
try {
  buildAddon(process.arch as NativeArch, (line) => console.error(line));
} catch (err) {
  console.error(`warning: native addon not built (tests that need it will say skipped): ${(err as Error).message}`);
}

const requested = process.argv.slice(2);
const patterns = requested.length ? requested.map((p) => (p.endsWith('.ts') ? p : `${p.replace(/\/$/, '')}/**/*.test.ts`)) : ['test/**/*.test.ts'];
const files = [...new Set(patterns.flatMap((p) => globSync(p, { cwd: REPO_ROOT })))].sort();
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`);
  process.exit(1);
}
mkdirSync(path.join(REPO_ROOT, '.cache'), { recursive: true });
const isPackaging = (f: string): boolean => f.split(path.sep).includes('packaging') && f.startsWith('test');
const phases = [files.filter((f) => !isPackaging(f)), files.filter(isPackaging)].filter((p) => p.length > 0);
let passed = 0;
let failed = 0;
let skipped = 0;
let exitCode = 0;
// Per process: a second `npm test` in the same tree (a subset while the suite runs) must not count this one's results.
const tapFile = path.join(REPO_ROOT, '.cache', `test-phase-${process.pid}.tap`);
for (const phase of phases) {
  // The spec reporter goes to the terminal; a TAP copy is counted for the closing line.
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--no-warnings',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      '--test-reporter-destination=' + tapFile,
      `--test-concurrency=${process.env['EDGEPUSH_TEST_CONCURRENCY'] ?? 4}`,
      '--test-timeout=600000',
      ...phase,
    ],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  const tap = readFileSync(tapFile, 'utf8');
  rmSync(tapFile, { force: true });
  passed += Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
  failed += Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0) + Number(/^# cancelled (\d+)$/m.exec(tap)?.[1] ?? 0);
  skipped += Number(/^# skipped (\d+)$/m.exec(tap)?.[1] ?? 0);
  if (result.status !== 0) exitCode = result.status ?? 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(exitCode);
