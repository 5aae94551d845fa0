import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { HEALTHY_RUN_MS, RESTART_STATE_FILE, RestartBackoff, serviceStateFile } from '../src/restart-backoff.ts';
import { createLogger, setLogSink } from '../src/log.ts';
import { runCli, startCli } from './helpers/cli.ts';
import { waitFor } from './helpers/wait.ts';

function harness() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-restart-'));
  const clock = { now: 1_000_000, boot: 'boot-a' };
  const logged: string[] = [];
  const prev = setLogSink((line) => logged.push(line));
  const make = (): RestartBackoff =>
    new RestartBackoff({
      stateFile: path.join(dir, RESTART_STATE_FILE),
      bootId: () => clock.boot,
      nowMs: () => clock.now,
      random: () => 1,
      log: createLogger(),
    });
  const cleanup = (): void => {
    setLogSink(prev);
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, clock, logged, make, cleanup };
}

test('starts that crash soon after starting wait 2 s, 4 s, 8 s ... capped at 5 min', () => {
  const h = harness();
  try {
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = h.make().begin();
      delays.push(d.delayMs);
      assert.equal(d.failures, i);
      // The run crashes 1 s after it really began (after its wait); systemd restarts it 2 s later.
      h.clock.now += d.delayMs + 1_000 + 2_000;
    }
    // random() = 1: the full exponential step (equal jitter keeps at least half of it).
    assert.deepEqual(delays, [0, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000]);
  } finally {
    h.cleanup();
  }
});

test('a run that lasted a healthy while, a stop on request or a reboot clears the count', () => {
  const h = harness();
  try {
    h.make().begin();
    h.clock.now += 1_000;
    assert.equal(h.make().begin().failures, 1);
    h.clock.now += 2_000 + HEALTHY_RUN_MS; // waited 2 s, then ran a healthy minute before crashing
    assert.deepEqual(h.make().begin(), { failures: 0, delayMs: 0 });

    h.clock.now += 1_000;
    const stoppedRun = h.make();
    assert.equal(stoppedRun.begin().failures, 1);
    h.clock.now += 2_000 + 500;
    stoppedRun.stopped(); // systemctl restart / stop: not a failure
    assert.deepEqual(h.make().begin(), { failures: 0, delayMs: 0 });

    h.clock.now += 1_000;
    assert.equal(h.make().begin().failures, 1);
    h.clock.boot = 'boot-b';
    h.clock.now = 5_000; // a new boot: the monotonic clock started again
    assert.deepEqual(h.make().begin(), { failures: 0, delayMs: 0 });
  } finally {
    h.cleanup();
  }
});

test('a damaged or unwritable record costs at most the back-off, never the start', () => {
  const h = harness();
  try {
    writeFileSync(path.join(h.dir, RESTART_STATE_FILE), '{"bootId":');
    assert.deepEqual(h.make().begin(), { failures: 0, delayMs: 0 });
    assert.match(h.logged.join(''), /msg="ignoring damaged restart record"/);
    const unwritable = new RestartBackoff({
      stateFile: path.join(h.dir, RESTART_STATE_FILE, 'not-a-dir', 'x.json'),
      bootId: () => 'b',
      nowMs: () => 1,
      log: createLogger(),
    });
    assert.deepEqual(unwritable.begin(), { failures: 0, delayMs: 0 });
    assert.match(h.logged.join(''), /msg="cannot record this start; restarts after a crash will not back off"/);
  } finally {
    h.cleanup();
  }
});

test('only the systemd service backs off: INVOCATION_ID, and the state directory systemd gives or the packaged one', () => {
  const noDefault = (): boolean => false;
  assert.equal(
    serviceStateFile({}, () => true),
    undefined,
  );
  assert.equal(
    serviceStateFile({ STATE_DIRECTORY: '/var/lib/edgepush' }, () => true),
    undefined,
  );
  assert.equal(
    serviceStateFile({ INVOCATION_ID: 'abc', STATE_DIRECTORY: '/var/lib/edgepush:/var/lib/other' }, noDefault),
    `/var/lib/edgepush/${RESTART_STATE_FILE}`,
  );
  // systemd 239 (RHEL 8) creates the StateDirectory= but does not export STATE_DIRECTORY.
  assert.equal(
    serviceStateFile({ INVOCATION_ID: 'abc' }, () => true),
    `/var/lib/edgepush/${RESTART_STATE_FILE}`,
  );
  assert.equal(serviceStateFile({ INVOCATION_ID: 'abc' }, noDefault), undefined);
});

test('edgepush run under systemd: a crash-looping start waits, a stop during the wait is clean and clears the count', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-restart-cli-'));
  try {
    const bad = path.join(dir, 'bad.ini');
    writeFileSync(bad, '[agent]\ninterval = soon\n');
    const env = { ...process.env, INVOCATION_ID: 'test-invocation', STATE_DIRECTORY: dir };
    const args = ['run', `--config.file=${bad}`, `--config.defaults=${dir}/none.ini`];
    const first = await runCli(args, { env });
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /invalid configuration: .*bad\.ini: \[agent\] interval/);
    assert.doesNotMatch(first.stderr, /waiting before starting again/);

    // The restart right after: it waits (still running, config not read yet) and says why.
    let log = '';
    const second = startCli(args, (d) => (log += d), { env });
    const exited = once(second, 'exit');
    await waitFor('the back-off message', () =>
      /level=warn msg="the previous run failed soon after starting; waiting before starting again" failures=1 wait=[12]\.\ds/.test(log),
    );
    assert.equal(second.exitCode, null, 'the process waits rather than exiting');
    assert.doesNotMatch(log, /invalid configuration/);
    second.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, log);
    assert.equal(JSON.parse(readFileSync(path.join(dir, RESTART_STATE_FILE), 'utf8')).stopped, true);

    // Stopped on request: the next start does not wait.
    const third = await runCli(args, { env });
    assert.equal(third.code, 1);
    assert.doesNotMatch(third.stderr, /waiting before starting again/);

    // A run that started and was stopped by SIGTERM (systemctl stop/restart) is recorded as stopped, not failed.
    const good = path.join(dir, 'good.ini');
    writeFileSync(good, `[agent]\ninterval = 1h\nstate_dir = ${dir}/state\nlog_level = info\n[host]\nenabled = false\n`);
    let runLog = '';
    const running = startCli(['run', `--config.file=${good}`, `--config.defaults=${dir}/none.ini`], (d) => (runLog += d), { env });
    const runExited = once(running, 'exit');
    await waitFor('the agent to start', () => /msg=starting/.test(runLog));
    assert.equal(JSON.parse(readFileSync(path.join(dir, RESTART_STATE_FILE), 'utf8')).stopped, false);
    running.kill('SIGTERM');
    assert.equal((await runExited)[0], 0, runLog);
    assert.equal(JSON.parse(readFileSync(path.join(dir, RESTART_STATE_FILE), 'utf8')).stopped, true);

    // Without systemd's variables nothing is recorded or awaited.
    rmSync(path.join(dir, RESTART_STATE_FILE));
    const { INVOCATION_ID: _i, STATE_DIRECTORY: _s, ...plain } = env;
    await runCli(args, { env: plain });
    const fourth = await runCli(args, { env: plain });
    assert.doesNotMatch(fourth.stderr, /waiting before starting again/);
    assert.throws(() => readFileSync(path.join(dir, RESTART_STATE_FILE)), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
