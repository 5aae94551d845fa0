/**
 * The memory a box must give the agent, measured the way the box sees it: the
 * x64 executable started from a cold page cache (its pages evicted, as after
 * a boot) inside a memory cgroup, as systemd charges a service, so the page
 * cache it reads counts against it. By bisection, the smallest limit at which
 * it runs normally: every cycle pushed, no OOM kill, CPU at most 1.25x the
 * same run without a limit. CPU per cycle is counted from the first push on:
 * the start (a cold executable read from disk, V8 compiling the bundle) costs
 * more under a tight limit, once, and is reported beside it as the time and
 * CPU to the first push. At the disk's usual readahead (128 KB) and a large
 * one (8 MB, as some virtual disks, eMMC and RAID devices have), beside
 * node_exporter 1.5.0 measured the same way in the same run (scraped at the
 * same interval). For the unlimited run: RSS, anonymous, file-backed, the
 * cgroup's peak, and the working set over 10 s (clear_refs, then the pages
 * referenced) per mapping.
 *
 * The agent runs what the budget is for: default host collectors, self, one
 * Pushgateway, one remote-write URL (VictoriaMetrics), three small local
 * exporters. Needs root (cgroups, readahead, page cache eviction).
 *   BENCH_MEMORY_SECONDS=40 (per run), BENCH_MEMORY_INTERVAL=2 (seconds),
 *   BENCH_MEMORY_READAHEAD=128,8192 (KB), BENCH_MEMORY_RESOLUTION=4 (MiB),
 *   BENCH_MEMORY_AGENT=<path> (another build of the x64 executable, to compare
 *   against; dist/'s by default, built when out of date),
 *   BENCH_MEMORY_AT=48,52 (MiB: run at these limits instead of bisecting, to
 *   check one budget or compare builds at it; the unlimited run is then
 *   repeated after the limited ones and the two pooled as the reference, as
 *   the machine drifts over long runs), BENCH_MEMORY_PEER=0 (leave
 *   node_exporter out)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensurePeer } from '../lib/peers.ts';
import { DIST_DIR, binaryName, build, upToDate } from '../lib/build.ts';
import { PACKAGING_DIR } from '../lib/package.ts';
import { parseMapsLine } from '../../src/executable-pages.ts';
import { freePort, startPushgateway, startVictoriaMetrics } from '../../test/helpers/servers.ts';
import { MemoryCgroup, evictFromPageCache, memoryCgroupSupport, readaheadFileOf, type CgroupUsage } from './cgroup.ts';
import { procCpuTimes, procStatusBytes } from './proc-usage.ts';
import { median, mib, ratio, table } from './stats.ts';

const SECONDS = Number(process.env['BENCH_MEMORY_SECONDS'] ?? 40);
const INTERVAL = Number(process.env['BENCH_MEMORY_INTERVAL'] ?? 2);
const READAHEADS_KB = (process.env['BENCH_MEMORY_READAHEAD'] ?? '128,8192').split(',').map(Number);
const RESOLUTION = Number(process.env['BENCH_MEMORY_RESOLUTION'] ?? 4) * 1024 * 1024;
const LOWEST = 8 * 1024 * 1024;
const HIGHEST = 512 * 1024 * 1024;
const CPU_TOLERANCE = 1.25;
/**
 * CPU is read in clock ticks (10 ms): node_exporter spends ~11 ticks in a 20-s
 * run, so 1.25x of it is 3 ticks, less than a busy machine's noise; a limited
 * run may always spend this much more before it counts as slowed down.
 */
const CPU_FLOOR_SECONDS = 0.1;
const MiB = 1024 * 1024;
const FIXED_LIMITS = (process.env['BENCH_MEMORY_AT'] ?? '')
  .split(',')
  .filter((v) => v.trim() !== '')
  .map((v) => Number(v) * MiB);
const FIXED_LIMITS_LABEL = FIXED_LIMITS.map(mib).join(', ');
const WITH_PEER = process.env['BENCH_MEMORY_PEER'] !== '0';

