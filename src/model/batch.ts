/**
 * The contract between sources and sinks: what one cycle produced. Sources
 * fill SourceResults, the agent gathers them into one Batch and hands it to
 * every sink; each sink answers with a PushReport.
 */
import type { Labels, MetricFamily } from './family.ts';

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

/**
 * A batch handed to the sinks as its cycle starts: each source's result
 * arrives as soon as that source is collected, so a sink whose sources go out
 * independently (a Pushgateway group per source) need not wait for the
 * slowest one; `complete` is the whole Batch once every source is in.
 */
export interface IncomingBatch extends Omit<Batch, 'sources'> {
  /** One per source, in the configured order; each resolves (never rejects) when that source is collected. */
  sources: readonly Promise<SourceResult>[];
  complete: Promise<Batch>;
}

/** A batch whose sources are all collected, as an IncomingBatch. */
export function alreadyComplete(batch: Batch): IncomingBatch {
  return { ...batch, sources: batch.sources.map((s) => Promise.resolve(s)), complete: Promise.resolve(batch) };
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
