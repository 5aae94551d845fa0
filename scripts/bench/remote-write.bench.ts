/**
 * Remote write, measured on this machine with this machine's host metrics
 * (the default collectors on the live /proc and /sys), side by side with
 * vmagent (Debian's victoria-metrics package) where the comparison applies:
 * - encode + snappy cost per 1,000 samples, and compressed bytes per sample;
 * - disk queue append (one fsync per cycle) and replay throughput, samples/s;
 * - disk bytes per queued sample, edgepush vs vmagent's persistent queue;
 * - the outage drill: one hour of 15 s cycles queued while the receiver
 *   (VictoriaMetrics) is down, then the time to drain the backlog once it is
 *   back, edgepush (default rate bound and unbounded) vs vmagent.
 * BENCH_RW_CYCLES (default 240 = 1 h at 15 s) scales the drill.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setLogLevel } from '../../src/log.ts';
import { createLogger } from '../../src/log.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { DEFAULT_HOST_PATHS } from '../../src/sources/host/collector.ts';
import { HostSource, resolveEnabled } from '../../src/sources/host/host-source.ts';
import { COLLECTORS } from '../../src/sources/host/registry.ts';
import { DiskQueue } from '../../src/sinks/remote-write/disk-queue.ts';
import { encodeWriteRequest } from '../../src/sinks/remote-write/protobuf.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../src/sinks/remote-write/remote-write-sink.ts';
import { countSamples, familiesToSeries, splitIntoBatches } from '../../src/sinks/remote-write/series.ts';
import { snappyCompress } from '../../src/sinks/remote-write/snappy.ts';
import { ensurePeer } from '../lib/peers.ts';
import { freePort, startVictoriaMetrics } from '../../test/helpers/servers.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { median, ratio, table } from './stats.ts';

const CYCLES = Number(process.env['BENCH_RW_CYCLES'] ?? 240);
const INTERVAL_MS = 15_000;
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

/** One cycle of host metrics, its values nudged per cycle so compression sees changing data. */
function cycleFamilies(base: MetricFamily[], cycle: number): MetricFamily[] {
  return base.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, value: s.value === 0 ? 0 : s.value + cycle * 0.37 })) }));
}

const hostFamilies = await new HostSource(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: resolveEnabled(COLLECTORS, false, new Map()) }).collect();
const identity = { instance: os.hostname(), job: 'node' };
const oneCycle = familiesToSeries(hostFamilies, identity, Date.now());
const perCycle = countSamples(oneCycle);
console.log(`host metrics on this machine: ${perCycle} samples per cycle; drill: ${CYCLES} cycles of ${INTERVAL_MS / 1000} s (${((CYCLES * INTERVAL_MS) / 3_600_000).toFixed(2)} h, ${(CYCLES * perCycle).toLocaleString('en')} samples)`);

// 1. Encode + compress.
const limits = { maxSamples: 2000, maxBytes: 4 << 20 };
const encodeTimes: number[] = [];
const compressTimes: number[] = [];
let rawBytes = 0;
let compressedBytes = 0;
for (let round = 0; round < 60; round++) {
  const series = familiesToSeries(cycleFamilies(hostFamilies, round), identity, Date.now());
  const t0 = process.hrtime.bigint();
  const bodies = splitIntoBatches(series, limits).map((b) => encodeWriteRequest(b));
  const t1 = process.hrtime.bigint();
  const compressed = bodies.map((b) => snappyCompress(b));
  const t2 = process.hrtime.bigint();
  if (round >= 10) {
    encodeTimes.push(Number(t1 - t0) / 1e3);
    compressTimes.push(Number(t2 - t1) / 1e3);
  }
  rawBytes = bodies.reduce((n, b) => n + b.length, 0);
  compressedBytes = compressed.reduce((n, b) => n + b.length, 0);
}
const per1000 = (us: number): string => `${((us * 1000) / perCycle).toFixed(0)} µs`;
console.log('\nencode + compress (median of 50 cycles)');
table([
  ['step', 'per 1,000 samples', 'bytes/sample'],
  ['protobuf encode (incl. batching)', per1000(median(encodeTimes)), (rawBytes / perCycle).toFixed(1)],
  ['snappy compress', per1000(median(compressTimes)), (compressedBytes / perCycle).toFixed(1)],
  ['total', per1000(median(encodeTimes) + median(compressTimes)), ''],
]);

// 2. Queue append and replay.
const blocksByCycle: Array<Array<{ body: Buffer; samples: number; createdMs: number }>> = [];
const t0Ms = Date.now() - CYCLES * INTERVAL_MS;
for (let c = 0; c < CYCLES; c++) {
  const ts = t0Ms + c * INTERVAL_MS;
  const series = familiesToSeries(cycleFamilies(hostFamilies, c), identity, ts);
  blocksByCycle.push(splitIntoBatches(series, limits).map((b) => ({ body: snappyCompress(encodeWriteRequest(b)), samples: countSamples(b), createdMs: ts })));
}
const qdir = tmp('queue');
const q = DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxAgeMs: 0 });
let a0 = process.hrtime.bigint();
for (const blocks of blocksByCycle) q.append(blocks);
const appendSec = Number(process.hrtime.bigint() - a0) / 1e9;
const queuedSamples = q.stats().pendingSamples;
const ourDiskBytes = q.stats().diskBytes;
q.close();
a0 = process.hrtime.bigint();
const r = DiskQueue.open({ dir: qdir, maxBytes: 1 << 30, maxAgeMs: 0 });
const recoverSec = Number(process.hrtime.bigint() - a0) / 1e9;
let replayed = 0;
for (let b = r.peek(); b; b = r.peek()) {
  replayed += b.samples;
  r.ack(b);
}
const replaySec = Number(process.hrtime.bigint() - a0) / 1e9;
r.close();
rmSync(qdir, { recursive: true, force: true });
console.log('\ndisk queue (fsync per appended cycle, per acknowledged block)');
table([
  ['operation', 'samples/s', 'per cycle'],
  ['append', Math.round(queuedSamples / appendSec).toLocaleString('en'), `${((appendSec / CYCLES) * 1000).toFixed(2)} ms`],
  ['recover (open, checksum every record)', Math.round(queuedSamples / recoverSec).toLocaleString('en'), `${((recoverSec / CYCLES) * 1000).toFixed(2)} ms`],
  ['replay (open + read + ack all)', Math.round(replayed / replaySec).toLocaleString('en'), `${((replaySec / CYCLES) * 1000).toFixed(2)} ms`],
]);

