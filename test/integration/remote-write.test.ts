/**
 * Remote write against the real receivers (Debian's Prometheus with its
 * remote-write receiver, and VictoriaMetrics) on random loopback ports:
 * timestamps, outages, kill -9, a full queue, a 400, staleness.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createLogger, setLogSink } from '../../src/log.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../src/sinks/remote-write/remote-write-sink.ts';
import { missingPeers, promQuery, startPrometheus, startVictoriaMetrics, victoriaMetricsRaw, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('prometheus', 'victoriametrics');
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'remote-write-driver.ts');

let prom: RunningServer;
before(async () => {
  if (!skip) prom = await startPrometheus('scrape_configs: []\n');
});
after(async () => {
  await prom?.stop();
});

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-it-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Raw samples of one series from Prometheus (a range selector returns them unevaluated). */
async function promRaw(selector: string): Promise<Array<{ ts: number; value: number }>> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(`${selector}[1h]`)}`);
  const body = (await res.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
  const series = body.data.result;
  if (series.length > 1) throw new Error(`${selector} matched ${series.length} series`);
  return (series[0]?.values ?? []).map(([t, v]) => ({ ts: Math.round(t * 1000), value: Number(v) }));
}

interface Driver {
  queued: Array<{ cycle: number; ts: number }>;
  /** Cycles whose push wrote the queue's unsent cycles (this one included) to disk. */
  flushed: number[];
  process: ChildProcess;
  output(): string;
  stop(): Promise<string>;
}

async function startDriver(options: Record<string, unknown>): Promise<Driver> {
  const child = spawn(process.execPath, ['--no-warnings', DRIVER, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const queued: Driver['queued'] = [];
  const flushed: number[] = [];
  let out = '';
  let exited = false;
  // 'close', not 'exit': after a kill the last lines may still be in the pipe when the process is gone.
  child.on('close', () => (exited = true));
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = /^queued (\d+) (\d+)$/.exec(line);
      if (m) queued.push({ cycle: Number(m[1]), ts: Number(m[2]) });
      const f = /^flushed (\d+)$/.exec(line);
      if (f) flushed.push(Number(f[1]));
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('driver ready', () => out.includes('ready') || (exited && Promise.reject(new Error(out))), { timeoutMs: 20_000 });
  return {
    queued,
    flushed,
    process: child,
    output: () => out,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await waitFor('driver exit', () => exited, { timeoutMs: 10_000 });
      return out;
    },
  };
}

function assertExactly(got: Array<{ ts: number }>, expected: number[], allowedExtra: number[], what: string): void {
  const ts = got.map((s) => s.ts);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, `${what}: in order, no duplicates: ${ts}`);
  const missing = expected.filter((e) => !ts.includes(e));
  assert.deepEqual(missing, [], `${what}: missing samples`);
  const unexpected = ts.filter((x) => !expected.includes(x) && !allowedExtra.includes(x));
  assert.deepEqual(unexpected, [], `${what}: samples that were never queued`);
}

test('Prometheus: original timestamps survive an outage and a kill -9 of the agent during it; nothing missing, nothing duplicated', { skip }, async (t) => {
  const stateDir = tmp(t);
  const opts = { url: `${prom.url}/api/v1/write`, stateDir, intervalMs: 200, series: 5 };
  const first = await startDriver(opts);
  t.after(() => first.stop());
  await waitFor('first cycles in Prometheus', async () => (await promRaw('rw_drill{series="0",job="drill_a"}')).length >= 3, { timeoutMs: 20_000 });

  await prom.pause();
  const before = first.queued.length;
  await waitFor('cycles queued during the outage', () => first.queued.length >= before + 6, { timeoutMs: 20_000 });
  first.process.kill('SIGKILL');
  await first.stop();
  // The cycle being written at the kill may or may not have reached the disk: it is the only one allowed to be lost or to appear unannounced.
  const lastQueued = first.queued.at(-1)!.ts;

  // A bounded run: a stop does not drain the queue (what is unsent waits on disk for the next start), so the test waits for every cycle it checks.
  const secondCycles = 6;
  const second = await startDriver({ ...opts, cycles: secondCycles });
  t.after(() => second.stop());
  await waitFor('cycles queued by the restarted agent, still during the outage', () => second.queued.length >= 3, { timeoutMs: 20_000 });
  await prom.resume();
  await waitFor('every cycle of the restarted agent queued', () => second.queued.length === secondCycles, { timeoutMs: 20_000 });

  const allQueued = [...first.queued, ...second.queued].map((q) => q.ts);
  await waitFor(
    'the whole backlog in Prometheus',
    async () => (await promRaw('rw_drill{series="4"}')).filter((s) => allQueued.includes(s.ts)).length === allQueued.length,
    { timeoutMs: 30_000 },
  );
  await second.stop();
  for (let i = 0; i < 5; i++) {
    const got = await promRaw(`rw_drill{series="${i}",job="drill_a",instance="driver"}`);
    // Everything queued by the second run is there too, unannounced extras can only lie between the kill and the restart.
    const extras = got.map((s) => s.ts).filter((ts) => !allQueued.includes(ts));
    assert.ok(
      extras.every((ts) => ts > lastQueued && ts < second.queued[0]!.ts),
      `series ${i}: extras ${extras}`,
    );
    assert.ok(extras.length <= 1, `series ${i}: at most the cycle in flight at the kill: ${extras}`);
    assertExactly(got, allQueued, extras, `series ${i}`);
    // Values are the cycle numbers of each run, in order.
    const values = got.filter((s) => allQueued.includes(s.ts)).map((s) => s.value);
    assert.deepEqual(
      values,
      [...first.queued, ...second.queued].map((q) => q.cycle),
      `series ${i} values`,
    );
  }
});

test('with queue_flush_interval, a kill -9 during an outage loses at most the cycles queued since the last flush; every flushed one arrives, in order', {
  skip,
}, async (t) => {
  const vm = await startVictoriaMetrics();
  t.after(() => vm.stop());
  const stateDir = tmp(t);
  const flushMs = 1000;
  const intervalMs = 200;
  const opts = { url: `${vm.url}/api/v1/write`, stateDir, intervalMs, series: 3, config: { queueFlushIntervalMs: flushMs } };
  const first = await startDriver(opts);
  t.after(() => first.stop());
  await waitFor('first cycles in VictoriaMetrics', async () => (await victoriaMetricsRaw(vm, 'rw_drill{series="0"}')).length >= 3, { timeoutMs: 20_000 });
  assert.deepEqual(first.flushed, [], 'nothing written while the receiver keeps up');
  await vm.pause();
  const pausedAt = first.queued.length;
  // Two flushes during the outage, and cycles queued after the second.
  await waitFor(
    'two flushes and more cycles during the outage',
    () => first.flushed.filter((c) => c > pausedAt).length >= 2 && first.queued.at(-1)!.cycle > first.flushed.at(-1)! + 1,
    { timeoutMs: 30_000 },
  );
  first.process.kill('SIGKILL');
  await first.stop();
  const lastFlushed = first.flushed.at(-1)!;
  const durable = first.queued.filter((q) => q.cycle <= lastFlushed).map((q) => q.ts);
  const atRisk = first.queued.filter((q) => q.cycle > lastFlushed).map((q) => q.ts);

  const second = await startDriver({ ...opts, cycles: 3 });
  t.after(() => second.stop());
  await waitFor('the restarted driver queued its cycles', () => second.queued.length === 3, { timeoutMs: 20_000 });
  await vm.resume();
  const fresh = second.queued.map((q) => q.ts);
  await waitFor(
    'every durable and fresh cycle in VictoriaMetrics',
    async () => {
      const got = new Set((await victoriaMetricsRaw(vm, 'rw_drill{series="2"}')).map((s) => s.ts));
      return [...durable, ...fresh].every((ts) => got.has(ts));
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  for (let i = 0; i < 3; i++) {
    const got = (await victoriaMetricsRaw(vm, `rw_drill{series="${i}"}`)).map((s) => s.ts);
    for (let k = 1; k < got.length; k++) assert.ok(got[k]! > got[k - 1]!, `series ${i}: in order, no duplicates`);
    const lost = atRisk.filter((ts) => !got.includes(ts));
    // What was lost was queued after the last flush, i.e. within one flush interval of the kill.
    assert.ok(lost.length * intervalMs <= flushMs + 2 * intervalMs, `series ${i}: lost ${lost.length} cycles`);
    assert.deepEqual(
      got.filter((ts) => !durable.includes(ts) && !fresh.includes(ts) && !atRisk.includes(ts) && ts > durable[0]!),
      [],
      `series ${i}: nothing never queued`,
    );
  }
});

function inProcessSink(
  t: { after(fn: () => Promise<void>): void },
  url: string,
  stateDir: string,
  over: Partial<RemoteWriteConfig> = {},
): { sink: RemoteWriteSink; logs: string[] } {
  const logs: string[] = [];
  const prev = setLogSink((l) => logs.push(l));
  const sink = new RemoteWriteSink(
    'remote_write.it',
    {
      url,
      headers: {},
      queueMaxBytes: 8 << 20,
      queueMaxAgeMs: 0,
      maxSamplesPerSend: 2000,
      maxBytesPerSend: 4 << 20,
      backoff: { minMs: 20, maxMs: 200 },
      maxRetryAfterMs: 1000,
      maxSamplesPerSecond: 0,
      http: { timeoutSeconds: 2, tlsInsecureSkipVerify: false },
      ...over,
    },
    { log: createLogger(), registry: new Registry(), stateDir },
  );
  t.after(async () => {
    await sink.close();
    setLogSink(prev);
  });
  return { sink, logs };
}

function gauge(name: string, value: number, labels: Record<string, string> = {}): MetricFamily {
  return { name, type: 'gauge', samples: [{ name, labels, value }] };
}

test('Prometheus: a 400 (out-of-order sample) is dropped with its reason, not retried, and costs only its own source', { skip }, async (t) => {
  const { sink, logs } = inProcessSink(t, `${prom.url}/api/v1/write`, tmp(t));
  const now = Date.now();
  // The exporter stamps its own samples; its clock jumps back a minute. The host's samples of the same cycle are fine.
  const cycle = (hostTs: number, exporterTs: number, v: number) =>
    sink.push({
      identity: { instance: 'box' },
      sources: [
        { source: 'host', job: 'ooo_host', timestampMs: hostTs, families: [gauge('rw_ooo_host', v)] },
        {
          source: 'exp',
          job: 'ooo_exp',
          timestampMs: hostTs,
          families: [{ name: 'rw_ooo', type: 'gauge', samples: [{ name: 'rw_ooo', labels: {}, value: v, timestampMs: exporterTs }] }],
        },
      ],
    });
  await cycle(now - 3000, now - 3000, 1);
  await waitFor('first cycle', () => sink.stats().sender.requests.ok === 2);
  await cycle(now - 2000, now - 60_000, 2);
  await cycle(now - 1000, now - 1000, 3);
  await waitFor('the later cycle accepted', () => sink.stats().sender.requests.ok === 5, { timeoutMs: 10_000 });
  const s = sink.stats().sender;
  assert.deepEqual(s.requests, { ok: 5, retry: 0, reject: 1 });
  assert.equal(s.samplesRejected, 1);
  assert.match(logs.join(''), /rejected a block; dropped.*status=400.*out of (order|bounds)/);
  assert.deepEqual(
    (await promRaw('rw_ooo')).map((x) => x.value),
    [1, 3],
  );
  assert.deepEqual(
    (await promRaw('rw_ooo_host')).map((x) => x.value),
    [1, 2, 3],
  );
});

test('Prometheus: the series of a removed source are marked stale (queries return nothing after), the rest stays', { skip }, async (t) => {
  const { sink } = inProcessSink(t, `${prom.url}/api/v1/write`, tmp(t));
  const cycle = (ts: number, withB: boolean) =>
    sink.push({
      identity: { instance: 'box' },
      sources: [
        { source: 'a', job: 'stale_a', timestampMs: ts, families: [gauge('rw_stale_a', 1)] },
        ...(withB ? [{ source: 'b', job: 'stale_b', timestampMs: ts, families: [gauge('rw_stale_b', 1), gauge('rw_stale_b2', 2, { x: 'y' })] }] : []),
      ],
    });
  const t0 = Date.now() - 3000;
  await cycle(t0, true);
  await cycle(t0 + 1000, true);
  await waitFor('b visible', async () => (await promQuery(prom.url, 'rw_stale_b')).length === 1 && (await promQuery(prom.url, 'rw_stale_b2')).length === 1);
  await cycle(t0 + 2000, false);
  await waitFor('b stale', async () => (await promQuery(prom.url, 'rw_stale_b')).length === 0 && (await promQuery(prom.url, 'rw_stale_b2')).length === 0);
  assert.equal((await promQuery(prom.url, 'rw_stale_a')).length, 1);
});

test('Prometheus: a full queue drops the oldest data first and says so; the newest arrives intact', { skip }, async (t) => {
  // A receiver address with nothing behind it yet: Prometheus' own port while it is paused.
  await prom.pause();
  t.after(() => prom.resume());
  // Every cycle written at once, so sixty of them reach the size bound without waiting for flush intervals.
  const { sink, logs } = inProcessSink(t, `${prom.url}/api/v1/write`, tmp(t), { queueMaxBytes: 6000, queueFlushIntervalMs: 0 });
  const pushed: number[] = [];
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < 60; i++) {
    const ts = t0 + i * 500;
    pushed.push(ts);
    const labels = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`label_${k}`, `value-${k}-${'x'.repeat(20)}`]));
    await sink.push({
      identity: { instance: 'box' },
      sources: [{ source: 'a', job: 'full', timestampMs: ts, families: [gauge('rw_full', i), gauge('rw_full_padding', i, labels)] }],
    });
  }
  const dropped = sink.stats().queue.dropped.size.samples;
  assert.ok(dropped > 0, 'the queue dropped');
  assert.ok(sink.stats().queue.diskBytes <= 6000);
  assert.match(logs.join(''), /remote write queue dropped the oldest data/);
  await prom.resume();
  await waitFor('the newest sample', async () => (await promRaw('rw_full')).some((s) => s.ts === pushed.at(-1)), { timeoutMs: 20_000 });
  await waitFor('queue drained', () => sink.stats().queue.pendingSamples === 0);
  const got = (await promRaw('rw_full')).map((s) => s.ts);
  // What arrived is the newest contiguous run of cycles, ending with the last one.
  const firstKept = pushed.indexOf(got[0]!);
  assert.ok(firstKept > 0, 'the oldest cycles were dropped');
  assert.deepEqual(got, pushed.slice(firstKept));
  assert.equal((pushed.length - got.length) * 2, dropped);
});

test('VictoriaMetrics: original timestamps, and every sample of an outage arrives after it, in order', { skip }, async (t) => {
  const vm = await startVictoriaMetrics();
  t.after(() => vm.stop());
  const driver = await startDriver({ url: `${vm.url}/api/v1/write`, stateDir: tmp(t), intervalMs: 200, series: 3 });
  t.after(() => driver.stop());
  await waitFor('first cycles in VictoriaMetrics', async () => (await victoriaMetricsRaw(vm, 'rw_drill{series="0"}')).length >= 2, { timeoutMs: 20_000 });
  await vm.pause();
  const n = driver.queued.length;
  await waitFor('cycles queued during the outage', () => driver.queued.length >= n + 5, { timeoutMs: 20_000 });
  await vm.resume();
  await waitFor('a cycle after the outage', () => driver.queued.length >= n + 8, { timeoutMs: 20_000 });
  // Everything queued so far must arrive (what is queued later may still be on its way when the driver stops).
  const expected = driver.queued.map((q) => q.ts);
  const selectors = [0, 1, 2].map((i) => `rw_drill{series="${i}",job="drill_a",instance="driver"}`);
  for (const selector of selectors) {
    await waitFor(
      `${selector} complete`,
      async () => {
        const got = new Set((await victoriaMetricsRaw(vm, selector)).map((s) => s.ts));
        return expected.every((ts) => got.has(ts));
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
  await driver.stop();
  const queued = driver.queued;
  for (const selector of selectors) {
    const got = await victoriaMetricsRaw(vm, selector);
    assertExactly(
      got,
      expected,
      queued.map((q) => q.ts),
      selector,
    );
    assert.deepEqual(
      got.map((s) => s.value),
      queued.slice(0, got.length).map((q) => q.cycle),
      `${selector} values`,
    );
  }
});
