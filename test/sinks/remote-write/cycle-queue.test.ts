import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { createLogger, setLogSink } from '../../../src/log.ts';
import type { Cycle } from '../../../src/sinks/remote-write/compact-block.ts';
import { CycleQueue } from '../../../src/sinks/remote-write/cycle-queue.ts';
import { DiskQueue } from '../../../src/sinks/remote-write/disk-queue.ts';
import { encodeWriteRequest, type TimeSeries } from '../../../src/sinks/remote-write/protobuf.ts';
import { splitIntoBatches } from '../../../src/sinks/remote-write/series.ts';
import { snappyUncompress } from '../../../src/sinks/remote-write/snappy.ts';
import { mountSkip, mountTmpfs, remount } from '../../helpers/mount.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const INTERVAL_MS = 15_000;
const T0 = 1_700_000_000_000;

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-cycles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Options {
  flushIntervalMs?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  chunkBytes?: number;
  maxSamples?: number;
}

class Clock {
  ms = T0;
  readonly now = (): number => this.ms;
}

function open(dir: string, clock: Clock, o: Options = {}): CycleQueue {
  const disk = DiskQueue.open({
    dir,
    maxBytes: o.maxBytes ?? 1 << 20,
    maxAgeMs: o.maxAgeMs ?? 0,
    now: clock.now,
    ...(o.chunkBytes ? { chunkBytes: o.chunkBytes } : {}),
  });
  return new CycleQueue(disk, {
    flushIntervalMs: o.flushIntervalMs ?? 60_000,
    maxAgeMs: o.maxAgeMs ?? 0,
    limits: { maxSamples: o.maxSamples ?? 3, maxBytes: 1 << 20 },
    log: createLogger(),
    now: clock.now,
  });
}

const labels = (name: string, extra: Record<string, string>): Array<readonly [string, string]> => [
  ['__name__', name],
  ['instance', 'box-1'],
  ...Object.entries(extra),
];

/** Cycle `n`: a host group of 4 series and an exporter group of 2 with their own timestamps; 6 samples, 3 requests of at most 3 samples. */
function cycle(n: number, at = T0 + n * INTERVAL_MS): Cycle {
  const host: TimeSeries[] = ['idle', 'user', 'system', 'iowait'].map((mode, i) => ({
    labels: labels('node_cpu_seconds_total', { job: 'node', mode }),
    samples: [{ value: 1000 * n + i + 0.5, timestampMs: at }],
  }));
  const exporter: TimeSeries[] = [
    { labels: labels('app_requests_total', { job: 'app' }), samples: [{ value: 7 * n, timestampMs: at - 1200 }] },
    { labels: labels('app_up', { job: 'app' }), samples: n % 2 ? [{ value: Number.NaN, timestampMs: at, stale: true }] : [{ value: 1, timestampMs: at }] },
  ];
  return {
    createdMs: at,
    groups: [
      { collectedAtMs: at, series: host },
      { collectedAtMs: at + 2, series: exporter },
    ],
  };
}

/** The uncompressed WriteRequests the per-cycle format queued for these cycles: per source, batched, in order. */
function oldPath(cycles: readonly Cycle[], maxSamples = 3): Buffer[] {
  return cycles.flatMap((c) => c.groups.flatMap((g) => splitIntoBatches(g.series, { maxSamples, maxBytes: 1 << 20 }).map((part) => encodeWriteRequest(part))));
}

/** Sends (peek + ack) everything pending; the uncompressed requests. */
function drain(q: CycleQueue): Buffer[] {
  const out: Buffer[] = [];
  for (let r = q.peek(); r; r = q.peek()) {
    out.push(snappyUncompress(r.body));
    q.ack(r);
  }
  return out;
}

/** Appends cycles `from`..`to` (inclusive), each at its own time on the clock. */
function appendCycles(q: CycleQueue, clock: Clock, from: number, to: number): Cycle[] {
  const cycles: Cycle[] = [];
  for (let n = from; n <= to; n++) {
    clock.ms = T0 + n * INTERVAL_MS;
    const c = cycle(n);
    q.append(c);
    cycles.push(c);
  }
  return cycles;
}

/** The queue directory as a kill -9 or a power cut leaves it: no close, no flush. */
function crashCopy(t: { after(fn: () => void): void }, dir: string): string {
  const copy = tmpDir(t);
  cpSync(dir, copy, { recursive: true });
  rmSync(path.join(copy, 'lock'), { force: true });
  return copy;
}