// 3 + 4. The outage drill against VictoriaMetrics, edgepush vs vmagent.
async function drillEdgepush(maxSamplesPerSecond: number): Promise<{ drainSec: number; diskBytes: number }> {
  const vm = await startVictoriaMetrics();
  const stateDir = tmp('drill');
  try {
    await vm.pause();
    const config: RemoteWriteConfig = {
      url: `${vm.url}/api/v1/write`,
      timeoutMs: 10_000,
      headers: {},
      queueMaxBytes: 1 << 30,
      queueMaxAgeMs: 0,
      maxSamplesPerSend: 2000,
      maxBytesPerSend: 4 << 20,
      backoff: { minMs: 30, maxMs: 200 },
      maxRetryAfterMs: 1000,
      maxSamplesPerSecond,
    };
    const sink = new RemoteWriteSink('remote_write.bench', config, { log: createLogger(), stateDir });
    for (let c = 0; c < CYCLES; c++) {
      const ts = t0Ms + c * INTERVAL_MS;
      await sink.push({ identity: { instance: os.hostname() }, sources: [{ source: 'host', job: 'node', timestampMs: ts, families: cycleFamilies(hostFamilies, c) }] });
    }
    const diskBytes = sink.stats().queue.diskBytes;
    const pending = sink.stats().queue.pendingSamples;
    await vm.resume();
    const start = Date.now();
    await waitFor('edgepush backlog drained', () => sink.stats().queue.pendingSamples === 0, { timeoutMs: 600_000, intervalMs: 20 });
    const drainSec = (Date.now() - start) / 1000;
    if (sink.stats().sender.samplesSent < pending) throw new Error(`sent ${sink.stats().sender.samplesSent} of ${pending}`);
    await sink.close();
    return { drainSec, diskBytes };
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
  const child = spawn(ensurePeer('victoriametrics').vmagent, [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.url=${vm.url}/api/v1/write`, `-remoteWrite.tmpDataPath=${dataDir}`, '-loggerLevel=ERROR'], { stdio: 'ignore' });
  try {
    await waitFor('vmagent', async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 30_000 });
    await vm.pause();
    for (const blocks of blocksByCycle) {
      for (const b of blocks) {
        const res = await fetch(`${url}/api/v1/write`, { method: 'POST', body: b.body, headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' } });
        if (!res.ok) throw new Error(`vmagent refused a block: ${res.status}`);
      }
    }
    // vmagent keeps some blocks in memory and the rest in its file queue; wait until its pending total stops growing.
    let last = -1;
    await waitFor('vmagent queue size stable', async () => {
      const now = await vmagentMetric(url, 'vmagent_remotewrite_pending_data_bytes');
      const stable = now > 0 && now === last;
      last = now;
      return stable;
    }, { timeoutMs: 60_000, intervalMs: 1500 });
    // What it holds for the outage, on disk or in memory (its in-memory part is lost on a crash).
    const diskBytes = Math.max(dirBytes(dataDir), last);
    await vm.resume();
    const start = Date.now();
    await waitFor('vmagent backlog drained', async () => (await vmagentMetric(url, 'vmagent_remotewrite_pending_data_bytes')) === 0, { timeoutMs: 600_000, intervalMs: 20 });
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
const samples = CYCLES * perCycle;
console.log(`\noutage drill: ${samples.toLocaleString('en')} samples queued while VictoriaMetrics was down, then drained after it came back`);
table([
  ['agent', 'queued bytes/sample', 'drain time', 'drain samples/s', 'vs vmagent'],
  ['edgepush (default max_samples_per_second=50000)', (bounded.diskBytes / samples).toFixed(2), `${bounded.drainSec.toFixed(2)} s`, Math.round(samples / bounded.drainSec).toLocaleString('en'), vmagent ? ratio(bounded.drainSec, vmagent.drainSec) : 'n/a'],
  ['edgepush (unbounded)', (unbounded.diskBytes / samples).toFixed(2), `${unbounded.drainSec.toFixed(2)} s`, Math.round(samples / unbounded.drainSec).toLocaleString('en'), vmagent ? ratio(unbounded.drainSec, vmagent.drainSec) : 'n/a'],
  ...(vmagent ? [['vmagent 1.79 (defaults)', (vmagent.diskBytes / samples).toFixed(2), `${vmagent.drainSec.toFixed(2)} s`, Math.round(samples / vmagent.drainSec).toLocaleString('en'), '1.00x']] : []),
]);
console.log(`(edgepush queue bytes/sample in the append test: ${(ourDiskBytes / queuedSamples).toFixed(2)})`);
