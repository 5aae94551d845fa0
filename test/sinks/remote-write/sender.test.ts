/**
 * The sender's retry semantics against a small HTTP receiver whose answers the
 * test scripts (real receivers cannot be told to answer 429 or 503 on cue; they
 * are exercised in test/integration/remote-write*.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createLogger, getLogLevel, setLogLevel, setLogSink } from '../../../src/log.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../../src/sinks/remote-write/remote-write-sink.ts';
import { DrainRate } from '../../../src/sinks/remote-write/sender.ts';
import { snappyUncompress } from '../../../src/sinks/remote-write/snappy.ts';
import { waitFor } from '../../helpers/wait.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A receiver answering each request with the next scripted reply (then 204). */
async function scriptedReceiver(
  t: { after(fn: () => Promise<void> | void): void },
  replies: Array<{ status: number; headers?: Record<string, string>; body?: string }>,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: snappyUncompress(Buffer.concat(chunks)), at: Date.now() });
      const reply = replies.shift() ?? { status: 204 };
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, received, server };
}

function config(url: string, over: Partial<RemoteWriteConfig> = {}): RemoteWriteConfig {
  return {
    url,
    headers: { 'X-Scope-OrgID': 'tenant-1' },
    queueMaxBytes: 1 << 20,
    queueMaxAgeMs: 0,
    maxSamplesPerSend: 1000,
    maxBytesPerSend: 1 << 20,
    backoff: { minMs: 20, maxMs: 200 },
    maxRetryAfterMs: 5000,
    maxSamplesPerSecond: 0,
    http: { timeoutSeconds: 2, bearerToken: 's3cret', tlsInsecureSkipVerify: false },
    ...over,
  };
}

