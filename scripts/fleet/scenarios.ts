/**
 * The drill's scenarios, each against the running fleet and receivers, each
 * returning its measurements: steady state, a remote-write receiver outage
 * and return, a Pushgateway restart, a configuration roll-out, and the
 * decommission of a share of the boxes.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { percentile } from '../bench/stats.ts';
import { promQuery } from '../../test/helpers/servers.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import type { ConfigServer } from './config-server.ts';
import type { Fleet, FleetStats } from './fleet.ts';
import type { Collected } from './protocol.ts';
import type { FleetReceivers } from './receivers.ts';
import type { Sampler } from './sampler.ts';

export interface DrillContext {
  fleet: Fleet;
  receivers: FleetReceivers;
  configServer: ConfigServer;
  sampler: Sampler;
  intervalSeconds: number;
  /** Upper bound on any one wait for the fleet to converge (a loaded machine is slow, not wrong). */
  patienceMs: number;
  /** What did not converge within its patience, one line each: the run goes on and reports it. */
  notConverged: string[];
  log: (line: string) => void;
}

/**
 * Polls `probe` for up to `timeoutMs` (the drill's patience by default); when
 * it never holds, records `what` (and the probe's last detail) as not
 * converged and returns undefined, so a scenario always ends and reports.
 */
export async function converge<T>(
  ctx: DrillContext,
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {},
): Promise<T | undefined> {
  const timeoutMs = options.timeoutMs ?? ctx.patienceMs;
  try {
    return await waitFor(what, probe, { timeoutMs, intervalMs: options.intervalMs ?? 1000 });
  } catch (err) {
    const detail = options.detail?.() || (err as Error).message;
    ctx.notConverged.push(`${what} (within ${Math.round(timeoutMs / 1000)} s): ${detail}`);
    ctx.log(`NOT CONVERGED: ${what}: ${detail}`);
    return undefined;
  }
}

const JOBS = ['node', 'app', 'edgepush'];
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const live = (stats: FleetStats, gone: ReadonlySet<string>) => stats.boxes.filter((b) => !gone.has(b.instance));

export interface SteadyResult {
  seconds: number;
  /** Cycle collected → every sink acknowledged, by the gateway the box pushes to. */
  pushMs: Record<string, { boxes: number; p50: number; p99: number }>;
  /** CPU share of one core and RSS of each server. */
  processes: Record<string, { cpuCores: number; rssBytes: number }>;
  scrapeSeconds: Record<string, number>;
  /** Collection → queryable, per receiver. */
  lagMs: Record<string, { p50: number; p99: number }>;
  /** Samples/s each receiver took, and per core of its CPU. */
  receiverSamplesPerSecond: Record<string, { rate: number; perCore: number; requestsPerSecond: number }>;
  agentCpuMsPerBoxCycle: number;
  workersRssBytes: number;
}

export async function steadyState(ctx: DrillContext, seconds: number): Promise<SteadyResult> {
  const begin = await ctx.fleet.stats();
  const c0 = await ctx.receivers.counters();
  await delay(seconds * 1000);
  const end = await ctx.fleet.stats();
  const c1 = await ctx.receivers.counters();
  const elapsed = (c1.atMs - c0.atMs) / 1000;
  const byGateway = new Map<string, { boxes: number; all: number[] }>();
  for (const b of end.boxes) {
    const gw = ctx.receivers.gateways.length ? ctx.receivers.gatewayName(b.gateway ?? '?') : 'no tier';
    const entry = byGateway.get(gw) ?? { boxes: 0, all: [] };
    entry.boxes++;
    entry.all.push(...b.pushMs);
    byGateway.set(gw, entry);
  }
  const pushMs = Object.fromEntries([...byGateway].sort().map(([gw, e]) => [gw, { boxes: e.boxes, p50: percentile(e.all, 50), p99: percentile(e.all, 99) }]));
  const processes: SteadyResult['processes'] = {};
  for (const [name, p1] of Object.entries(c1.processes)) {
    const p0 = c0.processes[name];
    if (p0) processes[name] = { cpuCores: (p1.cpuSeconds - p0.cpuSeconds) / elapsed, rssBytes: p1.rssBytes };
  }
  const lagMs: SteadyResult['lagMs'] = {};
  for (const receiver of ['vm', 'prom']) {
    const lags = ctx.sampler.arrivals.filter((a) => a.receiver === receiver && a.atMs >= c0.atMs && a.atMs <= c1.atMs).map((a) => a.lagMs);
    lagMs[receiver] = { p50: percentile(lags, 50), p99: percentile(lags, 99) };
  }
  const receiverSamplesPerSecond: SteadyResult['receiverSamplesPerSecond'] = {};
  for (const receiver of ['vm', 'prom']) {
    const rate = (c1.writes[receiver]!.samples - c0.writes[receiver]!.samples) / elapsed;
    receiverSamplesPerSecond[receiver] = {
      rate,
      perCore: rate / Math.max(1e-6, processes[receiver]?.cpuCores ?? NaN),
      requestsPerSecond: (c1.writes[receiver]!.requests - c0.writes[receiver]!.requests) / elapsed,
    };
  }
  const boxCycles = sum(end.boxes.map((b) => b.cycles)) - sum(begin.boxes.map((b) => b.cycles));
  return {
    seconds: elapsed,
    pushMs,
    processes,
    scrapeSeconds: await ctx.receivers.scrapeDurations(),
    lagMs,
    receiverSamplesPerSecond,
    agentCpuMsPerBoxCycle: ((end.cpuSeconds - begin.cpuSeconds) * 1000) / Math.max(1, boxCycles),
    workersRssBytes: end.rssBytes,
  };
}