test('the requests on the wire are the ones the per-cycle format sent, whether made from memory or from a block on disk', (t) => {
  const clock = new Clock();
  const cycles = Array.from({ length: 7 }, (_, n) => cycle(n));
  const expected = oldPath(cycles);
  assert.equal(expected.length, 21);
  // Every cycle written at once (flush interval 0), sent from disk.
  let q = open(tmpDir(t), clock, { flushIntervalMs: 0 });
  for (const c of cycles) q.append(c);
  assert.equal(q.disk.pendingBlocks, 7);
  assert.deepEqual(drain(q), expected);
  q.close();
  // Every cycle still in memory.
  q = open(tmpDir(t), clock, { flushIntervalMs: 3_600_000 });
  for (const c of cycles) q.append(c);
  assert.equal(q.disk.stats().diskBytes, 0);
  assert.deepEqual(drain(q), expected);
  q.close();
  // Seven cycles in one block, after a restart.
  const dir = tmpDir(t);
  q = open(dir, clock, { flushIntervalMs: 3_600_000 });
  for (const c of cycles) q.append(c);
  q.close();
  q = open(dir, clock);
  assert.equal(q.disk.pendingBlocks, 1);
  assert.deepEqual(drain(q), expected);
  q.close();
});

test('while the receiver keeps up nothing is written; during an outage the unsent cycles are written together once per flush interval', (t) => {
  const clock = new Clock();
  const q = open(tmpDir(t), clock, { flushIntervalMs: 60_000 });
  t.after(() => q.close());
  for (let n = 0; n < 10; n++) {
    appendCycles(q, clock, n, n);
    assert.equal(drain(q).length, 3);
  }
  assert.equal(q.disk.stats().diskBytes, 0, 'sent from memory, never written');
  // Outage: cycles 10..14 wait, the one at 60 s after cycle 10 flushes all five as one block.
  appendCycles(q, clock, 10, 13);
  assert.equal(q.disk.stats().diskBytes, 0);
  assert.equal(q.stats().pendingSamples, 24);
  appendCycles(q, clock, 14, 14);
  assert.equal(q.disk.pendingBlocks, 1);
  assert.equal(q.disk.stats().pendingSamples, 30);
  appendCycles(q, clock, 15, 19);
  assert.equal(q.disk.pendingBlocks, 2);
  assert.deepEqual(drain(q), oldPath(Array.from({ length: 10 }, (_, i) => cycle(10 + i))));
});

test('a kill -9 or power cut loses at most the unsent cycles of the last flush interval; a graceful close loses nothing', (t) => {
  const clock = new Clock();
  const dir = tmpDir(t);
  const q = open(dir, clock, { flushIntervalMs: 60_000 });
  // Receiver down from the start: cycles 0..4 flushed at cycle 4 (60 s), 5..7 still in memory.
  const cycles = appendCycles(q, clock, 0, 7);
  const crashed = open(crashCopy(t, dir), clock);
  assert.deepEqual(drain(crashed), oldPath(cycles.slice(0, 5)));
  crashed.close();
  q.close();
  const reopened = open(dir, clock);
  assert.deepEqual(drain(reopened), oldPath(cycles));
  reopened.close();

  // With flush interval 0 a crash loses nothing already queued.
  const dir0 = tmpDir(t);
  const q0 = open(dir0, clock, { flushIntervalMs: 0 });
  const all = appendCycles(q0, clock, 0, 3);
  const crashed0 = open(crashCopy(t, dir0), clock);
  assert.deepEqual(drain(crashed0), oldPath(all));
  crashed0.close();
  q0.close();
});

test('a request in flight when its cycle is written to disk is acknowledged there: nothing lost, nothing sent twice', (t) => {
  const clock = new Clock();
  const q = open(tmpDir(t), clock, { flushIntervalMs: 60_000 });
  t.after(() => q.close());
  const cycles = appendCycles(q, clock, 0, 0);
  const sent: Buffer[] = [];
  let r = q.peek()!;
  sent.push(snappyUncompress(r.body));
  q.ack(r);
  r = q.peek()!;
  // The receiver is slow: cycles 1..4 arrive, the flush at cycle 4 moves cycle 0 (second request in flight) to disk.
  cycles.push(...appendCycles(q, clock, 1, 4));
  assert.equal(q.disk.pendingBlocks, 1);
  sent.push(snappyUncompress(r.body));
  q.ack(r);
  sent.push(...drain(q));
  assert.deepEqual(sent, oldPath(cycles));
});

