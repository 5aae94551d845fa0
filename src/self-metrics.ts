/**
 * The agent's own metrics (edgepush_*, and process_* from prom-client's
 * default collectors), kept in a prom-client registry that the agent, sources
 * and sinks all add to; src/sources/self.ts pushes them like any other source.
 */
import { readFileSync } from 'node:fs';
import { collectProcessMetrics, Counter, Gauge, Histogram, Registry } from './prom.ts';
import { FamilySet, type MetricFamily, type MetricType } from './model/family.ts';
import { COMMIT, VERSION } from './version.ts';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class SelfMetrics {
  readonly registry = new Registry();
  readonly cycleDuration = new Histogram({
    name: 'edgepush_cycle_duration_seconds',
    help: 'Time to collect every source in one cycle.',
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly cycles = new Counter({ name: 'edgepush_cycles_total', help: 'Cycles run.', registers: [this.registry] });
  readonly cyclesSkipped = new Counter({
    name: 'edgepush_cycles_skipped_total',
    help: 'Cycles skipped because the previous collection was still running.',
    registers: [this.registry],
  });
  readonly sourceUp = new Gauge({
    name: 'edgepush_source_up',
    help: 'Whether the last collection of the source succeeded.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly sourceDuration = new Gauge({
    name: 'edgepush_source_collect_duration_seconds',
    help: 'Duration of the last collection of the source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly sourceCollections = new Counter({
    name: 'edgepush_source_collections_total',
    help: 'Collections of each source, by result (success, failure).',
    labelNames: ['source', 'result'],
    registers: [this.registry],
  });
  readonly exporterScrapeFailures = new Counter({
    name: 'edgepush_exporter_scrape_failures_total',
    help: 'Failed scrapes of each exporter, by reason (sample_limit, label_limit, label_name_length_limit, label_value_length_limit, line_length, size_limit, invalid_utf8, parse, gzip, http_status, timeout, request).',
    labelNames: ['exporter', 'reason'],
    registers: [this.registry],
  });
  readonly sinkPushDuration = new Histogram({
    name: 'edgepush_sink_push_duration_seconds',
    help: 'Time from a batch being complete (every source collected), or the sink free if later, to its acknowledgement (all groups/requests done).',
    labelNames: ['sink'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly sinkPushes = new Counter({
    name: 'edgepush_sink_pushes_total',
    help: 'Batches pushed to each sink, by result (success, failure).',
    labelNames: ['sink', 'result'],
    registers: [this.registry],
  });
  readonly sinkBytes = new Counter({
    name: 'edgepush_sink_sent_bytes_total',
    help: 'Bytes sent to each sink (after compression).',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly sinkLastSuccess = new Gauge({
    name: 'edgepush_sink_last_success_timestamp_seconds',
    help: 'When the last fully successful push to the sink ended.',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly sinkBatchesDropped = new Counter({
    name: 'edgepush_sink_batches_dropped_total',
    help: 'Batches never pushed because the sink was still busy with earlier ones (a newer batch replaced them).',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'edgepush_config_reloads_total',
    help: 'Configuration reloads (SIGHUP), by result (success, failure).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly configLastReloadSuccessful = new Gauge({
    name: 'edgepush_config_last_reload_successful',
    help: 'Whether the last configuration reload succeeded (1) or was refused (0).',
    registers: [this.registry],
  });
  readonly configLastReloadSuccessTimestamp = new Gauge({
    name: 'edgepush_config_last_reload_success_timestamp_seconds',
    help: 'When the configuration was last loaded successfully.',
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: 'edgepush_build_info',
    help: 'Build information; the value is always 1.',
    labelNames: ['version', 'commit', 'nodejs'],
    registers: [this.registry],
  });

  constructor() {
    this.buildInfo.set({ version: VERSION, commit: COMMIT, nodejs: process.version }, 1);
    this.configLastReloadSuccessful.set(1);
    this.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
    collectProcessMetrics(this.registry);
    // The one process_* family of Go's client (node_exporter's) that prom-client lacks; the dashboards' exporter memory panel reads it.
    new Gauge({
      name: 'process_virtual_memory_max_bytes',
      help: 'Maximum amount of virtual memory available in bytes.',
      registers: [this.registry],
      collect() {
        this.set(addressSpaceLimit());
      },
    });
  }

  /** The registry as MetricFamily: edgepush_* and process_*, or only those of `prefixes`. */
  async families(prefixes: readonly string[] = ['edgepush_', 'process_']): Promise<MetricFamily[]> {
    const out = new FamilySet();
    for (const metric of await this.registry.getMetricsAsJSON()) {
      if (!prefixes.some((p) => metric.name.startsWith(p))) continue;
      const type = String(metric.type) as MetricType;
      const family = out.family(metric.name, metric.help, type);
      for (const v of metric.values as Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }>) {
        const labels: Record<string, string> = {};
        for (const [k, lv] of Object.entries(v.labels)) if (lv !== undefined) labels[k] = labelValue(lv);
        family.samples.push({ name: v.metricName ?? metric.name, labels, value: v.value });
      }
    }
    return out.toArray();
  }
}

/** The soft "Max address space" of /proc/self/limits; unlimited is 2^64-1, as Go's procfs reads it. */
export function addressSpaceLimit(limits: string = readFileSync('/proc/self/limits', 'utf8')): number {
  const soft = /^Max address space\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined) return NaN;
  // biome-ignore lint/correctness/noPrecisionLoss: 2^64-1 as a float (2^64), the value Go's client reports for unlimited
  return soft === 'unlimited' ? 18446744073709551615 : Number(soft);
}

function labelValue(v: string | number): string {
  if (typeof v === 'string') return v;
  return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
}