export interface OutageResult {
  outageSeconds: number;
  /** Receiver back → every box's backlog drained. */
  drainSeconds: number;
  peakRequestsPerSecond: number;
  steadyRequestsPerSecond: number;
  peakSamplesPerSecond: number;
  steadySamplesPerSecond: number;
  /** Requests the boxes retried after the receiver was back (429, 5xx, timeouts, refused). */
  retriesAfterReturn: number;
  /** Error answers the receiver counted for writes after its return (503 when its insert queue is full); retries beyond them timed out. */
  receiverErrors: number;
  samplesLost: number;
  /** Worst freshness of the probe boxes in this receiver during the drain, and the same in the other receiver. */
  worstStaleDuringDrainMs: number;
  otherReceiverWorstStaleMs: number;
  /** Receiver back → the probe boxes' newest data in it at most two intervals (and 5 s) old again (NaN: not while the drill watched). */
  freshAgainSeconds: number;
  /** Median and slowest answer of the receiver to the probes' query during the drain (a dashboard's view of it). */
  medianQueryMsDuringDrain: number;
  worstQueryMsDuringDrain: number;
  queriesDuringDrain: number;
  /** The receiver's CPU during the drain, in cores, and the share of scheduler periods it spent throttled at its quota (NaN: no limit). */
  receiverCpuCores: number;
  receiverThrottledShare: number;
  /** What the boxes held for the receiver at the end of the outage, before its return: per box, the mean and the largest. */
  backlog: { samplesPerBox: number; queueBytesPerBox: number; largestQueueBytes: number };
}