test('the size bound drops the oldest blocks first, counted; a request of a dropped block acknowledges as a no-op', (t) => {
  const clock = new Clock();
  const q = open(tmpDir(t), clock, { flushIntervalMs: 0, maxBytes: 2048, chunkBytes: 400 });
  t.after(() => q.close());
  appendCycles(q, clock, 0, 0);
  const inFlight = q.peek()!;
  appendCycles(q, clock, 1, 39);
  const s = q.stats();
  assert.ok(s.diskBytes <= 2048, `disk bytes ${s.diskBytes}`);
  assert.ok(s.dropped.size.blocks > 0);
  assert.equal(s.dropped.size.samples, s.dropped.size.blocks * 6);
  q.ack(inFlight);
  const left = drain(q);
  const kept = 40 - s.dropped.size.blocks;
  // What is left is the newest cycles, whole and in order, the in-flight ack having skipped nothing.
  assert.deepEqual(left, oldPath(Array.from({ length: kept }, (_, i) => cycle(40 - kept + i))));
});

test('queue_max_age drops what is too old, on disk and in memory, counted', (t) => {
  const clock = new Clock();
  const q = open(tmpDir(t), clock, { flushIntervalMs: 60_000, maxAgeMs: 120_000 });
  t.after(() => q.close());
  appendCycles(q, clock, 0, 6);
  assert.equal(q.disk.pendingBlocks, 1, 'cycles 0..4 on disk, 5 and 6 in memory');
  // The block's newest cycle (4) is 135 s old at cycle 13: the block goes; cycles 5 and 6, still in memory, go too once older.
  clock.ms = T0 + 13 * INTERVAL_MS;
  assert.equal(q.dropExpired(), 1);
  assert.equal(q.stats().dropped.age.samples, 30);
  clock.ms = T0 + 15 * INTERVAL_MS;
  assert.equal(q.dropExpired(), 2);
  assert.equal(q.stats().dropped.age.samples, 42);
  assert.equal(q.peek(), undefined);
  assert.equal(q.stats().pendingSamples, 0);
});

test('recovery after a torn write or a flipped bit anywhere in a block keeps every block before it and nothing after', (t) => {
  const clock = new Clock();
  const dir = tmpDir(t);
  const q = open(dir, clock, { flushIntervalMs: 3_600_000 });
  const ends: number[] = [];
  for (let b = 0; b < 3; b++) {
    appendCycles(q, clock, 3 * b, 3 * b + 2);
    q.flush();
    ends.push(q.disk.stats().diskBytes);
  }
  q.close();
  const [chunk] = readdirSync(dir).filter((n) => /^[0-9a-f]{16}$/.test(n));
  const original = readFileSync(path.join(dir, chunk!));
  const firstBlock = oldPath(Array.from({ length: 3 }, (_, n) => cycle(n)));
  for (let pos = ends[0]!; pos < ends[1]!; pos++) {
    for (const damage of ['truncate', 'flip'] as const) {
      const copy = crashCopy(t, dir);
      const file = path.join(copy, chunk!);
      if (damage === 'truncate') truncateSync(file, pos);
      else {
        const bytes = Buffer.from(original);
        bytes[pos]! ^= 0x10;
        writeFileSync(file, bytes);
      }
      const r = open(copy, clock);
      assert.deepEqual(drain(r), firstBlock, `${damage} at ${pos}`);
      // A cut exactly at the block boundary leaves nothing torn to count.
      if (damage === 'flip' || pos > ends[0]!) assert.ok(r.stats().recoveredTruncatedBytes > 0, `${damage} at ${pos}: counted`);
      r.close();
      rmSync(copy, { recursive: true, force: true });
    }
  }
});

/** The records of a chunk in the per-cycle format: `u32 length | u32 crc | u8 version | f64 createdMs | u32 samples | body`. */
function recordBodies(chunk: Buffer): Buffer[] {
  const bodies: Buffer[] = [];
  for (let pos = 0; pos < chunk.length; ) {
    const length = chunk.readUInt32LE(pos);
    bodies.push(chunk.subarray(pos + 8 + 13, pos + 8 + length));
    pos += 8 + length;
  }
  return bodies;
}