function sinkFor(t: { after(fn: () => Promise<void> | void): void }, cfg: RemoteWriteConfig): { sink: RemoteWriteSink; logs: string[] } {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  const logs: string[] = [];
  const prev = setLogSink((line) => logs.push(line));
  const prevLevel = getLogLevel();
  setLogLevel('info');
  const sink = new RemoteWriteSink('remote_write.test', cfg, { log: createLogger(), registry: new Registry(), stateDir });
  t.after(async () => {
    await sink.close();
    setLogSink(prev);
    setLogLevel(prevLevel);
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { sink, logs };
}

/** Prometheus' stale marker NaN (0x7ff0000000000002) as it sits little endian in an encoded sample. */
const STALE_NAN_BYTES = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

function staleMarkersIn(body: Buffer): number {
  let n = 0;
  for (let i = body.indexOf(STALE_NAN_BYTES); i !== -1; i = body.indexOf(STALE_NAN_BYTES, i + 1)) n++;
  return n;
}

const batch = (ts: number, value = 1) => ({
  identity: { instance: 'box-1' },
  sources: [{ source: 'host', job: 'node', timestampMs: ts, families: [{ name: 'm', type: 'gauge' as const, samples: [{ name: 'm', labels: {}, value }] }] }],
});

test('sends the 1.0 headers, auth and custom headers; 5xx and 429 are retried (Retry-After honoured) until accepted, in order', async (t) => {
  const rx = await scriptedReceiver(t, [
    { status: 503, body: 'busy' },
    { status: 429, headers: { 'retry-after': '1' } },
  ]);
  const { sink, logs } = sinkFor(t, config(rx.url));
  const r1 = await sink.push(batch(1000, 1));
  assert.equal(r1.ok, true);
  await sink.push(batch(2000, 2));
  await waitFor('both blocks accepted', () => sink.stats().sender.requests.ok === 2, { timeoutMs: 10_000 });
  const h = rx.received[0]!.headers;
  assert.equal(h['content-encoding'], 'snappy');
  assert.equal(h['content-type'], 'application/x-protobuf');
  assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
  assert.equal(h['authorization'], 'Bearer s3cret');
  assert.equal(h['x-scope-orgid'], 'tenant-1');
  assert.match(String(h['user-agent']), /^edgepush\//);
  assert.equal(rx.received.length, 4);
  // The same block three times (503, 429, accepted), then the next one.
  assert.deepEqual(rx.received[0]!.body, rx.received[2]!.body);
  assert.notDeepEqual(rx.received[2]!.body, rx.received[3]!.body);
  assert.ok(rx.received[2]!.at - rx.received[1]!.at >= 950, 'Retry-After: 1 was honoured');
  const s = sink.stats();
  assert.deepEqual(s.sender.requests, { ok: 2, retry: 2, reject: 0 });
  assert.equal(s.sender.samplesSent, 2);
  assert.equal(s.sender.samplesRetried, 2);
  assert.equal(s.queue.pendingSamples, 0);
  assert.ok(s.sender.lastSuccessMs! > 0);
  // Logged once when failing starts, once when it recovers; never the token.
  assert.equal(logs.filter((l) => l.includes('remote write failing')).length, 1);
  assert.equal(logs.filter((l) => l.includes('remote write recovered')).length, 1);
  assert.ok(!logs.join('').includes('s3cret'));
});

test('a 400 is dropped at once with its reason logged and counted, not retried', async (t) => {
  const rx = await scriptedReceiver(t, [{ status: 400, body: 'out of order sample' }]);
  const { sink, logs } = sinkFor(t, config(rx.url));
  await sink.push(batch(1000));
  await sink.push(batch(2000));
  await waitFor('second block accepted', () => sink.stats().sender.requests.ok === 1);
  assert.equal(rx.received.length, 2);
  const s = sink.stats();
  assert.deepEqual(s.sender.requests, { ok: 1, retry: 0, reject: 1 });
  assert.equal(s.sender.samplesRejected, 1);
  assert.match(logs.find((l) => l.includes('rejected'))!, /status=400 .*out of order sample/);
});

test('an unreachable receiver is retried with backoff and the data waits on disk', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const url = rx.url;
  await new Promise<void>((resolve) => rx.server.close(() => resolve()));
  const { sink } = sinkFor(t, config(url, { backoff: { minMs: 10, maxMs: 40 } }));
  await sink.push(batch(1000));
  await waitFor('a few retries', () => sink.stats().sender.requests.retry >= 3);
  const s = sink.stats();
  assert.equal(s.queue.pendingSamples, 1);
  assert.match(s.sender.lastError!, /ECONNREFUSED/);
});

test('a sink replaced by a reload waits for the old one to close, then takes over its queue', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const url = rx.url;
  await new Promise<void>((resolve) => rx.server.close(() => resolve()));
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const old = new RemoteWriteSink('remote_write.x', config(url), { log: createLogger(), registry: new Registry(), stateDir });
  assert.equal((await old.push(batch(1000))).ok, true);
  const replacement = new RemoteWriteSink('remote_write.x', config(url), { log: createLogger(), registry: new Registry(), stateDir });
  let pushed = false;
  const p = replacement.push(batch(2000)).then((r) => ((pushed = true), r));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(pushed, false, 'the replacement waits for the old sink');
  await old.close();
  assert.equal((await p).ok, true);
  assert.equal(replacement.stats().queue.pendingSamples, 2, 'the old backlog plus the new cycle');
  await replacement.close();
});

test('after a graceful restart, series that went away meanwhile still get stale markers', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const first = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  await first.push({
    identity: { instance: 'box-1' },
    sources: [
      {
        source: 'host',
        job: 'node',
        timestampMs: 1000,
        families: [
          {
            name: 'm',
            type: 'gauge',
            samples: [
              { name: 'm', labels: { a: '1' }, value: 1 },
              { name: 'm', labels: { a: '2' }, value: 2 },
            ],
          },
        ],
      },
      { source: 'exporter.gone', job: 'gone', timestampMs: 1000, families: [{ name: 'g', type: 'gauge', samples: [{ name: 'g', labels: {}, value: 1 }] }] },
    ],
  });
  await waitFor('first cycle sent', () => first.stats().sender.requests.ok === 2);
  await first.close();
  const second = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  t.after(() => second.close());
  await second.push({
    identity: { instance: 'box-1' },
    sources: [
      { source: 'host', job: 'node', timestampMs: 2000, families: [{ name: 'm', type: 'gauge', samples: [{ name: 'm', labels: { a: '1' }, value: 1 }] }] },
    ],
  });
  // Three series: m{a="1"} fresh and m{a="2"} stale (the host's request), g stale (the removed source's).
  await waitFor('second cycle sent', () => second.stats().sender.samplesSent === 3);
  assert.equal(second.stats().sender.requests.ok, 2);
  assert.deepEqual(
    rx.received.slice(-2).map((r) => staleMarkersIn(r.body)),
    [1, 1],
  );
});

