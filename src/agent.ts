/**
 * The cycle: every `interval`, collect every source concurrently (each within
 * its timeout, each isolated) and hand the batch to every sink concurrently
 * (each in its own runner, so a slow gateway delays nothing else). A sink gets
 * the batch as the cycle starts and each source's result as soon as it is
 * collected: a Pushgateway pushes that source's group then, so a slow
 * exporter delays only its own group.
 *
 * Cadence: cycles start at fixed points in time, epoch-aligned and offset by a
 * stable per-box amount (splay) so a fleet spreads its pushes; a cycle whose
 * start finds the previous collection still running is skipped and counted,
 * never stacked. SIGHUP reloads (an invalid config is refused and the running
 * one kept); SIGTERM/SIGINT let in-flight pushes finish within
 * shutdown_timeout.
 */
import type { AgentConfig } from './config/config.ts';
import { splayOffsetMs } from './config/identity.ts';
import { createLogger, setLogLevel, type Logger } from './log.ts';
import type { Labels } from './model/family.ts';
import { SINK_KINDS } from './sinks/kinds.ts';
import type { Batch, IncomingBatch, PushReport, SourceResult } from './model/batch.ts';
import type { Sink, SinkContext } from './sinks/sink.ts';
import { SinkRunner } from './sinks/sink-runner.ts';
import { StateLog } from './state-log.ts';
import { buildSources } from './sources/build.ts';
import { SelfMetrics } from './self-metrics.ts';
import { runSource, startOrder, type Source } from './sources/source.ts';
import { startTimer, type Timer } from './timer.ts';

export interface AgentOptions {
  config: AgentConfig;
  /** Reads the configuration again (SIGHUP); throws to refuse the new one. */
  reloadConfig?: () => AgentConfig;
  log?: Logger;
  /** Called after each scheduled cycle's collection (tests, benchmarks). */
  onCycle?: (outcome: CycleOutcome) => void;
}

export interface CycleOutcome {
  /** When the cycle started, ms since the epoch. */
  startedMs: number;
  cycle: number;
  results: SourceResult[];
  /** Milliseconds from cycle start to every source collected. */
  collectMs: number;
  /** Resolves with each sink's report once every sink has acknowledged this batch (or failed). */
  pushed: Promise<Map<string, PushReport>>;
}

export function identityLabels(config: AgentConfig): Labels {
  return { ...config.labels, instance: config.identity.instance };
}

function createSink(sinkConfig: AgentConfig['sinks'][number], ctx: SinkContext): Sink {
  const kind = SINK_KINDS.find((k) => k.section === sinkConfig.kind);
  if (!kind) throw new Error(`no sink kind ${sinkConfig.kind}`);
  return kind.create(sinkConfig.name, sinkConfig.config, ctx);
}

export class Agent {
  readonly metrics = new SelfMetrics();
  private config: AgentConfig;
  private readonly reloadConfig: (() => AgentConfig) | undefined;
  private readonly onCycle: ((outcome: CycleOutcome) => void) | undefined;
  private readonly log: Logger;
  private readonly sourceStates: StateLog;
  private sources: Source[] = [];
  private runners = new Map<string, SinkRunner>();
  private readonly shutdown = new AbortController();
  private timer: Timer | undefined;
  private collecting: Promise<unknown> | undefined;
  private cycleNo = 0;
  private stopping = false;
  private noSinkWarned = false;
  private firstCycleOffGrid = false;

  constructor(options: AgentOptions) {
    this.config = options.config;
    this.reloadConfig = options.reloadConfig;
    this.onCycle = options.onCycle;
    this.log = options.log ?? createLogger();
    this.sourceStates = new StateLog(this.log);
    this.apply(options.config);
  }

  get currentConfig(): AgentConfig {
    return this.config;
  }

  /** The stable offset of this box's cycles within the interval. */
  get splayMs(): number {
    const intervalMs = this.config.agent.intervalSeconds * 1000;
    if (!this.config.agent.splay) return 0;
    const labels = identityLabels(this.config);
    return splayOffsetMs(
      Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(','),
      intervalMs,
    );
  }

  /** Runs a first cycle now, then one at every aligned tick. */
  start(): void {
    this.log.info('starting', {
      instance: this.config.identity.instance,
      interval: `${this.config.agent.intervalSeconds}s`,
      splay: `${this.splayMs}ms`,
      sources: this.sources.map((s) => s.id).join(','),
      sinks: [...this.runners.keys()].join(','),
    });
    this.firstCycleOffGrid = true;
    this.tick();
  }