const support = memoryCgroupSupport();
if (typeof support === 'string') {
  console.log(`skipped: ${support}`);
  process.exit(0);
}

/** One measured process: how to start it, and how the bench knows it worked this cycle. */
interface Subject {
  name: string;
  binary: string;
  args: string[];
  /** Called every interval while it runs; true when that interval's work was done. */
  cycleDone(child: ChildProcess): Promise<boolean>;
  /**
   * When the work last seen done happened (epoch ms), for a subject that runs
   * on its own clock: the looks are then moved half an interval after its
   * cycles, so that a cycle a few ms late or early is not taken for a missed
   * one and the next one counted twice.
   */
  lastDoneAtMs?(): number;
}

interface Run {
  limit: number | undefined;
  cycles: number;
  expected: number;
  cpuSeconds: number;
  /** Seconds from the start to the first interval whose work was done; NaN if none. */
  firstCycleSeconds: number;
  /** CPU spent up to then, and over the intervals after it. */
  startCpuSeconds: number;
  steadyCpuSeconds: number;
  /** The kernel's part of it (faults, reclaim): what a tight limit adds shows here first. */
  steadySystemSeconds: number;
  steadyIntervals: number;
  usage: CgroupUsage;
  exited: boolean;
  /** At the end of the run; anonymous also as the median and maximum over the looks after the first push (it moves with V8's young generation from one cycle to the next). */
  rss?: { rss: number; anon: number; anonMedian: number; anonMax: number; file: number };
  workingSet?: Map<string, number>;
}

/** Starts the subject cold in a cgroup with `limit`, runs it SECONDS, and says what it did. */
async function runOnce(subject: Subject, limit: number | undefined, withWorkingSet = false): Promise<Run> {
  evictFromPageCache(subject.binary);
  const cgroup = new MemoryCgroup(support as Exclude<typeof support, string>, limit);
  const child = cgroup.spawn(subject.binary, subject.args);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.stderr!.resume();
  const expected = Math.floor(SECONDS / INTERVAL);
  let cycles = 0;
  let cpuSeconds = 0;
  let firstCycle = NaN;
  let startCpuSeconds = NaN;
  let startSystemSeconds = NaN;
  let systemSeconds = 0;
  let rss: Run['rss'];
  const anonSeen: number[] = [];
  let workingSet: Run['workingSet'];
  try {
    const intervalMs = INTERVAL * 1000;
    let phase = performance.now();
    for (let i = 1; i <= expected; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, phase + i * intervalMs - performance.now())));
      if (exited) break;
      if (!Number.isNaN(firstCycle)) anonSeen.push(procStatusBytes(child.pid!, 'RssAnon'));
      if (await subject.cycleDone(child).catch(() => false)) {
        cycles++;
        if (Number.isNaN(firstCycle)) {
          firstCycle = i;
          ({ cpuSeconds: startCpuSeconds, systemSeconds: startSystemSeconds } = procCpuTimes(child.pid!));
          const doneAtMs = subject.lastDoneAtMs?.();
          if (doneAtMs) {
            // The next look half an interval after the next cycle: look i + 1 at done + 1.5 intervals.
            const doneAt = performance.now() - (Date.now() - doneAtMs);
            phase = doneAt + 1.5 * intervalMs - (i + 1) * intervalMs;
          }
        }
      }
      if (withWorkingSet && i === Math.floor(expected / 2)) writeFileSync(`/proc/${child.pid}/clear_refs`, '1');
      if (withWorkingSet && i === Math.floor(expected / 2) + Math.ceil(10 / INTERVAL)) workingSet = referencedByMapping(child.pid!);
    }
    if (!exited) {
      ({ cpuSeconds, systemSeconds } = procCpuTimes(child.pid!));
      const anon = procStatusBytes(child.pid!, 'RssAnon');
      anonSeen.push(anon);
      rss = {
        rss: procStatusBytes(child.pid!, 'VmRSS'),
        anon,
        anonMedian: median(anonSeen),
        anonMax: Math.max(...anonSeen),
        file: procStatusBytes(child.pid!, 'RssFile'),
      };
    }
    const usage = cgroup.usage();
    const steadyIntervals = Number.isNaN(firstCycle) ? 0 : expected - firstCycle;
    return {
      limit,
      cycles,
      expected,
      cpuSeconds,
      firstCycleSeconds: firstCycle * INTERVAL,
      startCpuSeconds,
      steadyCpuSeconds: cpuSeconds - startCpuSeconds,
      steadySystemSeconds: systemSeconds - startSystemSeconds,
      steadyIntervals,
      usage,
      exited,
      ...(rss ? { rss } : {}),
      ...(workingSet ? { workingSet } : {}),
    };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (exited ? resolve(undefined) : child.once('exit', resolve)));
    cgroup.remove();
  }
}