test('after a crash (the disk as the kill left it), series that went away meanwhile still get stale markers', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  const afterCrash = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  t.after(() => {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(afterCrash, { recursive: true, force: true });
  });
  const crashed = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  t.after(() => crashed.close());
  await crashed.push({
    identity: { instance: 'box-1' },
    sources: [
      {
        source: 'host',
        job: 'node',
        timestampMs: 1000,
        families: [
          {
            name: 'm',
            type: 'gauge',
            samples: [
              { name: 'm', labels: { a: '1' }, value: 1 },
              { name: 'm', labels: { a: '2' }, value: 2 },
            ],
          },
        ],
      },
      { source: 'exporter.gone', job: 'gone', timestampMs: 1000, families: [{ name: 'g', type: 'gauge', samples: [{ name: 'g', labels: {}, value: 1 }] }] },
    ],
  });
  await crashed.push({
    identity: { instance: 'box-1' },
    sources: [
      {
        source: 'host',
        job: 'node',
        timestampMs: 2000,
        families: [
          {
            name: 'm',
            type: 'gauge',
            samples: [
              { name: 'm', labels: { a: '1' }, value: 1 },
              { name: 'm', labels: { a: '2' }, value: 2 },
            ],
          },
        ],
      },
      { source: 'exporter.gone', job: 'gone', timestampMs: 2000, families: [{ name: 'g', type: 'gauge', samples: [{ name: 'g', labels: {}, value: 1 }] }] },
    ],
  });
  await waitFor('both cycles sent', () => crashed.stats().sender.samplesSent === 6);
  // The state directory as a kill -9 leaves it: no close(), nothing saved at exit.
  cpSync(stateDir, afterCrash, { recursive: true });
  const restarted = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir: afterCrash });
  t.after(() => restarted.close());
  await restarted.push({
    identity: { instance: 'box-1' },
    sources: [
      { source: 'host', job: 'node', timestampMs: 3000, families: [{ name: 'm', type: 'gauge', samples: [{ name: 'm', labels: { a: '1' }, value: 1 }] }] },
    ],
  });
  // m{a="1"} fresh, m{a="2"} stale (the host's request) and g stale (the removed source's).
  await waitFor('the restarted cycle sent', () => restarted.stats().sender.samplesSent === 3);
  assert.deepEqual(
    rx.received.slice(-2).map((r) => staleMarkersIn(r.body)),
    [1, 1],
  );
});