  /** When the next cycle starts after `now`: a multiple of the interval plus the splay, so cadence never drifts. */
  nextTickAt(now: number): number {
    const intervalMs = this.config.agent.intervalSeconds * 1000;
    const offset = this.splayMs;
    return Math.floor((now - offset) / intervalMs) * intervalMs + offset + intervalMs;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer?.clear();
    const at = this.nextTickAt(Date.now());
    this.timer = startTimer(() => this.tick(), at - Date.now());
  }

  private tick(): void {
    if (this.stopping) return;
    if (this.collecting) {
      // The first cycle runs at start, off the grid: the first aligned tick may come while it still runs.
      // Only that first aligned tick is exempt: later ones during an overrunning first cycle count.
      if (this.cycleNo > 1 || !this.firstCycleOffGrid) {
        this.metrics.cyclesSkipped.inc();
        this.log.warn('cycle skipped: the previous collection is still running', { cycle: this.cycleNo + 1 });
      }
      this.firstCycleOffGrid = false;
    } else {
      const run = this.runCycle().then(
        (outcome) => this.onCycle?.(outcome),
        (err: unknown) => this.log.error('cycle failed', { err }),
      );
      this.collecting = run;
      void run.finally(() => {
        if (this.collecting === run) this.collecting = undefined;
      });
    }
    this.schedule();
  }

  /**
   * One cycle: collect every source, handing the batch to every sink as the
   * cycle starts, so each source's data goes out as soon as it is in where the
   * sink can (a slow exporter delays only its own group). Exposed for tests
   * and benchmarks.
   */
  async runCycle(): Promise<CycleOutcome> {
    const cycle = ++this.cycleNo;
    const start = Date.now();
    const t0 = performance.now();
    const collections: Promise<SourceResult>[] = new Array(this.sources.length);
    for (const i of startOrder(this.sources)) collections[i] = runSource(this.sources[i]!, this.shutdown.signal);
    const head = { cycle, identity: identityLabels(this.config), deadlineMs: start + this.config.agent.intervalSeconds * 1000 };
    const complete = Promise.all(collections).then((results): Batch => ({ ...head, sources: results }));
    const batch: IncomingBatch = { ...head, sources: collections, complete };
    // With [remote_config], the sinks may come with the first fetch, a moment after the first cycle.
    if (this.runners.size === 0 && !this.noSinkWarned && !this.config.remoteConfig) {
      this.log.warn('no sink configured ([pushgateway.<name>], [remote_write.<name>] or [listener.<name>]): collecting, pushing nowhere');
      this.noSinkWarned = true;
    }
    const runners = [...this.runners.values()];
    const pushed = Promise.all(runners.map(async (r) => [r.sink.name, await r.submit(batch)] as const)).then((entries) => {
      const reports = new Map(entries);
      // From the cycle's start to the last sink's answer: the cycle's latency as a gateway sees it.
      this.log.debug('cycle pushed', {
        cycle,
        pushed_ms: Math.round(performance.now() - t0),
        sinks: reports.size,
        failed: entries.filter(([, r]) => !r.ok).length,
      });
      return reports;
    });
    const results = (await complete).sources;
    const collectMs = performance.now() - t0;
    this.metrics.cycles.inc();
    this.metrics.cycleDuration.observe(collectMs / 1000);
    for (const r of results) {
      this.metrics.sourceUp.set({ source: r.source }, r.up ? 1 : 0);
      this.metrics.sourceDuration.set({ source: r.source }, r.families.find((f) => f.name === 'scrape_duration_seconds')?.samples[0]?.value ?? 0);
      this.metrics.sourceCollections.inc({ source: r.source, result: r.up ? 'success' : 'failure' });
      this.sourceStates.report(r.source, r.up ? undefined : (r.error ?? 'failed'), { source: r.source, job: r.job });
    }
    this.log.debug('cycle collected', { cycle, collect_ms: Math.round(collectMs), sources: results.length, down: results.filter((r) => !r.up).length });
    return { startedMs: start, cycle, results, collectMs, pushed };
  }

  /** SIGHUP: loads the configuration again; a config that does not load is refused and the running one kept. */
  reload(): boolean {
    if (!this.reloadConfig) return false;
    let next: AgentConfig;
    try {
      next = this.reloadConfig();
    } catch (err) {
      this.metrics.configReloads.inc({ result: 'failure' });
      this.metrics.configLastReloadSuccessful.set(0);
      this.log.error('configuration reload refused, keeping the running configuration', { err });
      return false;
    }
    const intervalChanged =
      next.agent.intervalSeconds !== this.config.agent.intervalSeconds ||
      next.agent.splay !== this.config.agent.splay ||
      next.identity.instance !== this.config.identity.instance;
    this.apply(next);
    this.metrics.configReloads.inc({ result: 'success' });
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
    this.log.info('configuration reloaded', {
      files: next.files.join(','),
      sources: this.sources.map((s) => s.id).join(','),
      sinks: [...this.runners.keys()].join(','),
    });
    if (intervalChanged && this.timer) this.schedule();
    return true;
  }