/** Referenced bytes per mapping (the executable, [heap], anonymous, other files) from /proc/<pid>/smaps. */
function referencedByMapping(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = parseMapsLine(line);
    if (head) {
      name = head.path === '' ? '[anonymous]' : head.path;
      continue;
    }
    const ref = /^Referenced:\s+(\d+) kB/.exec(line);
    if (ref) out.set(name, (out.get(name) ?? 0) + Number(ref[1]) * 1024);
  }
  return out;
}

/** CPU per interval after the first push (NaN when nothing was pushed or no interval followed it). */
function steadyCpuPerInterval(run: Run): number {
  return run.steadyIntervals > 0 ? run.steadyCpuSeconds / run.steadyIntervals : NaN;
}

function normal(run: Run, baseline: Run): boolean {
  const cpu = steadyCpuPerInterval(run);
  const base = steadyCpuPerInterval(baseline);
  // The floor is for a whole run; per interval it is shared out over the baseline's intervals.
  const floor = CPU_FLOOR_SECONDS / Math.max(1, baseline.steadyIntervals);
  return !run.exited && run.usage.oomKills === 0 && run.cycles >= run.expected - 1 && cpu <= Math.max(base * CPU_TOLERANCE, base + floor);
}

/** The smallest limit (to RESOLUTION) at which the subject runs normally, with the runs that showed it. */
async function smallestLimit(subject: Subject, baseline: Run): Promise<{ limit: number | undefined; runs: Run[]; baseline: Run }> {
  const runs: Run[] = [];
  if (FIXED_LIMITS.length > 0) {
    for (const limit of FIXED_LIMITS) runs.push(await runOnce(subject, limit));
    // The machine drifts over long runs (other guests, the host's caches): an
    // unlimited run on each side of the limited ones, pooled, is the reference.
    const after = await runOnce(subject, undefined);
    console.log(`${describeRun(after, baseline)} (the unlimited run again, after the limited ones)`);
    const both = pooled(baseline, after);
    const passed = runs.filter((r) => normal(r, both)).map((r) => r.limit!);
    return { limit: passed.length > 0 ? Math.min(...passed) : undefined, runs, baseline: both };
  }
  let lo = LOWEST;
  let hi = HIGHEST;
  const top = await runOnce(subject, hi);
  runs.push(top);
  if (!normal(top, baseline)) return { limit: undefined, runs, baseline };
  while (hi - lo > RESOLUTION) {
    const mid = Math.round((lo + hi) / 2 / MiB) * MiB;
    const run = await runOnce(subject, mid);
    runs.push(run);
    if (normal(run, baseline)) hi = mid;
    else lo = mid;
  }
  return { limit: hi, runs, baseline };
}

/** Two unlimited runs as one reference: their steady CPU over their intervals together. */
function pooled(a: Run, b: Run): Run {
  return {
    ...a,
    steadyCpuSeconds: a.steadyCpuSeconds + b.steadyCpuSeconds,
    steadySystemSeconds: a.steadySystemSeconds + b.steadySystemSeconds,
    steadyIntervals: a.steadyIntervals + b.steadyIntervals,
  };
}

