/**
 * The contract between the agent's cycle and every sink (Pushgateway,
 * remote write, ...). The agent collects every source concurrently, then
 * hands one Batch to every sink concurrently; a sink never blocks another.
 */
import type { Labels, MetricFamily } from '../model/family.ts';
import type { Logger } from '../log.ts';
import type { Registry } from 'prom-client';
import type { KeySpec, SectionReader } from '../config/schema.ts';

/** What one source produced in one cycle, up or down. */
export interface SourceResult {
  /** Stable id of the source within the config: `host`, `self`, `exporter.<name>`. */
  source: string;
  /** The `job` label of the source's series (its Pushgateway group, its remote-write job label). */
  job: string;
  /** Whether the collection succeeded. When false, `families` holds only the synthetic families. */
  up: boolean;
  /**
   * The source's families plus the synthetic `up`, `scrape_duration_seconds` and
   * `scrape_samples_scraped` (as Prometheus adds them to a scrape). Samples carry
   * neither `job` nor the identity labels: sinks add those. A sample's own
   * `timestampMs`, if any, comes from the exporter; otherwise use the batch's.
   */
  families: MetricFamily[];
  /** When the collection started, ms since the epoch: the timestamp of every sample without its own. */
  timestampMs: number;
  /** Why the collection failed (for logs), when up is false. */
  error?: string;
}

/** One cycle's output, handed to every sink. */
export interface Batch {
  /** Cycle sequence number since start (1, 2, ...). */
  cycle: number;
  /**
   * The box's identity labels: `instance` plus the configured static labels
   * ([labels] section). Every series of every source carries them.
   */
  identity: Labels;
  /**
   * One result per configured source. A source present in an earlier batch and
   * absent from this one was removed from the configuration (reload): sinks
   * forget it (the Pushgateway sink DELETEs its group, remote write marks its
   * series stale).
   */
  sources: SourceResult[];
  /** The sink should give up on this batch by then (ms since the epoch): the next cycle starts. */
  deadlineMs: number;
}

/** What a push achieved, for the agent's per-sink self metrics. */
export interface PushReport {
  /** Whether everything of the batch was accepted (or durably queued, for queueing sinks). */
  ok: boolean;
  /** Bytes put on the wire (after compression). */
  bytesSent: number;
  /** A short reason when not ok (no secrets). */
  error?: string;
}

export interface Sink {
  /** `<kind>.<name>`, e.g. `pushgateway.main`: the section name in the config. */
  readonly name: string;
  /**
   * When true, a batch that arrives while the previous push is still running
   * replaces any batch already waiting (state sinks like the Pushgateway: only
   * the latest matters). When false, waiting batches are queued (bounded).
   */
  readonly coalesce: boolean;
  /** Pushes one batch. Must not throw for push failures: report them. Honours `signal` (shutdown). */
  push(batch: Batch, signal: AbortSignal): Promise<PushReport>;
  /**
   * Forgets everything this box pushed (package purge): the Pushgateway sink
   * DELETEs every group of `identity`. `jobs` are the jobs of the configured sources.
   */
  decommission?(identity: Labels, jobs: readonly string[], signal: AbortSignal): Promise<void>;
  /**
   * Releases connections and flushes state; called on shutdown and when a
   * reload removes or changes the sink. On shutdown `deadlineMs` is the end of
   * the agent's shutdown_timeout: work still in flight then is abandoned.
   */
  close(deadlineMs?: number): Promise<void>;
}

/** What the agent gives every sink at construction. */
export interface SinkContext {
  log: Logger;
  /** The self-metrics registry: sinks register their own edgepush_* metrics here. */
  registry: Registry;
  /** Directory for durable state (queues, pushed-group lists), e.g. /var/lib/edgepush. */
  stateDir: string;
}

/**
 * A kind of sink, configured by `[<section>.<name>]` sections (listed in
 * kinds.ts): its keys, how a section becomes its typed config, how to create it.
 */
export interface SinkKind<C = unknown> {
  /** Section prefix: `pushgateway` for `[pushgateway.<name>]`. */
  section: string;
  keys: readonly KeySpec[];
  /** Turns a section into this kind's typed config; throws ConfigError (reader.error) naming the key. */
  parse(reader: SectionReader, name: string): C;
  /** `name` is the full section name, e.g. `pushgateway.main`. */
  create(name: string, config: C, ctx: SinkContext): Sink;
  /** Where it sends or serves, for `check-config` (`identity`: the box's, which picks its gateway of a tier): never a secret. */
  describe(config: C, identity: Labels): string;
}