  private apply(config: AgentConfig): void {
    const previous = this.sources;
    this.config = config;
    setLogLevel(config.agent.logLevel);
    this.sources = buildSources(config, this.metrics, previous);
    for (const s of previous) if (!this.sources.includes(s)) void s.close?.().catch(() => undefined);
    const current = new Set(this.sources.map((s) => s.id));
    for (const s of previous) if (!current.has(s.id)) this.forgetSource(s.id);

    const next = new Map<string, SinkRunner>();
    for (const sc of config.sinks) {
      const existing = this.runners.get(sc.name);
      if (existing && existing.fingerprint === sc.fingerprint) {
        next.set(sc.name, existing);
        continue;
      }
      const ctx: SinkContext = { log: this.log, registry: this.metrics.registry, stateDir: config.agent.stateDir };
      next.set(sc.name, new SinkRunner(createSink(sc, ctx), sc.fingerprint, this.metrics, this.shutdown.signal));
    }
    for (const [name, runner] of this.runners) {
      if (next.get(name) === runner) continue;
      if (!next.has(name)) this.forgetSink(name);
      void runner
        .idle()
        .then(() => runner.sink.close())
        .catch((err: unknown) => this.log.warn('closing a removed sink failed', { sink: name, err }));
    }
    this.runners = next;
  }

  /** A removed source's self-metric series go too, so they do not report its last state forever. */
  private forgetSource(id: string): void {
    this.metrics.sourceUp.remove({ source: id });
    this.metrics.sourceDuration.remove({ source: id });
    for (const result of ['success', 'failure']) this.metrics.sourceCollections.remove({ source: id, result });
    this.sourceStates.forget(id);
  }

  private forgetSink(name: string): void {
    for (const result of ['success', 'failure']) this.metrics.sinkPushes.remove({ sink: name, result });
    this.metrics.sinkPushDuration.remove({ sink: name });
    this.metrics.sinkBytes.remove({ sink: name });
    this.metrics.sinkLastSuccess.remove({ sink: name });
    this.metrics.sinkBatchesDropped.remove({ sink: name });
  }

  /** Stops scheduling, lets the running collection and pushes finish within shutdown_timeout, then closes everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.timer?.clear();
    const graceMs = this.config.agent.shutdownTimeoutSeconds * 1000;
    // One budget for everything: closing the sinks (a remote-write request in flight) takes what is left of it.
    const deadlineMs = Date.now() + graceMs;
    const grace = startTimer(() => {
      this.log.warn('shutdown deadline reached, abandoning in-flight work', { shutdown_timeout: `${this.config.agent.shutdownTimeoutSeconds}s` });
      this.shutdown.abort(new Error('shutting down'));
    }, graceMs);
    try {
      await this.collecting;
      await Promise.all([...this.runners.values()].map((r) => r.idle()));
    } finally {
      grace.clear();
      this.shutdown.abort(new Error('shut down'));
      await Promise.allSettled([...this.runners.values()].map((r) => r.sink.close(deadlineMs)));
      await Promise.allSettled(this.sources.map((s) => s.close?.()));
    }
  }
}

/**
 * Deletes everything this box pushed, on every sink that can (package purge).
 * Returns the sinks done and the failures; bounded by `timeoutSeconds`.
 */
export async function decommission(config: AgentConfig, timeoutSeconds: number, log: Logger = createLogger()): Promise<{ done: string[]; failures: string[] }> {
  const metrics = new SelfMetrics();
  const jobs = [...(config.host.enabled ? [config.host.job] : []), ...(config.self.enabled ? [config.self.job] : []), ...config.exporters.map((e) => e.job)];
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  const failures: string[] = [];
  const done: string[] = [];
  await Promise.all(
    config.sinks.map(async (sc) => {
      const sink = createSink(sc, { log, registry: metrics.registry, stateDir: config.agent.stateDir });
      try {
        if (sink.decommission) {
          await sink.decommission(identityLabels(config), jobs, signal);
          done.push(sc.name);
        }
      } catch (err) {
        failures.push(`${sc.name}: ${(err as Error).message}`);
      } finally {
        await sink.close().catch(() => undefined);
      }
    }),
  );
  return { done: done.sort(), failures };
}