function describeRun(run: Run, baseline: Run): string {
  const limit = run.limit === undefined ? 'none' : mib(run.limit);
  const verdict = normal(run, baseline)
    ? 'normal'
    : run.exited || run.usage.oomKills
      ? 'OOM-killed'
      : run.cycles < run.expected - 1
        ? 'missed cycles'
        : 'CPU a cycle > 1.25x';
  const perCycle = (r: Run): number => steadyCpuPerInterval(r) * 1000;
  const start = Number.isNaN(run.firstCycleSeconds) ? 'no push' : `first push by ${run.firstCycleSeconds} s (CPU ${run.startCpuSeconds.toFixed(2)} s)`;
  const system = run.steadyCpuSeconds > 0 ? ` (system ${Math.round((100 * run.steadySystemSeconds) / run.steadyCpuSeconds)}%)` : '';
  return `  limit ${limit}: ${run.cycles}/${run.expected} cycles, ${start}, then CPU ${perCycle(run).toFixed(1)} ms a cycle${system} (${ratio(perCycle(run), perCycle(baseline))}), cgroup peak ${mib(run.usage.peakBytes)}, major faults ${run.usage.majorFaults}, limit reached ${run.usage.limitHits} times: ${verdict}`;
}

async function exporterServer(i: number): Promise<Server> {
  const body = Array.from(
    { length: 40 },
    (_, j) => `# HELP demo_${i}_metric_${j} A small exporter's metric.\n# TYPE demo_${i}_metric_${j} gauge\ndemo_${i}_metric_${j}{path="/api/${j}"} ${j}\n`,
  ).join('');
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const otherAgent = process.env['BENCH_MEMORY_AGENT'];
if (!otherAgent && !upToDate(['x64'])) await build({ arches: ['x64'], log: () => {} });
const agentBinary = otherAgent || path.join(DIST_DIR, binaryName('x64'));
const nodeExporterBinary = ensurePeer('nodeExporter')['node-exporter'];
const readahead = readaheadFileOf(agentBinary);
const work = mkdtempSync(path.join(os.tmpdir(), 'edgepush-bench-memory-'));
const gateway = await startPushgateway();
const receiver = await startVictoriaMetrics();
const exporters = await Promise.all([1, 2, 3].map(exporterServer));
const originalReadahead = readahead ? readFileSync(readahead, 'utf8').trim() : undefined;
try {
  const config = path.join(work, 'edgepush.ini');
  writeFileSync(
    config,
    [
      `[agent]\ninterval = ${INTERVAL}s\ntimeout = ${Math.max(1, INTERVAL - 1)}s\nstate_dir = ${path.join(work, 'state')}\nlog_level = warn`,
      `[identity]\ninstance = bench-memory`,
      `[host]\ncollector.textfile.directory = ${work}`,
      `[pushgateway.bench]\nurl = ${gateway.url}`,
      `[remote_write.bench]\nurl = ${receiver.url}/api/v1/write`,
      ...exporters.map((s, i) => `[exporter.app${i + 1}]\nurl = http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`),
    ].join('\n') + '\n',
  );
  let lastPush = 0;
  const agent: Subject = {
    name: 'edgepush run (x64 executable)',
    binary: agentBinary,
    args: ['run', `--config.file=${config}`, `--config.defaults=${path.join(PACKAGING_DIR, 'defaults.ini')}`],
    // A cycle counts when the host group's push time moved since the last look.
    async cycleDone() {
      const body = (await (await fetch(`${gateway.url}/api/v1/metrics`)).json()) as {
        data: Array<{ labels: Record<string, string>; push_time_seconds?: { metrics: Array<{ value: string }> } }>;
      };
      const t = Number(body.data.find((g) => g.labels['job'] === 'node' && g.labels['instance'] === 'bench-memory')?.push_time_seconds?.metrics[0]?.value ?? 0);
      const moved = t > lastPush;
      lastPush = Math.max(lastPush, t);
      return moved;
    },
    lastDoneAtMs: () => lastPush * 1000,
  };
  const nePort = await freePort();
  const nodeExporter: Subject = {
    name: 'node_exporter 1.5.0',
    binary: nodeExporterBinary,
    args: [`--web.listen-address=127.0.0.1:${nePort}`],
    async cycleDone() {
      const res = await fetch(`http://127.0.0.1:${nePort}/metrics`, { signal: AbortSignal.timeout(INTERVAL * 1000) });
      await res.arrayBuffer();
      return res.ok;
    },
  };

  const plan = FIXED_LIMITS.length > 0 ? `limits ${FIXED_LIMITS_LABEL}` : `limits bisected from ${mib(LOWEST)} to ${mib(HIGHEST)} to ${mib(RESOLUTION)}`;
  console.log(`cgroup ${support.version} under ${support.parent}; ${SECONDS} s per run, every ${INTERVAL} s; ${plan}`);
  const summary: string[][] = [
    [
      'readahead',
      'process',
      'smallest normal limit',
      'vs node_exporter',
      'unlimited: cgroup peak',
      'RSS',
      'anonymous: median over the run',
      'file-backed',
      'CPU / cycle',
    ],
  ];
  for (const kb of READAHEADS_KB) {
    if (readahead) writeFileSync(readahead, String(kb));
    else if (kb !== READAHEADS_KB[0]) {
      console.log(`readahead ${kb} KB: skipped, the executable's file system has no block device queue to set`);
      continue;
    }
    const label = readahead ? `${kb} KB` : "the disk's";
    const limits: Array<number | undefined> = [];
    for (const subject of WITH_PEER ? [agent, nodeExporter] : [agent]) {
      const baseline = await runOnce(subject, undefined, true);
      console.log(`${subject.name}, readahead ${label}:`);
      console.log(describeRun(baseline, baseline));
      const { limit, runs, baseline: reference } = await smallestLimit(subject, baseline);
      if (reference !== baseline)
        console.log(`  the two unlimited runs pooled: CPU ${(steadyCpuPerInterval(reference) * 1000).toFixed(1)} ms a cycle, the reference below`);
      for (const r of runs) console.log(describeRun(r, reference));
      limits.push(limit);
      const perCycle = steadyCpuPerInterval(baseline) * 1000;
      summary.push([
        label,
        subject.name,
        limit !== undefined ? mib(limit) : FIXED_LIMITS.length > 0 ? `none of ${FIXED_LIMITS_LABEL}` : `> ${mib(HIGHEST)}`,
        subject === nodeExporter ? '1.00x' : '',
        mib(baseline.usage.peakBytes),
        mib(baseline.rss?.rss ?? NaN),
        baseline.rss ? `${mib(baseline.rss.anonMedian)} (max ${mib(baseline.rss.anonMax)}, end ${mib(baseline.rss.anon)})` : mib(NaN),
        mib(baseline.rss?.file ?? NaN),
        `${perCycle.toFixed(1)} ms`,
      ]);
      if (baseline.workingSet) {
        const top = [...baseline.workingSet]
          .filter(([, b]) => b > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6);
        console.log(`  working set over 10 s: ${top.map(([n, b]) => `${path.basename(n) || n} ${mib(b)}`).join(', ')}`);
      }
    }
    // The agent's row gets its ratio once node_exporter's limit is known.
    const agentRow = summary[summary.length - (WITH_PEER ? 2 : 1)]!;
    agentRow[3] = limits[0] !== undefined && limits[1] !== undefined ? ratio(limits[0], limits[1]) : 'n/a';
  }
  table(summary);
} finally {
  if (readahead && originalReadahead !== undefined) writeFileSync(readahead, originalReadahead);
  for (const s of exporters) s.close();
  await gateway.stop();
  await receiver.stop();
  rmSync(work, { recursive: true, force: true });
}
