/**
 * The fleet drill: starts the receivers, the configuration server and N
 * boxes, runs the scenarios in order and returns their measurements. Used
 * by `npm run fleet` (benchmark sizes) and by the drill test (small N).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigServer } from './config-server.ts';
import { Fleet } from './fleet.ts';
import { FleetReceivers } from './receivers.ts';
import { Sampler } from './sampler.ts';
import * as scenario from './scenarios.ts';

export const SCENARIOS = ['steady', 'outage', 'gateway', 'rollout', 'decommission'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface DrillOptions {
  boxes: number;
  intervalSeconds: number;
  workers: number;
  gateways: number;
  steadySeconds: number;
  outageSeconds: number;
  gatewayOutageSeconds: number;
  remoteConfigIntervalSeconds: number;
  /** Longest wait for the fleet to converge at any one step; what did not is listed and the run goes on. */
  patienceSeconds: number;
  /** The boxes' remote-write drain_start_rate (samples/s; 0: no adaptive drain); the agent's default when absent. */
  drainStartRate?: number;
  /** More VictoriaMetrics flags (a receiver that can be overloaded: `-maxConcurrentInserts=1`). */
  vmFlags?: string[];
  /** VictoriaMetrics held to this many cores (a CPU cgroup), as a small receiver machine; absent: no limit. */
  vmCpuCores?: number;
  scenarios: ReadonlySet<ScenarioName>;
  /** Where the boxes' files go; a temporary directory, removed afterwards, when absent. */
  root?: string;
  log: (line: string) => void;
}

export interface DrillResult {
  options: Omit<DrillOptions, 'log' | 'scenarios'>;
  startSeconds: number;
  steady?: scenario.SteadyResult;
  outage?: scenario.OutageResult;
  gateway?: scenario.GatewayOutageResult;
  rollout?: scenario.RolloutResult;
  decommission?: scenario.DecommissionResult;
  /** Instances whose groups are not each on exactly one gateway, fresh, at the end. */
  groupProblems: string[];
  /** Every wait that ran out of patience, what it waited for and how far it got. */
  notConverged: string[];
  loss: scenario.LossResult;
  perBoxPerDay: PerBoxPerDay;
}

interface PerBoxPerDay {
  /** Samples each box sends to one receiver in a day (one box-cycle's, times the cycles of a day). */
  samples: number;
  /** Bytes of one box's state directory (both queues, state files) at the end of the run. */
  stateBytes: number;
  /** Compressed bytes one box sends a day, by sink. */
  bytesBySink: Record<string, number>;
}

/** Volume per box, from what a box-cycle sent in this run, scaled to a day of cycles; disk as found at the end. */
async function perBoxPerDay(fleet: Fleet, loss: scenario.LossResult, intervalSeconds: number, gone: ReadonlySet<string>): Promise<PerBoxPerDay> {
  const stats = await fleet.stats();
  const boxes = stats.boxes.filter((b) => !gone.has(b.instance));
  const cycles = boxes.reduce((n, b) => n + b.cycles, 0);
  const cyclesPerDay = 86_400 / intervalSeconds;
  const bytesBySink: Record<string, number> = {};
  for (const b of boxes) for (const [sink, n] of Object.entries(b.sentBytes)) bytesBySink[sink] = (bytesBySink[sink] ?? 0) + (n / cycles) * cyclesPerDay;
  const box = fleet.specs.find((s) => !gone.has(s.instance))!;
  return { samples: (loss.samplesExpected / Math.max(1, loss.boxCycles)) * cyclesPerDay, stateBytes: directoryBytes(box.stateDir), bytesBySink };
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  return total;
}

