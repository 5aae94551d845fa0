/**
 * Remote write, measured on this machine with this machine's host metrics
 * (the default collectors on the live /proc and /sys, collected afresh every
 * cycle) plus a synthetic application exporter, side by side with vmagent
 * (Debian's victoria-metrics package) where the comparison applies:
 * - queue bytes per sample on disk: the per-cycle format (one snappy request
 *   per record, as before the compact format), the compact format, vmagent;
 * - CPU per sample (process.cpuUsage, so a busy machine colours it less than
 *   wall time): append and send, per-cycle format vs compact;
 * - bytes written to the disk for a day of outage and a healthy day, from
 *   /proc/self/io write_bytes and the block device's sectors written (the
 *   device figure includes every other process on the machine);
 * - the outage drill: an hour of 15 s cycles queued while the receiver
 *   (VictoriaMetrics) is down, then the time to drain the backlog once it is
 *   back, edgepush (default rate bound and unbounded) vs vmagent.
 * BENCH_RW_CYCLES (default 240 = 1 h at 15 s) scales everything; live host
 * collections are BENCH_RW_PAUSE_MS (default 100) apart, so host counters
 * move less than in 15 s: the "every value changes" data set is the bound on
 * the other side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { setLogLevel } from '../../src/log.ts';
import { createLogger } from '../../src/log.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { DEFAULT_HOST_PATHS } from '../../src/sources/host/machinery/collector.ts';
import { CollectorRunner, resolveEnabled } from '../../src/sources/host/machinery/collector-runner.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import type { Cycle } from '../../src/sinks/remote-write/compact-block.ts';
import { CycleQueue, cycleSamples } from '../../src/sinks/remote-write/cycle-queue.ts';
import { DiskQueue, type NewBlock } from '../../src/sinks/remote-write/disk-queue.ts';
import { encodeWriteRequest } from '../../src/sinks/remote-write/protobuf.ts';
import { DEFAULT_QUEUE_FLUSH_INTERVAL_MS, RemoteWriteSink, type RemoteWriteConfig } from '../../src/sinks/remote-write/remote-write-sink.ts';
import { countSamples, familiesToSeries, splitIntoBatches } from '../../src/sinks/remote-write/series.ts';
import { snappyCompress } from '../../src/sinks/remote-write/snappy.ts';
import { StalenessTracker } from '../../src/sinks/remote-write/staleness.ts';
import { ensurePeer } from '../lib/peers.ts';
import { freePort, startVictoriaMetrics } from '../../test/helpers/servers.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { ratio, table } from './stats.ts';

const CYCLES = Number(process.env['BENCH_RW_CYCLES'] ?? 240);
const PAUSE_MS = Number(process.env['BENCH_RW_PAUSE_MS'] ?? 100);
const INTERVAL_MS = 15_000;
const CYCLES_PER_DAY = 86_400_000 / INTERVAL_MS;
const LIMITS = { maxSamples: 2000, maxBytes: 4 << 20 };
setLogLevel('error');

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(path.join(e.parentPath, e.name)).size;
  }
  return n;
}

function tmp(name: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `edgepush-bench-${name}-`));
}

/** A typical application exporter: request counters by path and status, a latency histogram, a few gauges; seeded. */
function exporterFamilies(cycle: number): MetricFamily[] {
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const paths = ['/', '/api/v1/items', '/api/v1/users', '/login', '/logout', '/static', '/health', '/metrics', '/search', '/upload'];
  const requests = paths.flatMap((p, i) =>
    ['200', '404', '500'].map((code, k) => ({
      name: 'app_http_requests_total',
      labels: { path: p, code },
      value: Math.floor(cycle * (100 - 30 * k) * (1 + i / 3) * (0.9 + 0.2 * rand())),
    })),
  );
  const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  const histogram = paths.flatMap((p) =>
    buckets.map((le, b) => ({
      name: 'app_http_request_duration_seconds_bucket',
      labels: { path: p, le },
      value: Math.floor(cycle * 40 * Math.min(1, (b + 1) / 8)),
    })),
  );
  const gauges = Array.from({ length: 20 }, (_, i) => ({
    name: 'app_queue_depth',
    labels: { queue: `q${i}` },
    value: Math.floor(50 + 50 * Math.sin(cycle / 7 + i)),
  }));
  return [
    { name: 'app_http_requests_total', type: 'counter', samples: requests },
    { name: 'app_http_request_duration_seconds', type: 'histogram', samples: histogram },
    { name: 'app_queue_depth', type: 'gauge', samples: gauges },
    {
      name: 'process_resident_memory_bytes',
      type: 'gauge',
      samples: [{ name: 'process_resident_memory_bytes', labels: {}, value: 52_428_800 + 4096 * Math.floor(cycle / 3) }],
    },
  ];
}

