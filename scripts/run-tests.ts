/**
 * `npm test`: type-check, then every test file under test/ (unit, conformance,
 * integration against real peers, packaging) in one node:test run.
 * Pass file paths or globs to run only those: `npm test -- test/model`.
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './lib/peers.ts';

const tsc = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', REPO_ROOT], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('tsc --noEmit failed');
  process.exit(tsc.status ?? 1);
}

const requested = process.argv.slice(2);
const patterns = requested.length ? requested.map((p) => (p.endsWith('.ts') ? p : `${p.replace(/\/$/, '')}/**/*.test.ts`)) : ['test/**/*.test.ts'];
const files = [...new Set(patterns.flatMap((p) => globSync(p, { cwd: REPO_ROOT })))].sort();
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--no-warnings', '--test-reporter=spec', `--test-concurrency=${process.env['EDGEPUSH_TEST_CONCURRENCY'] ?? 4}`, '--test-timeout=600000', ...files],
  { cwd: REPO_ROOT, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