/** Scenarios that need a Pushgateway tier. */
const NEEDS_GATEWAYS: readonly ScenarioName[] = ['gateway'];

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const needing = NEEDS_GATEWAYS.filter((s) => options.scenarios.has(s));
  if (options.gateways === 0 && needing.length)
    throw new Error(`fleet drill: scenario ${needing.join(', ')} needs a Pushgateway tier; run it with --gateways 1 or more, or leave it out of --scenarios`);
  const root = options.root ?? mkdtempSync(path.join(os.tmpdir(), 'edgepush-fleet-'));
  const receivers = new FleetReceivers();
  const configServer = new ConfigServer();
  const fleet = new Fleet(root, options.boxes, options.workers);
  const probes = fleet.specs.filter((_, i) => i % Math.max(1, Math.floor(options.boxes / 5)) === 0).map((s) => s.instance);
  const sampler = new Sampler(receivers, probes);
  const gone = new Set<string>();
  const ctx: scenario.DrillContext = {
    fleet,
    receivers,
    configServer,
    sampler,
    intervalSeconds: options.intervalSeconds,
    patienceMs: options.patienceSeconds * 1000,
    notConverged: [],
    log: options.log,
  };
  try {
    options.log(
      `starting receivers: ${options.gateways ? `${options.gateways} Pushgateways, Prometheus (scraping them)` : 'no Pushgateway tier'}, VictoriaMetrics and Prometheus (remote write)`,
    );
    await Promise.all([
      receivers.start(options.gateways, options.intervalSeconds, {
        ...(options.vmFlags ? { flags: options.vmFlags } : {}),
        ...(options.vmCpuCores !== undefined ? { cpuCores: options.vmCpuCores } : {}),
      }),
      configServer.start(),
    ]);
    const trustedKeysFile = path.join(root, 'trusted-keys.pem');
    configServer.writeTrustedKeys(trustedKeysFile);
    const startMs = Date.now();
    options.log(`starting ${options.boxes} boxes in ${fleet.pids.length} worker processes`);
    await fleet.start(
      {
        intervalSeconds: options.intervalSeconds,
        gateways: receivers.gateways.map((g) => g.url),
        receivers: receivers.writeUrls(),
        configServer: configServer.url,
        trustedKeysFile,
        remoteConfigIntervalSeconds: options.remoteConfigIntervalSeconds,
        failoverSeconds: Math.max(options.gatewayOutageSeconds * 3, options.intervalSeconds * 6),
        failbackSeconds: options.intervalSeconds * 6,
        ...(options.drainStartRate !== undefined ? { drainStartRate: options.drainStartRate } : {}),
      },
      startMs,
    );
    sampler.start();
    // Every box has had its first layer and a few cycles: the steady state.
    let notStarted = options.boxes;
    const started = await scenario.converge(
      ctx,
      'every box to run and apply its first layer',
      async () => {
        notStarted = (await fleet.stats()).boxes.filter((b) => b.cycles < 2 || b.remoteConfigApplied < 1).length;
        return notStarted === 0;
      },
      // Boxes start within the first interval and need two cycles: that on top of the patience.
      { timeoutMs: ctx.patienceMs + 3 * options.intervalSeconds * 1000, detail: () => `${notStarted} boxes without 2 cycles and a layer` },
    );
    const startSeconds = started ? (Date.now() - startMs) / 1000 : NaN;
    const result: Partial<DrillResult> = { startSeconds, notConverged: ctx.notConverged };
    const has = (s: ScenarioName) => options.scenarios.has(s);
    if (has('steady')) {
      options.log(`steady state for ${options.steadySeconds}s`);
      result.steady = await scenario.steadyState(ctx, options.steadySeconds);
    }
    const steadyRates = {
      requests: result.steady?.receiverSamplesPerSecond['vm']?.requestsPerSecond ?? NaN,
      samples: result.steady?.receiverSamplesPerSecond['vm']?.rate ?? NaN,
    };
    if (has('outage')) result.outage = await scenario.receiverOutage(ctx, options.outageSeconds, steadyRates);
    if (has('gateway')) result.gateway = await scenario.gatewayOutage(ctx, options.gatewayOutageSeconds, gone);
    if (has('rollout')) result.rollout = await scenario.rollout(ctx, gone);
    if (has('decommission')) result.decommission = await scenario.decommissionShare(ctx, gone, options.gateways > 0);
    const expected = fleet.specs.map((s) => s.instance).filter((i) => !gone.has(i));
    // Every box pushed again lately: within a few intervals (a loaded machine delays cycles, it does not lose groups).
    const finalCheck = () => scenario.groupProblems(ctx, expected, Date.now() - Math.max(60_000, 10 * options.intervalSeconds * 1000));
    result.groupProblems = !options.gateways
      ? []
      : ((await scenario.converge(
          ctx,
          'every group on exactly one gateway',
          async () => {
            const problems = await finalCheck();
            return problems.length === 0 ? problems : undefined;
          },
          { detail: () => 'see the groups line' },
        )) ?? (await finalCheck()));
    sampler.stop();
    // Cycles up to two intervals ago have had time to arrive (everything else is drained by now).
    const toMs = Date.now() - 2 * options.intervalSeconds * 1000;
    options.log('counting every collected sample in the receivers');
    result.loss = await scenario.checkNothingLost(ctx, startMs - 1, toMs);
    result.perBoxPerDay = await perBoxPerDay(fleet, result.loss, options.intervalSeconds, gone);
    return { options: { ...options, root }, ...result } as DrillResult;
  } finally {
    sampler.stop();
    await fleet.stop().catch(() => undefined);
    await Promise.allSettled([receivers.stop(), configServer.stop()]);
    if (!options.root) rmSync(root, { recursive: true, force: true });
  }
}