/** Every non-zero value changes every cycle by an amount no double holds exactly: the worst case for the compact format. */
function nudged(base: MetricFamily[], cycle: number): MetricFamily[] {
  return base.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, value: s.value === 0 ? 0 : s.value + cycle * 0.37 })) }));
}

const host = new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: resolveEnabled(COLLECTORS, false, new Map()) });
const hostName = os.hostname();
const t0Ms = Math.floor(Date.now() / 1000) * 1000 - CYCLES * INTERVAL_MS;
const hostSnapshots: MetricFamily[][] = [];
for (let c = 0; c < CYCLES; c++) {
  hostSnapshots.push(await host.collect());
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
}

/** The cycles of a data set as the sink makes them (target labels, staleness, one group per source). */
function cyclesOf(families: (c: number) => Array<{ job: string; families: MetricFamily[] }>): Cycle[] {
  const staleness = new StalenessTracker();
  return Array.from({ length: CYCLES }, (_, c) => {
    const ts = t0Ms + c * INTERVAL_MS;
    const groups = families(c).map(({ job, families: fams }) => {
      const series = familiesToSeries(fams, { instance: hostName, job }, ts);
      return { collectedAtMs: ts, series: [...series, ...staleness.observe(job, series, ts)] };
    });
    return { createdMs: ts, groups };
  });
}
const live = cyclesOf((c) => [
  { job: 'node', families: hostSnapshots[c]! },
  { job: 'app', families: exporterFamilies(c) },
]);
const worst = cyclesOf((c) => [{ job: 'node', families: nudged(hostSnapshots[0]!, c) }]);
const perCycle = cycleSamples(live[0]!);
const liveSamples = live.reduce((n, c) => n + cycleSamples(c), 0);
console.log(
  `live data: ${perCycle} samples per cycle (host ${countSamples(live[0]!.groups[0]!.series)}, exporter ${countSamples(live[0]!.groups[1]!.series)}); ${CYCLES} cycles of ${INTERVAL_MS / 1000} s (${((CYCLES * INTERVAL_MS) / 3_600_000).toFixed(2)} h, ${liveSamples.toLocaleString('en')} samples)`,
);

