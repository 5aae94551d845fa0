import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { StatfsWorkerPool } from '../../../src/sources/host/statfs-worker-pool.ts';
import { StuckMounts, statWithTimeout } from '../../../src/sources/host/filesystem-statfs.ts';
import { waitFor } from '../../helpers/wait.ts';
import { gatedWorkers } from './gated-statfs-workers.ts';

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
  const pool = new StatfsWorkerPool({ stallMs: 50, spawnWorker: w.spawnWorker });
  try {
    const hung = pool.statfs('/hang/nfs');
    hung.catch(() => {});
    const answers = await Promise.all([pool.statfs('/a'), pool.statfs('/bb'), pool.statfs('/ccc')]);
    assert.deepEqual(answers.map((a) => a.blocks), [2, 3, 4]);
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

test("a call's stall threshold is at most a quarter of its deadline, so calls queued behind a hung one still meet theirs", async () => {
  const w = gatedWorkers();
  // With the 10 s stall threshold alone, /a would wait behind the hung call far past its 2 s deadline.
  const pool = new StatfsWorkerPool({ stallMs: 10_000, spawnWorker: w.spawnWorker });
  try {
    const stuck = new StuckMounts();
    const [hung, queued] = await Promise.all([statWithTimeout(pool.statfs, '/hang', '/hang', 2000, stuck), statWithTimeout(pool.statfs, '/a', '/a', 2000, stuck)]);
    assert.equal(hung.ok, false);
    assert.deepEqual(queued, { ok: true, stats: { bsize: 1, blocks: 2, bfree: 0, bavail: 0, files: 0, ffree: 0 } });
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
