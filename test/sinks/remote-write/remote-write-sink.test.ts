/**
 * The sink's recovery from queue faults, against a real VictoriaMetrics: a
 * queue that cannot be opened is tried again every cycle, counted, and
 * delivers once the fault is gone, without a restart. And its close within
 * the agent's shutdown budget. Its self metrics live as long as it does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createLogger, getLogLevel, setLogLevel, setLogSink } from '../../../src/log.ts';
import type { Batch } from '../../../src/model/batch.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../../src/sinks/remote-write/remote-write-sink.ts';
import { startCli } from '../../helpers/cli.ts';
import { FIXTURE_PROC } from '../../helpers/fixtures.ts';
import { mountSkip, mountTmpfs, remount } from '../../helpers/mount.ts';
import { missingPeers, startVictoriaMetrics, victoriaMetricsRaw } from '../../helpers/servers.ts';
import { waitFor } from '../../helpers/wait.ts';

const skip = mountSkip || missingPeers('victoriametrics') || false;

function config(url: string): RemoteWriteConfig {
  return {
    url,
    headers: {},
    queueMaxBytes: 1 << 20,
    queueMaxAgeMs: 0,
    maxSamplesPerSend: 1000,
    maxBytesPerSend: 1 << 20,
    backoff: { minMs: 20, maxMs: 200 },
    maxRetryAfterMs: 1000,
    maxSamplesPerSecond: 0,
    http: { timeoutSeconds: 2, tlsInsecureSkipVerify: false },
  };
}

function cycle(n: number): Batch {
  return {
    cycle: n,
    identity: { instance: 'box-ro' },
    deadlineMs: Date.now() + 15_000,
    sources: [
      {
        source: 'host',
        job: 'node',
        up: true,
        timestampMs: Date.now(),
        families: [{ name: 'rw_fault_cycle', type: 'gauge', samples: [{ name: 'rw_fault_cycle', labels: {}, value: n }] }],
      },
    ],
  };
}

function captureLogs(t: { after(fn: () => void): void }): string[] {
  const logs: string[] = [];
  const prev = setLogSink((line) => logs.push(line));
  const prevLevel = getLogLevel();
  setLogLevel('info');
  t.after(() => {
    setLogSink(prev);
    setLogLevel(prevLevel);
  });
  return logs;
}

test('a queue that cannot be opened at start (read-only state directory) is retried every cycle, counted, and delivers once it can, without a restart', {
  skip,
}, async (t) => {
  const vm = await startVictoriaMetrics();
  t.after(() => vm.stop());
  const stateDir = mountTmpfs(t, '16m');
  remount(stateDir, 'ro');
  const logs = captureLogs(t);
  const sink = new RemoteWriteSink('remote_write.fault', config(`${vm.url}/api/v1/write`), { log: createLogger(), registry: new Registry(), stateDir });
  t.after(() => sink.close());
  for (let n = 1; n <= 3; n++) assert.equal((await sink.push(cycle(n), AbortSignal.timeout(15_000))).ok, false, `cycle ${n} cannot be queued`);
  assert.equal(sink.stats().queueOk, false);
  assert.equal(sink.stats().queueOpenFailures, 3);
  assert.equal(logs.filter((l) => l.includes('could not queue a cycle')).length, 1, `logged once, not every cycle:\n${logs.join('')}`);

  remount(stateDir, 'rw');
  let n = 3;
  await waitFor('a cycle queued after the fault is gone', async () => (await sink.push(cycle(++n), AbortSignal.timeout(15_000))).ok, { timeoutMs: 30_000 });
  assert.ok(n <= 6, `recovered within a few cycles, took ${n - 3}`);
  assert.equal(sink.stats().queueOk, true);
  assert.ok(
    logs.some((l) => l.includes('queueing again')),
    logs.join(''),
  );
  await waitFor('the cycle in VictoriaMetrics', async () => (await victoriaMetricsRaw(vm, 'rw_fault_cycle{instance="box-ro"}')).some((s) => s.value === n), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
});

test('with a receiver that never answers, the agent stops within shutdown_timeout, the request in flight included', async (t) => {
  const sockets: Socket[] = [];
  let requests = 0;
  // Accepts and reads, never answers.
  const stall = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => requests++);
  });
  stall.listen(0, '127.0.0.1');
  await once(stall, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    stall.close();
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-stop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(
    configFile,
    `
[agent]
interval = 1s
timeout = 500ms
state_dir = ${dir}/state
shutdown_timeout = 1s
[host]
collector.disable-defaults = true
collector.loadavg = true
path.procfs = ${FIXTURE_PROC}
[remote_write.stall]
url = http://127.0.0.1:${(stall.address() as AddressInfo).port}/api/v1/write
timeout = 5m
`,
  );
  let log = '';
  const agent = startCli(['run', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`], (d) => (log += d));
  const exited = once(agent, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.after(() => {
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  });
  await waitFor('a request in flight to the stalled receiver', () => requests > 0 || (agent.exitCode !== null && Promise.reject(new Error(log))), {
    timeoutMs: 30_000,
  });
  const stopAt = Date.now();
  agent.kill('SIGTERM');
  const [code] = await exited;
  const tookMs = Date.now() - stopAt;
  assert.equal(code, 0, log);
  // shutdown_timeout (1 s) plus a generous margin, and below the sink's own 5 s close deadline that used to come on top.
  assert.ok(tookMs < 4_500, `stopped after ${tookMs} ms:\n${log}`);
});

test('the sink reports its edgepush_remote_write_* metrics in the registry it is given, from construction until it closes', async (t) => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-metrics-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const registry = new Registry();
  // Nothing listens on port 9 of loopback: the cycle stays queued.
  const sink = new RemoteWriteSink('remote_write.m', config('http://127.0.0.1:9/api/v1/write'), { log: createLogger(), registry, stateDir });
  assert.match(await registry.metrics(), /^edgepush_remote_write_queue_ok\{sink="remote_write.m"\} 1$/m);
  assert.equal((await sink.push(cycle(1), AbortSignal.timeout(15_000))).ok, true);
  assert.match(await registry.metrics(), /^edgepush_remote_write_queue_samples\{sink="remote_write.m"\} 1$/m);
  await sink.close();
  assert.doesNotMatch(await registry.metrics(), /sink="remote_write.m"/);
});
