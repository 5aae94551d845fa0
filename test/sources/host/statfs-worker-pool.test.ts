import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { StatfsWorkerPool } from '../../../src/sources/host/statfs-worker-pool.ts';
import { StuckMounts, statWithTimeout } from '../../../src/sources/host/filesystem-statfs.ts';

test('the worker pool answers statfs like fs.statfsSync and reuses idle workers', async () => {
  const pool = new StatfsWorkerPool();
  const stuck = new StuckMounts();
  const first = await statWithTimeout(pool.statfs, '/', '/', 5000, stuck);
  assert.ok(first.ok);
  const s = statfsSync('/');
  assert.equal(first.stats.blocks, s.blocks);
  assert.equal(first.stats.bsize, s.bsize);
  await statWithTimeout(pool.statfs, '/', '/', 5000, stuck);
  assert.equal(pool.workersCreated, 1, 'an idle worker is reused');
  await Promise.all([pool.statfs('/'), pool.statfs('/'), pool.statfs('/')]);
  assert.equal(pool.workersCreated, 3, 'concurrent calls get a worker each');
});

test('statfs errors from a worker keep their errno and read as Go prints them', async () => {
  const pool = new StatfsWorkerPool();
  const outcome = await statWithTimeout(pool.statfs, '/nonexistent/edgepush', '/nonexistent/edgepush', 5000, new StuckMounts());
  assert.deepEqual(outcome, { ok: false, error: 'no such file or directory', timedOut: false });
});