test('the last-series file follows changes of the series set at most once a minute, and at close', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  let nowMs = 1_000_000;
  const sink = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir, now: () => nowMs });
  t.after(() => sink.close());
  const file = path.join(sink.dir, 'last-series.json');
  const saved = () =>
    (JSON.parse(readFileSync(file, 'utf8')) as Array<[string, Array<Array<[string, string]> | Record<string, string>>]>).map(([source, series]) => [
      source,
      series.length,
    ]);
  const cycle = (series: number) =>
    sink.push({
      identity: { instance: 'box-1' },
      sources: [
        {
          source: 'host',
          job: 'node',
          timestampMs: nowMs,
          families: [{ name: 'm', type: 'gauge', samples: Array.from({ length: series }, (_, i) => ({ name: 'm', labels: { i: String(i) }, value: i })) }],
        },
      ],
    });
  await cycle(2);
  assert.deepEqual(saved(), [['host', 2]], 'the first set is written at once');
  nowMs += 15_000;
  await cycle(3);
  assert.deepEqual(saved(), [['host', 2]], 'a change within the minute waits');
  nowMs += 15_000;
  await cycle(3);
  nowMs += 30_000;
  await cycle(3);
  assert.deepEqual(saved(), [['host', 3]], 'a minute after the last write, the pending change is written');
  await cycle(4);
  await sink.close();
  assert.deepEqual(saved(), [['host', 4]], 'close writes what is pending');
});

test('a push reports the compressed bytes the receiver accepted since the previous push, not what was queued', async (t) => {
  const rx = await scriptedReceiver(t, [{ status: 503 }, { status: 503 }, { status: 503 }]);
  const { sink } = sinkFor(t, config(rx.url));
  assert.equal((await sink.push(batch(1000))).bytesSent, 0, 'nothing accepted yet');
  await waitFor('accepted after the retries', () => sink.stats().sender.requests.ok === 1);
  const report = await sink.push(batch(2000));
  assert.equal(report.bytesSent, sink.stats().sender.bytesSent);
  assert.ok(report.bytesSent > 0);
});

const tenSamples = (ts: number) => ({
  identity: { instance: 'box-1' },
  sources: [
    {
      source: 'host',
      job: 'node',
      timestampMs: ts,
      families: [{ name: 'm', type: 'gauge' as const, samples: Array.from({ length: 10 }, (_, i) => ({ name: 'm', labels: { i: String(i) }, value: i })) }],
    },
  ],
});

test('max_samples_per_second bounds how fast a backlog drains', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const { sink } = sinkFor(t, config(rx.url, { maxSamplesPerSecond: 20 }));
  const pushed = Date.now();
  for (let c = 0; c < 4; c++) await sink.push(tenSamples(1000 + c));
  await waitFor('all sent', () => sink.stats().sender.samplesSent === 40, { timeoutMs: 10_000 });
  // Counted from the first push, before which nothing was sent: the bucket holds one second of
  // samples (20) at most, so the 30th sample cannot leave before 0.5 s nor the 40th before 1 s,
  // however loaded the machine (counting from the first arrival instead would depend on its latency).
  const at = rx.received.map((r) => r.at - pushed);
  assert.ok(at[2]! >= 490 && at[3]! >= 990, `requests at ${at} ms`);
  // The burst: without it the 20th sample could not leave before 1 s either.
  assert.ok(at[1]! < 1000, `second request at ${at[1]} ms`);
});

test('the drain rate: the bound while answers are quick; after a failure a hundredth, doubled per quick answer; a slow answer halves what got through, down to what the box queues', () => {
  const rate = new DrainRate(50_000);
  assert.equal(rate.current, 50_000);
  rate.succeeded(20, 1000);
  assert.equal(rate.failed(), true, 'the first failure starts a slow start');
  assert.equal(rate.failed(), false, 'later failures of the same outage do not');
  assert.equal(rate.current, 500);
  const ramp: number[] = [];
  for (let i = 0; i < 8; i++) {
    rate.succeeded(20, 1000);
    ramp.push(rate.current);
  }
  assert.deepEqual(ramp, [1000, 2000, 4000, 8000, 16_000, 32_000, 50_000, 50_000]);
  rate.produced(80);
  rate.succeeded(5000, 1000);
  assert.equal(rate.current, 100, 'an answer far slower than usual halves what got through (1,000 samples in 5 s), not the nominal 50,000/s');
  rate.succeeded(5000, 1000);
  assert.equal(rate.current, 80, 'never below what the box queues per second: a waiting backlog does not grow');
  rate.succeeded(20, 1000);
  assert.equal(rate.current, 580, 'then it grows by the start rate per quick answer');
  rate.failed();
  assert.equal(rate.current, 500, 'a failure restarts from the start rate');
  const unbounded = new DrainRate(0);
  assert.equal(unbounded.failed(), false);
  assert.equal(unbounded.current, 0, 'max_samples_per_second = 0: no bound, no adaptation');
});

