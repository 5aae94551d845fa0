/**
 * The sink's recovery from queue faults, against a real VictoriaMetrics: a
 * queue that cannot be opened is tried again every cycle, counted, and
 * delivers once the fault is gone, without a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, getLogLevel, setLogLevel, setLogSink } from '../../../src/log.ts';
import { RemoteWriteSink, type RemoteWriteConfig, type RemoteWriteBatch } from '../../../src/sinks/remote-write/remote-write-sink.ts';
import { mountSkip, mountTmpfs, remount } from '../../helpers/mount.ts';
import { missingPeers, startVictoriaMetrics, victoriaMetricsRaw } from '../../helpers/servers.ts';
import { waitFor } from '../../helpers/wait.ts';

const skip = mountSkip || missingPeers('victoriametrics') || false;

function config(url: string): RemoteWriteConfig {
  return {
    url,
    timeoutMs: 2000,
    headers: {},
    queueMaxBytes: 1 << 20,
    queueMaxAgeMs: 0,
    maxSamplesPerSend: 1000,
    maxBytesPerSend: 1 << 20,
    backoff: { minMs: 20, maxMs: 200 },
    maxRetryAfterMs: 1000,
    maxSamplesPerSecond: 0,
  };
}

function cycle(n: number): RemoteWriteBatch {
  return { identity: { instance: 'box-ro' }, sources: [{ source: 'host', job: 'node', timestampMs: Date.now(), families: [{ name: 'rw_fault_cycle', type: 'gauge', samples: [{ name: 'rw_fault_cycle', labels: {}, value: n }] }] }] };
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

test('a queue that cannot be opened at start (read-only state directory) is retried every cycle, counted, and delivers once it can, without a restart', { skip }, async (t) => {
  const vm = await startVictoriaMetrics();
  t.after(() => vm.stop());
  const stateDir = mountTmpfs(t, '16m');
  remount(stateDir, 'ro');
  const logs = captureLogs(t);
  const sink = new RemoteWriteSink('remote_write.fault', config(`${vm.url}/api/v1/write`), { log: createLogger(), stateDir });
  t.after(() => sink.close());
  for (let n = 1; n <= 3; n++) assert.equal((await sink.push(cycle(n))).ok, false, `cycle ${n} cannot be queued`);
  assert.equal(sink.stats().queueOk, false);
  assert.equal(sink.stats().queueOpenFailures, 3);
  assert.equal(logs.filter((l) => l.includes('could not queue a cycle')).length, 1, `logged once, not every cycle:\n${logs.join('')}`);

  remount(stateDir, 'rw');
  let n = 3;
  await waitFor('a cycle queued after the fault is gone', async () => (await sink.push(cycle(++n))).ok, { timeoutMs: 30_000 });
  assert.ok(n <= 6, `recovered within a few cycles, took ${n - 3}`);
  assert.equal(sink.stats().queueOk, true);
  assert.ok(logs.some((l) => l.includes('queueing again')), logs.join(''));
  await waitFor('the cycle in VictoriaMetrics', async () => (await victoriaMetricsRaw(vm, 'rw_fault_cycle{instance="box-ro"}')).some((s) => s.value === n), { timeoutMs: 30_000, intervalMs: 200 });
});
