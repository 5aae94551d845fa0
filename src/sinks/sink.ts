/**
 * The contract between the agent's cycle and every sink (Pushgateway,
 * remote write, ...). The agent collects every source concurrently and
 * hands the cycle's batch to every sink concurrently as it starts (sources
 * arriving as they are collected); a sink never blocks another.
 */
import type { Labels } from '../model/family.ts';
import type { Batch, IncomingBatch, PushReport } from '../model/batch.ts';
import type { Logger } from '../log.ts';
import type { Registry } from 'prom-client';
import type { KeySpec, SectionReader } from '../config/schema.ts';

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
   * Optional: pushes a batch whose sources are still being collected, each
   * source as soon as it is in (a Pushgateway group needs no other source), so
   * a slow source delays only its own data. Sinks without it get the whole
   * batch through push().
   */
  pushAsCollected?(batch: IncomingBatch, signal: AbortSignal): Promise<PushReport>;
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