/** The remote-write receiver (VictoriaMetrics) down for `seconds`, then back. */
export async function receiverOutage(ctx: DrillContext, seconds: number, steady: { requests: number; samples: number }): Promise<OutageResult> {
  const gone = new Set<string>();
  ctx.log(`receiver outage: VictoriaMetrics down for ${seconds}s`);
  await ctx.receivers.vm.pause();
  await delay(seconds * 1000);
  const held = live(await ctx.fleet.stats(), gone).map((b) => b.remoteWrite['vm']!);
  const backlog = {
    samplesPerBox: sum(held.map((q) => q.pendingSamples)) / Math.max(1, held.length),
    queueBytesPerBox: sum(held.map((q) => q.queueBytes)) / Math.max(1, held.length),
    largestQueueBytes: Math.max(0, ...held.map((q) => q.queueBytes)),
  };
  ctx.log(
    `end of outage: ${Math.round(backlog.samplesPerBox)} samples and ${Math.round(backlog.queueBytesPerBox)} queue bytes per box (largest ${backlog.largestQueueBytes})`,
  );
  await ctx.receivers.vm.resume();
  const backMs = Date.now();
  const atBack = await ctx.fleet.stats();
  const c0 = await ctx.receivers.counters();
  ctx.log('receiver back; waiting for every backlog to drain');
  // Drained: nothing pending was collected before the receiver came back (but for the cycle under way then).
  // A fixed age bound would call a backlog younger than itself drained at once: an outage of two intervals, at a long interval.
  let last = atBack;
  const backlogged = (s: FleetStats) => live(s, gone).filter((b) => b.remoteWrite['vm']!.oldestAgeSeconds > (s.atMs - backMs) / 1000 + ctx.intervalSeconds + 5);
  const done = await converge(
    ctx,
    'every box to drain its VictoriaMetrics backlog',
    async () => {
      last = await ctx.fleet.stats();
      return backlogged(last).length === 0 && last;
    },
    {
      detail: () =>
        `${backlogged(last).length} boxes still backlogged, ${sum(backlogged(last).map((b) => b.remoteWrite['vm']!.pendingSamples))} samples pending`,
    },
  );
  const drained = done ?? last;
  const drainSeconds = done ? (drained.atMs - backMs) / 1000 : NaN;
  const c1 = await ctx.receivers.counters();
  // Fresh data is queued behind the backlog (one request in flight, oldest first): it is queryable again only after the drain.
  const freshMs = (2 * ctx.intervalSeconds + 5) * 1000;
  const freshAt = await converge(
    ctx,
    'the probe boxes fresh in VictoriaMetrics again',
    async () => ctx.sampler.freshness.find((f) => f.receiver === 'vm' && f.atMs >= backMs && f.staleMs <= freshMs),
    { detail: () => `newest probe data ${Math.round((ctx.sampler.freshness.filter((f) => f.receiver === 'vm').at(-1)?.staleMs ?? NaN) / 1000)} s old` },
  );
  const rates = ctx.sampler.rates('vm', backMs - 1000, drained.atMs + 1000);
  const stale = (receiver: string) =>
    Math.max(0, ...ctx.sampler.freshness.filter((f) => f.receiver === receiver && f.atMs >= backMs && f.atMs <= drained.atMs).map((f) => f.staleMs));
  const retried = (s: FleetStats) => sum(s.boxes.map((b) => b.remoteWrite['vm']!.retriedRequests));
  const inDrain = ctx.sampler.freshness.filter((f) => f.receiver === 'vm' && f.atMs >= backMs && f.atMs <= drained.atMs);
  const elapsed = (c1.atMs - c0.atMs) / 1000;
  const vmCpu = (c: typeof c0) => c.processes['vm']?.cpuSeconds ?? NaN;
  const throttled = c0.vmCpu && c1.vmCpu ? (c1.vmCpu.throttledPeriods - c0.vmCpu.throttledPeriods) / Math.max(1, c1.vmCpu.periods - c0.vmCpu.periods) : NaN;
  return {
    outageSeconds: seconds,
    drainSeconds,
    peakRequestsPerSecond: Math.max(0, ...rates.map((r) => r.requests)),
    steadyRequestsPerSecond: steady.requests,
    peakSamplesPerSecond: Math.max(0, ...rates.map((r) => r.samples)),
    steadySamplesPerSecond: steady.samples,
    retriesAfterReturn: retried(drained) - retried(atBack),
    receiverErrors: c1.writes['vm']!.errors - c0.writes['vm']!.errors,
    samplesLost: sum(drained.boxes.map((b) => b.remoteWrite['vm']!.droppedSamples)),
    worstStaleDuringDrainMs: stale('vm'),
    otherReceiverWorstStaleMs: stale('prom'),
    freshAgainSeconds: freshAt ? (freshAt.atMs - backMs) / 1000 : NaN,
    medianQueryMsDuringDrain: percentile(
      inDrain.map((f) => f.queryMs),
      50,
    ),
    worstQueryMsDuringDrain: Math.max(0, ...inDrain.map((f) => f.queryMs)),
    queriesDuringDrain: inDrain.length,
    receiverCpuCores: (vmCpu(c1) - vmCpu(c0)) / elapsed,
    receiverThrottledShare: throttled,
    backlog,
  };
}

export interface GatewayOutageResult {
  gateway: string;
  boxesOnIt: number;
  /** Gateway back (empty: no persistence) → every group of every box pushed again and on one gateway, as Prometheus sees it. */
  recoverySeconds: number;
  /** Boxes with groups on more than one gateway, missing, or not pushed since the gateway came back, at the end of the wait. */
  staleOrDuplicate: number;
}