/** The per-cycle format: each source's requests encoded and compressed at append, one record each. */
function perCycleBlocks(cycle: Cycle): NewBlock[] {
  return cycle.groups.flatMap((g) =>
    splitIntoBatches(g.series, LIMITS).map((part) => ({
      body: snappyCompress(encodeWriteRequest(part)),
      samples: countSamples(part),
      createdMs: cycle.createdMs,
    })),
  );
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** /proc/self/io write_bytes, and the sectors written to the device holding `dir` (every process's), in bytes. */
function writeCounters(dir: string): { process: number; device: number | undefined } {
  const io = /write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  let device: number | undefined;
  try {
    const dev = statSync(dir).dev;
    const stat = readFileSync(`/sys/dev/block/${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}/stat`, 'utf8')
      .trim()
      .split(/\s+/);
    device = Number(stat[6]) * 512;
  } catch {
    device = undefined;
  }
  return { process: Number(io?.[1] ?? 0), device };
}

interface Run {
  diskBytes: number;
  cpuMicros: number;
  wrote: { process: number; device: number | undefined };
  samples: number;
}

/** A queue under measurement: how it takes a cycle, sends what waits, and what it holds on disk. */
interface QueueUnderTest {
  append(cycle: Cycle): void;
  drain(): void;
  /** Bytes on disk once every cycle is written (the tail of an outage too, as a stop would write it). */
  diskBytes(): number;
  close(): void;
}

/**
 * Queues the cycles (a fake clock 15 s per cycle), then drains them unless
 * `drainEach` sends every cycle right after its append (a healthy receiver).
 */
function measure(label: string, cycles: readonly Cycle[], drainEach: boolean, open: (dir: string, now: () => number) => QueueUnderTest): Run {
  const dir = tmp(label);
  let now = t0Ms;
  const q = open(dir, () => now);
  const w0 = writeCounters(dir);
  const c0 = cpuMicros();
  for (const c of cycles) {
    now = c.createdMs;
    q.append(c);
    if (drainEach) q.drain();
  }
  const diskBytes = q.diskBytes();
  const w1 = writeCounters(dir);
  q.drain();
  const cpu = cpuMicros() - c0;
  q.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    diskBytes,
    cpuMicros: cpu,
    wrote: { process: w1.process - w0.process, device: w1.device === undefined ? undefined : w1.device - w0.device! },
    samples: cycles.reduce((n, c) => n + cycleSamples(c), 0),
  };
}

/** Today's format before this one: every cycle stored as its ready-to-send requests. */
function runPerCycle(cycles: readonly Cycle[], drainEach: boolean): Run {
  return measure('percycle', cycles, drainEach, (dir, now) => {
    const q = DiskQueue.open({ dir, maxBytes: 1 << 30, maxAgeMs: 0, now });
    return {
      append: (c) => q.append(perCycleBlocks(c)),
      drain: () => {
        for (let b = q.peek(); b; b = q.peek()) q.ack(b);
      },
      diskBytes: () => q.stats().diskBytes,
      close: () => q.close(),
    };
  });
}

/** The compact format: cycles in memory until the flush interval, then one block. */
function runCompact(cycles: readonly Cycle[], drainEach: boolean): Run {
  return measure('compact', cycles, drainEach, (dir, now) => {
    const q = new CycleQueue(DiskQueue.open({ dir, maxBytes: 1 << 30, maxAgeMs: 0, now }), {
      flushIntervalMs: DEFAULT_QUEUE_FLUSH_INTERVAL_MS,
      maxAgeMs: 0,
      limits: LIMITS,
      log: createLogger(),
      now,
    });
    return {
      append: (c) => void q.append(c),
      drain: () => {
        for (let r = q.peek(); r; r = q.peek()) q.ack(r);
      },
      diskBytes: () => {
        q.flush();
        return q.disk.stats().diskBytes;
      },
      close: () => q.close(),
    };
  });
}

// Warm both paths up, then measure.
runPerCycle(live.slice(0, 40), false);
runCompact(live.slice(0, 40), false);
const oldOutage = runPerCycle(live, false);
const newOutage = runCompact(live, false);
const oldHealthy = runPerCycle(live, true);
const newHealthy = runCompact(live, true);
const oldWorst = runPerCycle(worst, false);
const newWorst = runCompact(worst, false);

const perSample = (r: Run): string => (r.diskBytes / r.samples).toFixed(2);
const cpuPerSample = (r: Run): string => `${(r.cpuMicros / r.samples).toFixed(2)} µs`;
/** Scaled to a day of a 1,500-series box. */
const perDay = (bytes: number | undefined, r: Run): string =>
  bytes === undefined ? 'n/a' : `${(((bytes / r.samples) * 1500 * CYCLES_PER_DAY) / 1e6).toFixed(1)} MB`;

console.log('\nqueue format: bytes per sample on disk (outage, everything queued)');
table([
  ['data', 'per-cycle format', 'compact', 'compact vs per-cycle'],
  [`live host + exporter (${perCycle}/cycle)`, perSample(oldOutage), perSample(newOutage), ratio(newOutage.diskBytes, oldOutage.diskBytes)],
  ['host, every value changes each cycle', perSample(oldWorst), perSample(newWorst), ratio(newWorst.diskBytes, oldWorst.diskBytes)],
]);
console.log('\nCPU per sample (user + system), append then send every request');
table([
  ['case', 'per-cycle format', 'compact', 'compact vs per-cycle'],
  ['outage (queued, then drained)', cpuPerSample(oldOutage), cpuPerSample(newOutage), ratio(newOutage.cpuMicros, oldOutage.cpuMicros)],
  ['healthy (each cycle sent at once)', cpuPerSample(oldHealthy), cpuPerSample(newHealthy), ratio(newHealthy.cpuMicros, oldHealthy.cpuMicros)],
  ['outage, every value changes', cpuPerSample(oldWorst), cpuPerSample(newWorst), ratio(newWorst.cpuMicros, oldWorst.cpuMicros)],
]);
console.log(
  `\nbytes written to disk per day, scaled to a 1,500-series box (process: /proc/self/io write_bytes; device: sectors written to ${os.tmpdir()}'s device by every process meanwhile)`,
);
table([
  ['case', 'per-cycle format: process', 'device', 'compact: process', 'device', 'compact vs per-cycle (process)'],
  [
    'a day of outage',
    perDay(oldOutage.wrote.process, oldOutage),
    perDay(oldOutage.wrote.device, oldOutage),
    perDay(newOutage.wrote.process, newOutage),
    perDay(newOutage.wrote.device, newOutage),
    ratio(newOutage.wrote.process, oldOutage.wrote.process),
  ],
  [
    'a healthy day',
    perDay(oldHealthy.wrote.process, oldHealthy),
    perDay(oldHealthy.wrote.device, oldHealthy),
    perDay(newHealthy.wrote.process, newHealthy),
    perDay(newHealthy.wrote.device, newHealthy),
    ratio(newHealthy.wrote.process, oldHealthy.wrote.process),
  ],
]);
const blocksByCycle = live.map(perCycleBlocks);

// The outage drill against VictoriaMetrics, edgepush vs vmagent.
async function drillEdgepush(maxSamplesPerSecond: number): Promise<{ drainSec: number }> {
  const vm = await startVictoriaMetrics();
  const stateDir = tmp('drill');
  try {
    await vm.pause();
    const config: RemoteWriteConfig = {
      url: `${vm.url}/api/v1/write`,
      headers: {},
      queueMaxBytes: 1 << 30,
      queueMaxAgeMs: 0,
      maxSamplesPerSend: 2000,
      maxBytesPerSend: 4 << 20,
      backoff: { minMs: 30, maxMs: 200 },
      maxRetryAfterMs: 1000,
      maxSamplesPerSecond,
      http: { timeoutSeconds: 10, tlsInsecureSkipVerify: false },
    };
    // The outage's hour passes on a fake clock, so its cycles are flushed to disk as they would be; then the clock is real again.
    let fakeNow: number | undefined = t0Ms;
    const sink = new RemoteWriteSink('remote_write.bench', config, {
      log: createLogger(),
      registry: new Registry(),
      stateDir,
      now: () => fakeNow ?? Date.now(),
    });
    for (let c = 0; c < CYCLES; c++) {
      const ts = t0Ms + c * INTERVAL_MS;
      fakeNow = ts;
      await sink.push({
        identity: { instance: hostName },
        sources: [
          { source: 'host', job: 'node', timestampMs: ts, families: hostSnapshots[c]! },
          { source: 'exporter.app', job: 'app', timestampMs: ts, families: exporterFamilies(c) },
        ],
      });
    }
    fakeNow = undefined;
    const pending = sink.stats().queue.pendingSamples;
    await vm.resume();
    const start = Date.now();
    await waitFor('edgepush backlog drained', () => sink.stats().queue.pendingSamples === 0, { timeoutMs: 600_000, intervalMs: 20 });
    const drainSec = (Date.now() - start) / 1000;
    if (sink.stats().sender.samplesSent < pending) throw new Error(`sent ${sink.stats().sender.samplesSent} of ${pending}`);
    await sink.close();
    return { drainSec };
  } finally {
    await vm.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function vmagentMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + '{') || line.startsWith(name + ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function drillVmagent(): Promise<{ drainSec: number; diskBytes: number }> {
  const vm = await startVictoriaMetrics();
  const dataDir = tmp('vmagent');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ensurePeer('victoriametrics').vmagent,
    [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.url=${vm.url}/api/v1/write`, `-remoteWrite.tmpDataPath=${dataDir}`, '-loggerLevel=ERROR'],
    { stdio: 'ignore' },
  );
  try {
    await waitFor('vmagent', async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 30_000 });
    await vm.pause();
    for (const blocks of blocksByCycle) {
      for (const b of blocks) {
        const res = await fetch(`${url}/api/v1/write`, {
          method: 'POST',
          body: b.body,
          headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
        });
        if (!res.ok) throw new Error(`vmagent refused a block: ${res.status}`);
      }
    }
    // vmagent keeps some blocks in memory and the rest in its file queue; wait until its pending total stops growing.
    let last = -1;
    await waitFor(
      'vmagent queue size stable',
      async () => {
        const now = await vmagentMetric(url, 'vmagent_remotewrite_pending_data_bytes');
        const stable = now > 0 && now === last;
        last = now;
        return stable;
      },
      { timeoutMs: 60_000, intervalMs: 1500 },
    );
    // What it holds for the outage, on disk or in memory (its in-memory part is lost on a crash).
    const diskBytes = Math.max(dirBytes(dataDir), last);
    await vm.resume();
    const start = Date.now();
    await waitFor('vmagent backlog drained', async () => (await vmagentMetric(url, 'vmagent_remotewrite_pending_data_bytes')) === 0, {
      timeoutMs: 600_000,
      intervalMs: 20,
    });
    const drainSec = (Date.now() - start) / 1000;
    return { drainSec, diskBytes };
  } finally {
    child.kill('SIGKILL');
    await vm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const bounded = await drillEdgepush(50_000);
const unbounded = await drillEdgepush(0);
let vmagent: { drainSec: number; diskBytes: number } | undefined;
try {
  vmagent = await drillVmagent();
} catch (err) {
  console.log(`(vmagent drill failed: ${(err as Error).message})`);
}
const samples = liveSamples;
console.log(`\noutage drill: ${samples.toLocaleString('en')} samples queued while VictoriaMetrics was down, then drained after it came back`);
table([
  ['agent', 'queued bytes/sample', 'drain time', 'drain samples/s', 'vs vmagent'],
  [
    'edgepush (default max_samples_per_second=50000)',
    perSample(newOutage),
    `${bounded.drainSec.toFixed(2)} s`,
    Math.round(samples / bounded.drainSec).toLocaleString('en'),
    vmagent ? ratio(bounded.drainSec, vmagent.drainSec) : 'n/a',
  ],
  [
    'edgepush (unbounded)',
    perSample(newOutage),
    `${unbounded.drainSec.toFixed(2)} s`,
    Math.round(samples / unbounded.drainSec).toLocaleString('en'),
    vmagent ? ratio(unbounded.drainSec, vmagent.drainSec) : 'n/a',
  ],
  ...(vmagent
    ? [
        [
          'vmagent 1.79 (defaults)',
          (vmagent.diskBytes / samples).toFixed(2),
          `${vmagent.drainSec.toFixed(2)} s`,
          Math.round(samples / vmagent.drainSec).toLocaleString('en'),
          '1.00x',
        ],
      ]
    : []),
]);
const days = (bytesPerSample: number, series: number): string => ((256 * 1024 * 1024) / (bytesPerSample * series * CYCLES_PER_DAY)).toFixed(1);
console.log(
  `\ndays of outage in the default queue_max_size (256 MiB) at 15 s: 1,500 series ${days(newOutage.diskBytes / newOutage.samples, 1500)} (per-cycle format ${days(oldOutage.diskBytes / oldOutage.samples, 1500)}), 5,000 series ${days(newOutage.diskBytes / newOutage.samples, 5000)}`,
);
