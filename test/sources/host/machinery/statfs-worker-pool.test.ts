import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StatfsWorkerPool } from '../../../../src/sources/host/machinery/statfs-worker-pool.ts';
import { StuckMounts, statWithTimeout } from '../../../../src/sources/host/machinery/filesystem-statfs.ts';
import { REPO_ROOT } from '../../../helpers/fixtures.ts';
import { runProcess } from '../../../helpers/run.ts';
import { waitFor } from '../../../helpers/wait.ts';
import { gatedWorkers } from '../gated-statfs-workers.ts';

test('the worker pool answers statfs like fs.statfsSync and serializes concurrent calls on one worker', async () => {
  const pool = new StatfsWorkerPool();
  try {
    const stuck = new StuckMounts();
    const first = await statWithTimeout(pool.statfs, '/', '/', 5000, stuck);
    assert.ok(first.ok);
    const s = statfsSync('/');
    assert.equal(first.stats.blocks, s.blocks);
    assert.equal(first.stats.bsize, s.bsize);
    const answers = await Promise.all([pool.statfs('/'), pool.statfs('/tmp'), pool.statfs('/')]);
    assert.equal(answers[1]!.blocks, statfsSync('/tmp').blocks);
    assert.equal(pool.workersCreated, 1, 'healthy calls share one worker');
  } finally {
    await pool.close();
  }
});

test('statfs errors from a worker keep their errno and read as Go prints them', async () => {
  const pool = new StatfsWorkerPool();
  try {
    const outcome = await statWithTimeout(pool.statfs, '/nonexistent/edgepush', '/nonexistent/edgepush', 5000, new StuckMounts());
    assert.deepEqual(outcome, { ok: false, error: 'no such file or directory', timedOut: false });
  } finally {
    await pool.close();
  }
});

test('a call that stalls sets its worker aside; queued calls go to one fresh worker; the stalled worker is ended when it answers', async () => {
  const w = gatedWorkers();
  // A stall threshold no healthy call reaches on a loaded machine: only the gated one is set aside.
  const pool = new StatfsWorkerPool({ stallMs: 1000, spawnWorker: w.spawnWorker });
  try {
    const hung = pool.statfs('/hang/nfs');
    hung.catch(() => {});
    const answers = await Promise.all([pool.statfs('/a'), pool.statfs('/bb'), pool.statfs('/ccc')]);
    assert.deepEqual(
      answers.map((a) => a.blocks),
      [2, 3, 4],
    );
    assert.equal(pool.workersCreated, 2, 'one worker stuck, one serving the rest');
    assert.equal(pool.workersStuck, 1);

    w.release();
    assert.equal((await hung).blocks, '/hang/nfs'.length, 'the stalled call still answers its caller');
    assert.equal(pool.workersStuck, 0);
    // The pool already has a healthy worker: the one that came back is not kept as a second isolate.
    await waitFor('the recovered worker to end', () => w.exited.has(w.workers[0]!));
    assert.equal((await pool.statfs('/dddd')).blocks, 5);
    assert.equal(pool.workersCreated, 2);
    assert.ok(!w.exited.has(w.workers[1]!));
  } finally {
    w.release();
    await pool.close();
  }
});

test('a stalled worker that answers while the pool has no healthy worker is used again', async () => {
  const w = gatedWorkers();
  const pool = new StatfsWorkerPool({ stallMs: 50, spawnWorker: w.spawnWorker });
  try {
    const hung = pool.statfs('/hang/fuse');
    await waitFor('the worker to be set aside', () => pool.workersStuck === 1);
    w.release();
    await hung;
    assert.equal((await pool.statfs('/a')).blocks, 2);
    assert.equal(pool.workersCreated, 1);
  } finally {
    w.release();
    await pool.close();
  }
});

test("a call's deadline starts when an online worker takes it: calls queued for a replacement slow to start do not time out", async () => {
  const w = gatedWorkers({ slowStartFrom: 1 });
  const pool = new StatfsWorkerPool({ spawnWorker: w.spawnWorker });
  try {
    const stuck = new StuckMounts();
    const hung = statWithTimeout(pool.statfs, '/hang', '/hang', 400, stuck);
    const queued = statWithTimeout(pool.statfs, '/a', '/a', 400, stuck);
    assert.equal((await hung).ok, false);
    // The replacement finishes starting only after both deadlines would have passed had they started with the calls.
    w.finishStarts();
    assert.deepEqual(await queued, { ok: true, stats: { bsize: 1, blocks: 2, bfree: 0, bavail: 0, files: 0, ffree: 0 } });
  } finally {
    w.release();
    w.finishStarts();
    await pool.close();
  }
});

test('a call keeps the process alive until it is answered, with no caller timer; a stuck worker does not keep it alive', async () => {
  const module = (rel: string): string => JSON.stringify(path.join(REPO_ROOT, rel));
  const script = `
    import { StatfsWorkerPool } from ${module('src/sources/host/machinery/statfs-worker-pool.ts')};
    import { StuckMounts, statWithTimeout } from ${module('src/sources/host/machinery/filesystem-statfs.ts')};
    import { gatedWorkers } from ${module('test/sources/host/gated-statfs-workers.ts')};
    const pool = new StatfsWorkerPool({ spawnWorker: gatedWorkers().spawnWorker });
    pool.statfs('/abc').then((s) => {
      console.log('answered', s.blocks);
      statWithTimeout(pool.statfs, '/hang', '/hang', 200, new StuckMounts()).then((o) => console.log('gave up', o.ok));
    });
  `;
  // A file, not -e with --input-type=module: eval workers would inherit that flag and fail to start.
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'edgepush-pool-')), 'keep-alive.mjs');
  writeFileSync(file, script);
  const child = await runProcess(process.execPath, ['--no-warnings', file], { timeoutMs: 60_000 });
  assert.equal(child.code, 0, child.stderr);
  assert.deepEqual(child.stdout.trim().split('\n'), ['answered 4', 'gave up false']);
});

test("a call's stall threshold is at most a quarter of its deadline, so a hung call holds up the queue for a small part of it", async () => {
  const w = gatedWorkers();
  // With the 60 s stall threshold alone, /a would wait behind the hung call past the hung call's own 8 s deadline.
  const pool = new StatfsWorkerPool({ stallMs: 60_000, spawnWorker: w.spawnWorker });
  try {
    const stuck = new StuckMounts();
    let hungSettled = false;
    const hung = statWithTimeout(pool.statfs, '/hang', '/hang', 8000, stuck).finally(() => (hungSettled = true));
    const queued = await statWithTimeout(pool.statfs, '/a', '/a', 8000, stuck);
    assert.deepEqual(queued, { ok: true, stats: { bsize: 1, blocks: 2, bfree: 0, bavail: 0, files: 0, ffree: 0 } });
    assert.equal(hungSettled, false, 'the queue moved on before the hung call reached its deadline');
    w.release();
    assert.equal((await hung).ok, true);
  } finally {
    w.release();
    await pool.close();
  }
});

test('a worker that dies fails only its own call; the next call gets a new worker', async () => {
  const w = gatedWorkers();
  const pool = new StatfsWorkerPool({ spawnWorker: w.spawnWorker });
  try {
    await assert.rejects(pool.statfs('/exit'), /statfs worker exited with code 3/);
    assert.equal((await pool.statfs('/a')).blocks, 2);
    assert.equal(pool.workersCreated, 2);
  } finally {
    await pool.close();
  }
});