/**
 * Every box's groups (node, app, edgepush) on exactly one gateway, each
 * pushed since `sinceMs`: the instances that are not so. A copy left on a
 * gateway the box no longer uses shows as a second gateway; a box that
 * stopped pushing, as an old push.
 */
export async function groupProblems(ctx: DrillContext, expected: readonly string[], sinceMs: number): Promise<string[]> {
  const byGateway = await ctx.receivers.groupsByGateway();
  const problems: string[] = [];
  for (const instance of expected) {
    const on = [...byGateway].filter(([, m]) => m.has(instance));
    if (on.length !== 1) {
      problems.push(`${instance} on ${on.length} gateways`);
      continue;
    }
    const entry = on[0]![1].get(instance)!;
    if (JOBS.some((j) => !entry.jobs.has(j))) problems.push(`${instance} lacks a group (has ${[...entry.jobs].join(',')})`);
    else if (entry.oldestPushMs < sinceMs) problems.push(`${instance} last pushed ${((Date.now() - entry.oldestPushMs) / 1000).toFixed(0)}s ago`);
  }
  return problems;
}

/** One gateway of the tier restarted (down for `seconds`, shorter than failover_after: nobody moves), losing its groups. */
export async function gatewayOutage(ctx: DrillContext, seconds: number, gone: ReadonlySet<string>): Promise<GatewayOutageResult> {
  const gw = ctx.receivers.gateways[0]!;
  const expected = ctx.fleet.specs.map((s) => s.instance).filter((i) => !gone.has(i));
  const before = await ctx.fleet.stats();
  const boxesOnIt = before.boxes.filter((b) => b.gateway?.startsWith(gw.url)).length;
  ctx.log(`gateway outage: gw1 (${boxesOnIt} boxes) down for ${seconds}s`);
  await gw.pause();
  await delay(seconds * 1000);
  await gw.resume();
  const backMs = Date.now();
  let last: string[] = [];
  await converge(
    ctx,
    'every group back on its gateway after the gateway restart',
    async () => {
      last = await groupProblems(ctx, expected, backMs);
      return last.length === 0;
    },
    { intervalMs: 500, detail: () => `${last.length} boxes: ${last.slice(0, 5).join('; ')}` },
  );
  const recoverySeconds = (Date.now() - backMs) / 1000;
  return { gateway: 'gw1', boxesOnIt, recoverySeconds: last.length ? NaN : recoverySeconds, staleOrDuplicate: last.length };
}

export interface RolloutResult {
  /** Published → every box applied the new layer. */
  convergedSeconds: number;
  /** Published → half the boxes applied it. */
  halfSeconds: number;
  peakRequestsPerSecond: number;
  notApplied: number;
}

export async function rollout(ctx: DrillContext, gone: ReadonlySet<string>): Promise<RolloutResult> {
  const before = new Map((await ctx.fleet.stats()).boxes.map((b) => [b.instance, b.remoteConfigApplied]));
  const publishedMs = Date.now();
  const version = ctx.configServer.publish();
  ctx.log(`configuration roll-out: layer v${version} published`);
  let halfMs = NaN;
  let notApplied = before.size;
  await converge(
    ctx,
    'every box to apply the new layer',
    async () => {
      const boxes = live(await ctx.fleet.stats(), gone);
      notApplied = boxes.filter((b) => b.remoteConfigApplied <= (before.get(b.instance) ?? 0)).length;
      if (Number.isNaN(halfMs) && notApplied <= boxes.length / 2) halfMs = Date.now();
      return notApplied === 0;
    },
    { intervalMs: 500, detail: () => `${notApplied} boxes have not applied it` },
  );
  return {
    convergedSeconds: notApplied ? NaN : (Date.now() - publishedMs) / 1000,
    halfSeconds: (halfMs - publishedMs) / 1000,
    peakRequestsPerSecond: ctx.configServer.peakRate(publishedMs),
    notApplied,
  };
}

export interface DecommissionResult {
  boxes: number;
  failures: string[];
  /** Decommission started → none of their groups left on any gateway (as Prometheus sees it; absent without a tier), and no series in each receiver. */
  goneSeconds: Record<string, number>;
}