test('a queue written before the compact format is delivered after the upgrade request for request, across a restart, before newer cycles', (t) => {
  // Written by edgepush 1f5348a (one record per request): three cycles of host and exporter
  // samples for instance box-old, at most 3 samples per request, the receiver down.
  const dir = tmpDir(t);
  cpSync(path.join(FIXTURES, 'queue-before-compact'), dir, { recursive: true });
  const old = recordBodies(readFileSync(path.join(dir, '0000000000000000')));
  assert.equal(old.length, 9);
  const clock = new Clock();
  clock.ms = T0 + 3_600_000;
  let q = open(dir, clock, { flushIntervalMs: 0 });
  assert.equal(q.stats().pendingSamples, 20);
  const sent: Buffer[] = [];
  for (let i = 0; i < 4; i++) {
    const r = q.peek()!;
    sent.push(r.body);
    q.ack(r);
  }
  const newer = cycle(1000, clock.ms);
  q.append(newer);
  q.close();
  q = open(dir, clock);
  for (let r = q.peek(); r; r = q.peek()) {
    sent.push(r.body);
    q.ack(r);
  }
  q.close();
  assert.deepEqual(sent.slice(0, 9), old, 'the old requests, as they were queued');
  assert.deepEqual(
    sent.slice(9).map((b) => snappyUncompress(b)),
    oldPath([newer]),
  );
  // And they are what the old agent was given: 20 samples of box-old, stale markers where series went away.
  const W = protobuf
    .parse(
      'syntax = "proto3"; message W { repeated S timeseries = 1; } message S { repeated L labels = 1; repeated P samples = 2; } message L { string name = 1; string value = 2; } message P { fixed64 value = 1; int64 timestamp = 2; }',
    )
    .root.lookupType('W');
  const samples = old.flatMap(
    (b) =>
      (
        W.toObject(W.decode(snappyUncompress(b)), { longs: String }) as {
          timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value: string }> }>;
        }
      ).timeseries,
  );
  assert.equal(samples.length, 20);
  assert.ok(samples.every((s) => s.labels.some((l) => l.name === 'instance' && l.value === 'box-old')));
  // The exporter's /p2 gone in the second cycle, then the whole exporter (/p0, /p1) in the third.
  assert.equal(samples.filter((s) => s.samples[0]!.value === '9218868437227405314').length, 3, 'stale markers (0x7ff0000000000002)');
});

test('a close in the middle of a block saves how far it got: the restart sends the rest; a crash sends the block again from its start', (t) => {
  const clock = new Clock();
  const dir = tmpDir(t);
  const q = open(dir, clock, { flushIntervalMs: 60_000 });
  const cycles = appendCycles(q, clock, 0, 4);
  assert.equal(q.disk.pendingBlocks, 1);
  const expected = oldPath(cycles);
  // Cycles 0 and 1 sent, and the first request of cycle 2.
  for (let i = 0; i < 7; i++) q.ack(q.peek()!);
  const crashed = open(crashCopy(t, dir), clock);
  assert.deepEqual(drain(crashed), expected, 'after a crash: the whole block again');
  crashed.close();
  q.close();
  const restarted = open(dir, clock);
  assert.deepEqual(drain(restarted), expected.slice(6), 'after a close: from the cycle that was being sent');
  restarted.close();
  // Once the block is delivered its progress is forgotten: a new block starts from its beginning.
  const again = open(dir, clock);
  const more = appendCycles(again, clock, 5, 9);
  again.close();
  const last = open(dir, clock);
  assert.deepEqual(drain(last), oldPath(more));
  last.close();
});

test('a block that passes its checksum but does not decode is dropped, counted as corrupt, and the next one is sent', (t) => {
  const clock = new Clock();
  const logs: string[] = [];
  const prev = setLogSink((line) => logs.push(line));
  t.after(() => setLogSink(prev));
  const q = open(tmpDir(t), clock, { flushIntervalMs: 0 });
  t.after(() => q.close());
  q.disk.append([{ body: Buffer.from('not a block'), samples: 5, format: 'cycles' }]);
  const c = appendCycles(q, clock, 1, 1);
  assert.deepEqual(drain(q), oldPath(c));
  assert.deepEqual(q.stats().dropped.corrupt, { blocks: 1, samples: 5, bytes: q.stats().dropped.corrupt.bytes });
  assert.ok(q.stats().dropped.corrupt.bytes > 0);
  assert.match(logs.join(''), /does not decode/);
});

test('cycles that cannot be written (read-only disk) stay in memory and are written at the next flush that can', { skip: mountSkip }, (t) => {
  const clock = new Clock();
  const dir = mountTmpfs(t, '4m');
  const q = open(path.join(dir, 'q'), clock, { flushIntervalMs: 60_000 });
  t.after(() => q.close());
  const cycles = appendCycles(q, clock, 0, 3);
  remount(dir, 'ro');
  clock.ms = T0 + 4 * INTERVAL_MS;
  cycles.push(cycle(4));
  assert.throws(() => q.append(cycles[4]!), /read-only|EROFS/);
  assert.equal(q.stats().pendingSamples, 30);
  remount(dir, 'rw');
  cycles.push(...appendCycles(q, clock, 5, 5));
  assert.equal(q.disk.pendingBlocks, 1, 'all six written at once');
  assert.deepEqual(drain(q), oldPath(cycles));
});
