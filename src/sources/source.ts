/**
 * What the agent collects from: the host collectors, each local exporter, its
 * own metrics. `runSource` gives every source the same treatment: a timeout,
 * isolation (a failure is up=0 for that source only, and none of its samples),
 * and the synthetic families Prometheus adds to a scrape.
 */
import { FamilySet, type MetricFamily } from '../model/family.ts';
import type { SourceResult } from '../model/batch.ts';
import { startTimer, type Timer } from '../timer.ts';

export interface Collected {
  families: MetricFamily[];
  /** Samples the source exposed before any filtering (scrape_samples_scraped). */
  samplesScraped: number;
}

export interface Source {
  /** `host`, `self`, `exporter.<name>`. */
  readonly id: string;
  readonly job: string;
  readonly timeoutSeconds: number;
  /** When set, a reload to a configuration with the same source and fingerprint keeps this one running. */
  readonly fingerprint?: string;
  /** Spends its collection waiting on the network (an exporter's scrape): started before the others (startOrder). */
  readonly waitsOnNetwork?: boolean;
  /** Throws when the collection fails; should stop work when `signal` aborts. */
  collect(signal: AbortSignal): Promise<Collected>;
  close?(): Promise<void>;
}

/**
 * Indexes of `sources` in the order a cycle starts them: the ones that wait
 * on the network first, each group in configuration order. The host's
 * collectors read /proc and /sys synchronously, so a host started first held
 * every exporter's request back by its whole collection (~12 ms); started
 * after them, it runs while the exporters prepare their answers.
 */
export function startOrder(sources: readonly Source[]): number[] {
  const indexes = sources.map((_, i) => i);
  return [...indexes.filter((i) => sources[i]!.waitsOnNetwork), ...indexes.filter((i) => !sources[i]!.waitsOnNetwork)];
}

/** Names of the synthetic families; a source's own family of one of these names is dropped. */
const SYNTHETIC_NAMES: ReadonlySet<string> = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

export function countSamples(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const f of families) n += f.samples.length;
  return n;
}

export class SourceTimeoutError extends Error {
  constructor(seconds: number) {
    super(`timed out after ${seconds}s`);
    this.name = 'SourceTimeoutError';
  }
}

/** Collects one source within its timeout; never throws. */
export async function runSource(source: Source, shutdown: AbortSignal): Promise<SourceResult> {
  const timestampMs = Date.now();
  const start = performance.now();
  const controller = new AbortController();
  const onShutdown = (): void => controller.abort(shutdown.reason);
  shutdown.addEventListener('abort', onShutdown, { once: true });
  let timer: Timer | undefined;
  let collected: Collected | undefined;
  let error: string | undefined;
  try {
    timer = startTimer(() => controller.abort(new SourceTimeoutError(source.timeoutSeconds)), source.timeoutSeconds * 1000);
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    // The race abandons a source that ignores the signal (timeout or shutdown); its late result is dropped.
    collected = await Promise.race([source.collect(controller.signal), aborted]);
  } catch (err) {
    error = controller.signal.aborted && controller.signal.reason instanceof SourceTimeoutError ? controller.signal.reason.message : errorMessage(err);
  } finally {
    timer?.clear();
    shutdown.removeEventListener('abort', onShutdown);
  }
  const seconds = (performance.now() - start) / 1000;
  const synthetic = new FamilySet();
  synthetic.gauge('up', 'Whether the source was collected successfully (1) or not (0).', collected ? 1 : 0);
  synthetic.gauge('scrape_duration_seconds', 'Duration of the collection of the source.', seconds);
  synthetic.gauge('scrape_samples_scraped', 'Samples the source exposed, before filtering.', collected?.samplesScraped ?? 0);
  const own = collected ? collected.families.filter((f) => !SYNTHETIC_NAMES.has(f.name)) : [];
  const result: SourceResult = { source: source.id, job: source.job, up: collected !== undefined, families: [...own, ...synthetic.toArray()], timestampMs };
  if (error !== undefined) result.error = error;
  return result;
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const code = (err as { code?: string }).code;
  return `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}${cause}`;
}