/** A tenth of the boxes (at least one), spread over the fleet, decommissioned as the package purge does (agent stopped, `edgepush decommission`). */
export async function decommissionShare(ctx: DrillContext, gone: Set<string>, hasTier: boolean): Promise<DecommissionResult> {
  const specs = ctx.fleet.specs;
  const count = Math.max(1, Math.round(specs.length / 10));
  const victims = Array.from({ length: count }, (_, k) => specs[Math.floor(((k + 1) * specs.length) / count) - 1]!.instance);
  ctx.log(`decommission: ${victims.length} boxes`);
  const startedMs = Date.now();
  const failures = await ctx.fleet.decommission(victims);
  for (const v of victims) gone.add(v);
  const selector = `{instance=~"${victims.join('|')}"}`;
  const checks: Record<string, () => Promise<boolean>> = {
    ...(hasTier ? { gateways: async () => [...(await ctx.receivers.groupsByGateway()).values()].every((m) => victims.every((v) => !m.has(v))) } : {}),
    vm: async () => (await promQuery(ctx.receivers.vm.url, `count(${selector})`)).length === 0,
    prom: async () => (await promQuery(ctx.receivers.prom.url, `count(${selector})`)).length === 0,
  };
  const goneSeconds: Record<string, number> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const ok = await converge(ctx, `decommissioned boxes gone from ${name}`, check, { intervalMs: 500 });
      goneSeconds[name] = ok ? (Date.now() - startedMs) / 1000 : NaN;
    }),
  );
  return { boxes: victims.length, failures, goneSeconds };
}

export interface LossResult {
  /** The window checked: samples collected with a timestamp in (fromMs, toMs]. */
  fromMs: number;
  toMs: number;
  samplesExpected: number;
  /** Running boxes with samples in the window (every one is compared, per instance). */
  boxesChecked: number;
  /** Box-cycles in the window (source results of one box's cycle count once). */
  boxCycles: number;
  /** Boxes whose collected samples in the window differ from what the receiver holds, by receiver. */
  mismatched: Record<string, string[]>;
  /** Samples the boxes' queues dropped (full, too old, rejected, corrupt). */
  dropped: number;
}

/**
 * Every sample every running box collected in (fromMs, toMs] is in each
 * receiver, compared per instance with what the boxes collected (their
 * cycles' own records). VictoriaMetrics counts every sample; Prometheus 2.x
 * cannot count across metric names (count_over_time drops the name and the
 * series then clash), so there every source result's `up` is counted: each
 * source goes in requests of its own, taken whole or not at all. Polled: the
 * last cycles may still be on their way.
 */
export async function checkNothingLost(ctx: DrillContext, fromMs: number, toMs: number): Promise<LossResult> {
  const collected = await ctx.fleet.collected(fromMs, toMs);
  const range = `[${toMs - fromMs}ms]`;
  const checks = [
    { receiver: 'vm', url: ctx.receivers.vm.url, selector: '{instance=~"box-.+"}', want: (c: Collected) => c.samples },
    { receiver: 'prom', url: ctx.receivers.prom.url, selector: 'up{instance=~"box-.+"}', want: (c: Collected) => c.results },
  ];
  const mismatched: Record<string, string[]> = {};
  for (const { receiver, url, selector, want } of checks) {
    let found = new Map<string, number>();
    const short = () => [...collected].filter(([i, c]) => (found.get(i) ?? 0) !== want(c)).length;
    await converge(
      ctx,
      `every collected sample in ${receiver}`,
      async () => {
        const rows = await promQuery(url, `sum by (instance) (count_over_time(${selector}${range}))`, toMs / 1000);
        found = new Map(rows.map((r) => [r.metric['instance']!, Number(r.value[1])]));
        return short() === 0;
      },
      { intervalMs: 2000, detail: () => `${short()} boxes short` },
    );
    mismatched[receiver] = [...collected]
      .filter(([i, c]) => (found.get(i) ?? 0) !== want(c))
      .map(([i, c]) => `${i}: collected ${want(c)}, found ${found.get(i) ?? 0}`);
  }
  const stats = await ctx.fleet.stats();
  return {
    fromMs,
    toMs,
    samplesExpected: sum([...collected.values()].map((c) => c.samples)),
    boxesChecked: [...collected.values()].filter((c) => c.samples > 0).length,
    boxCycles: sum([...collected.values()].map((c) => c.cycles)),
    mismatched,
    dropped: sum(stats.boxes.flatMap((b) => Object.values(b.remoteWrite).map((r) => r.droppedSamples))),
  };
}
