/**
 * `npm run bench`: runs every scripts/bench/*.bench.ts in turn, each in its own
 * process (so one benchmark's heap and RSS don't colour another's), and prints
 * their reports. `npm run bench -- host` runs only the files whose name contains "host".
 * A benchmark file prints its own report lines (figures as ratios to the peer
 * measured in the same run) and exits 0, or exits non-zero with a reason.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file.replace(/\.bench\.ts$/, '')} ==`);
  const r = spawnSync(process.execPath, ['--no-warnings', '--expose-gc', path.join(dir, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`(${file} failed with exit code ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