test("the drain rate judges an answer slow against the receiver's base latency (the lowest seen), which queueing there does not drag up", () => {
  const rate = new DrainRate(50_000);
  rate.succeeded(20, 1000);
  rate.failed();
  // Answers queue at the receiver for 200 ms: still quick (under 250 ms), the drain keeps growing.
  for (let i = 0; i < 20; i++) rate.succeeded(200, 1000);
  assert.equal(rate.current, 50_000);
  // An average of those answers would call 300 ms usual; against the base (about 20 ms) it is queueing.
  rate.succeeded(300, 1000);
  assert.equal(rate.current, Math.max(rate.floor, (1000 * 1000) / 300 / 2));
});

test('drain_start_rate sets where a drain starts after a failure, and the floor until the box knows what it queues; 0 turns the adaptation off', () => {
  const rate = new DrainRate(50_000, 5000);
  rate.succeeded(20, 1000);
  assert.equal(rate.failed(), true);
  assert.equal(rate.current, 5000);
  rate.succeeded(20, 1000);
  assert.equal(rate.current, 10_000, 'doubled per quick answer from the start rate');
  rate.succeeded(5000, 1000);
  rate.succeeded(50_000, 1000);
  assert.equal(rate.current, 5000, 'halved by slow answers down to the start rate, not below, while what the box queues is unknown');
  rate.produced(20_000);
  assert.equal(rate.floor, 5000, 'a box queueing more than the start rate still backs off to it');
  rate.produced(300);
  assert.equal(rate.floor, 300);
  const off = new DrainRate(50_000, 0);
  assert.equal(off.failed(), false, 'no slow start');
  assert.equal(off.current, 50_000, 'the bound right after a failure');
  off.succeeded(20, 1000);
  off.succeeded(60_000, 1000);
  assert.equal(off.current, 50_000, 'nor halved by a slow answer');
});

test('after a failure the backlog drains from a low rate, not at once', async (t) => {
  const rx = await scriptedReceiver(t, [{ status: 503, body: 'overloaded' }]);
  const { sink } = sinkFor(t, config(rx.url, { maxSamplesPerSecond: 2000 }));
  for (let c = 0; c < 8; c++) await sink.push(tenSamples(1000 + c));
  await waitFor('the backlog drained', () => sink.stats().sender.samplesSent === 80, { timeoutMs: 30_000 });
  // At the full 2,000 samples/s the retry would follow its 20-200 ms backoff; at the floor (20/s) ten samples take half a second.
  const retryAfterMs = rx.received[1]!.at - rx.received[0]!.at;
  assert.ok(retryAfterMs >= 450, `retried after ${retryAfterMs} ms`);
  assert.equal(rx.received.length, 9);
});

test('decommission sends stale markers for everything the box sent before its last stop, and waits for them', async (t) => {
  const rx = await scriptedReceiver(t, []);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const running = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  await running.push(batch(1000));
  await waitFor('sent', () => running.stats().sender.requests.ok === 1);
  await running.close();
  const purge = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  await purge.decommission({ instance: 'box' }, [], AbortSignal.timeout(5000));
  await purge.close();
  assert.equal(rx.received.length, 2);
  assert.equal(staleMarkersIn(rx.received[1]!.body), 1, 'a stale marker');
  // Nothing left to mark on a second purge.
  const again = new RemoteWriteSink('remote_write.x', config(rx.url), { log: createLogger(), registry: new Registry(), stateDir });
  await again.decommission({ instance: 'box' }, [], AbortSignal.timeout(5000));
  await again.close();
  assert.equal(rx.received.length, 2);
});
