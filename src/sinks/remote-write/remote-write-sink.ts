/**
 * The remote-write sink for one URL: every cycle's families become series
 * (with target labels, collection timestamps and stale markers), one group
 * per source, queued in the URL's cycle queue (memory, then disk; see
 * cycle-queue.ts); the sender drains the queue independently of the cycle,
 * making each source's requests as it sends them. A push therefore waits at
 * most for the local disk, never the receiver.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Labels } from '../../model/family.ts';
import type { Batch, PushReport, SourceResult } from '../../model/batch.ts';
import type { Logger } from '../../log.ts';
import type { BackoffOptions } from '../../backoff.ts';
import { authorizationHeader, createDispatcher, type HttpClientConfig } from '../../http/client.ts';
import type { Dispatcher } from '../../http/request.ts';
import type { Sink, SinkContext } from '../sink.ts';
import { RemoteWriteClient } from './client.ts';
import type { Cycle, CycleGroup } from './compact-block.ts';
import { CycleQueue, cycleSamples } from './cycle-queue.ts';
import { DiskQueue, emptyQueueStats, type QueueStats } from './disk-queue.ts';
import { trackRemoteWrite } from './metrics.ts';
import type { TimeSeries } from './protobuf.ts';
import { Sender, type SenderCounters } from './sender.ts';
import { writeFileAtomic } from '../../state-file.ts';
import { familiesToSeries, type LabelPairs } from './series.ts';
import { StalenessTracker } from './staleness.ts';

/** A `[remote_write.<name>]` section (kind.ts parses it); connection settings (auth, TLS, proxy, timeout) in `http`. */
export interface RemoteWriteConfig {
  url: string;
  headers: Record<string, string>;
  /** Queue directory; default `<stateDir>/remote-write/<name>`. */
  queueDir?: string;
  queueMaxBytes: number;
  /** 0 keeps blocks until the size bound drops them. */
  queueMaxAgeMs: number;
  /** How long an unsent cycle may wait in memory before it is written to disk; 0: every cycle at once. Default DEFAULT_QUEUE_FLUSH_INTERVAL_MS. */
  queueFlushIntervalMs?: number;
  maxSamplesPerSend: number;
  maxBytesPerSend: number;
  backoff: BackoffOptions;
  maxRetryAfterMs: number;
  /** 0 means unbounded. */
  maxSamplesPerSecond: number;
  /** Where the adaptive drain starts after a failure (DrainRate); absent: a hundredth of maxSamplesPerSecond; 0: no adaptation. */
  drainStartRate?: number;
  http: HttpClientConfig;
}

/** The parts of a Batch this sink reads (the tests and the bench push no more). */
type QueuedBatch = Pick<Batch, 'identity'> & { sources: readonly Pick<SourceResult, 'source' | 'job' | 'families' | 'timestampMs'>[] };

/** The `queue_flush_interval` default: blocks of 20 cycles at 15 s, under 2 bytes per sample. */
export const DEFAULT_QUEUE_FLUSH_INTERVAL_MS = 5 * 60_000;

export interface RemoteWriteStats {
  queue: QueueStats;
  sender: SenderCounters;
  /** Whether the last attempt to open the queue and append a cycle to it succeeded (true before the first). */
  queueOk: boolean;
  /** Attempts to open the queue that failed (lock held, directory unwritable, disk full). */
  queueOpenFailures: number;
}

/** What the agent gives every sink, plus a clock the tests and the bench can fake. */
interface RemoteWriteSinkContext extends SinkContext {
  now?: () => number;
}

/**
 * Queue directories open in this process, each mapped to a promise that settles
 * when its current holder has closed it. A reload that changes a sink creates
 * the new one before the old one is closed; the new one waits its turn instead
 * of opening the same files twice.
 */
const queueHolders = new Map<string, Promise<void>>();

const LAST_SERIES_FILE = 'last-series.json';
/**
 * The last-series file is rewritten at most this often: an exporter whose
 * series churn every cycle would otherwise rewrite a file of its whole
 * series set every 15 s, wearing the flash of small boxes. A crash then
 * forgets at most this much churn.
 */
const LAST_SERIES_SAVE_INTERVAL_MS = 60_000;

interface Opened {
  queue: CycleQueue;
  sender: Sender;
}

export class RemoteWriteSink implements Sink {
  readonly name: string;
  /** Every batch matters (each carries its own timestamps), so batches queue rather than replace each other. */
  readonly coalesce = false;
  readonly config: RemoteWriteConfig;
  readonly dir: string;
  private readonly log: Logger;
  /** This sink's own keep-alive pool, with its TLS and proxy settings. */
  private readonly dispatcher: Dispatcher;
  private readonly client: RemoteWriteClient;
  private readonly untrackMetrics: () => void;
  /** Settles when the sink this one replaces (same directory) has closed its queue. */
  private readonly previousHolderClosed: Promise<void>;
  private opened: Opened | undefined;
  /** Set by the first close; a second close (a test's clean-up after its own) waits for it. */
  private closed: Promise<void> | undefined;
  /** Why the queue could not be opened or appended to last; undefined while it works. */
  private failure: string | undefined;
  private openFailures = 0;
  private releaseDir: () => void = () => {};
  private readonly staleness = new StalenessTracker();
  private readonly now: () => number;
  private droppedLogged = 0;
  /** The tracker's version the last-series file holds (-1: none written by this sink). */
  private lastSeriesSavedVersion = -1;
  private lastSeriesSavedMs = Number.NEGATIVE_INFINITY;
  private lastDropLogMs = Number.NEGATIVE_INFINITY;
  private bytesReported = 0;

  constructor(name: string, config: RemoteWriteConfig, ctx: RemoteWriteSinkContext) {
    this.name = name;
    this.config = config;
    this.log = ctx.log.child({ sink: name });
    this.now = ctx.now ?? Date.now;
    this.dir = path.resolve(config.queueDir ?? path.join(ctx.stateDir, 'remote-write', name.replace(/[^A-Za-z0-9_.-]/g, '_')));
    this.dispatcher = createDispatcher(config.http);
    const authorization = authorizationHeader(config.http);
    // Validates the URL and headers now, so a bad config fails at construction.
    this.client = new RemoteWriteClient({
      url: config.url,
      timeoutMs: Math.ceil(config.http.timeoutSeconds * 1000),
      headers: config.headers,
      ...(authorization === undefined ? {} : { authorization: () => authorization }),
      dispatcher: this.dispatcher,
    });
    const previousHolder = queueHolders.get(this.dir) ?? Promise.resolve();
    const closed = new Promise<void>((resolve) => (this.releaseDir = resolve));
    const turn = previousHolder.then(() => closed);
    queueHolders.set(this.dir, turn);
    const release = this.releaseDir;
    this.releaseDir = () => {
      release();
      if (queueHolders.get(this.dir) === turn) queueHolders.delete(this.dir);
    };
    this.previousHolderClosed = previousHolder;
    this.untrackMetrics = trackRemoteWrite(ctx.registry, name, () => this.stats());
  }

  /**
   * The open queue and its sender. A queue that cannot be opened (held by a
   * live process, directory read-only, disk full) is tried again at the next
   * call, i.e. every cycle, so the sink recovers by itself once the cause is
   * gone; each failed attempt is counted.
   */
  private async ready(): Promise<Opened> {
    await this.previousHolderClosed;
    if (this.opened) return this.opened;
    if (this.closed) throw new Error(`remote write sink ${this.name} is closed`);
    try {
      return this.open();
    } catch (err) {
      this.openFailures++;
      throw err;
    }
  }

  private open(): Opened {
    const disk = DiskQueue.open({ dir: this.dir, maxBytes: this.config.queueMaxBytes, maxAgeMs: this.config.queueMaxAgeMs, now: this.now, log: this.log });
    const queue = new CycleQueue(disk, {
      flushIntervalMs: this.config.queueFlushIntervalMs ?? DEFAULT_QUEUE_FLUSH_INTERVAL_MS,
      maxAgeMs: this.config.queueMaxAgeMs,
      limits: { maxSamples: this.config.maxSamplesPerSend, maxBytes: this.config.maxBytesPerSend },
      log: this.log,
      now: this.now,
    });
    const recovered = queue.stats();
    if (recovered.recoveredTruncatedBytes > 0)
      this.log.warn('remote write queue recovered from a crash; truncated a torn or corrupt tail', { dir: this.dir, bytes: recovered.recoveredTruncatedBytes });
    if (recovered.pendingSamples > 0)
      this.log.info('remote write queue has a backlog from a previous run', { dir: this.dir, samples: recovered.pendingSamples });
    const sender = new Sender(queue, this.client, {
      backoff: this.config.backoff,
      maxRetryAfterMs: this.config.maxRetryAfterMs,
      maxSamplesPerSecond: this.config.maxSamplesPerSecond,
      ...(this.config.drainStartRate !== undefined ? { drainStartRate: this.config.drainStartRate } : {}),
      log: this.log,
      now: this.now,
    });
    sender.start();
    this.restoreLastSeries();
    this.opened = { queue, sender };
    return this.opened;
  }

  /**
   * The series each source sent last survive a restart, graceful or not (and
   * a reload that replaces this sink), so what disappeared meanwhile still
   * gets its stale markers instead of lingering as a ghost for Prometheus'
   * 5-minute lookback. The file is rewritten when the set of series changes
   * (rarely: a new mount, interface or exporter series), at most once a
   * minute, and at close, so after a kill -9 or a power loss it misses at
   * most the last minute's changes.
   */
  private restoreLastSeries(): void {
    const file = path.join(this.dir, LAST_SERIES_FILE);
    try {
      this.staleness.restore(JSON.parse(readFileSync(file, 'utf8')) as Array<[string, LabelPairs[]]>);
      this.lastSeriesSavedVersion = this.staleness.version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('remote write: ignoring unreadable last-series file', { file, err });
    }
  }

  private saveLastSeriesIfChanged(): void {
    if (this.staleness.version !== this.lastSeriesSavedVersion && this.now() - this.lastSeriesSavedMs >= LAST_SERIES_SAVE_INTERVAL_MS) this.saveLastSeries();
  }

  private saveLastSeries(): void {
    const file = path.join(this.dir, LAST_SERIES_FILE);
    this.lastSeriesSavedMs = this.now();
    try {
      writeFileAtomic(file, JSON.stringify(this.staleness.snapshot()));
      this.lastSeriesSavedVersion = this.staleness.version;
    } catch (err) {
      this.log.warn('remote write: cannot save the last series for staleness after restart', { file, err });
    }
  }

  /**
   * Queues one cycle; resolves once it is queued, in memory until it is sent
   * or the flush interval writes it to disk (the receiver is the sender's business).
   */
  async push(batch: QueuedBatch, _signal?: AbortSignal): Promise<PushReport> {
    try {
      const { queue, sender } = await this.ready();
      const cycle = this.toCycle(batch);
      queue.append(cycle);
      // After the append: the file never names series whose samples are not queued.
      this.saveLastSeriesIfChanged();
      sender.queued(cycleSamples(cycle));
      sender.wake();
      this.reportDrops(queue);
      this.setFailure(undefined);
      const bytes = sender.counters.bytesSent - this.bytesReported;
      this.bytesReported = sender.counters.bytesSent;
      return { ok: true, bytesSent: bytes };
    } catch (err) {
      this.setFailure(err as Error);
      return { ok: false, bytesSent: 0, error: `queueing to ${this.dir}: ${(err as Error).message}` };
    }
  }

  /** Logs when queueing starts failing, fails differently, or works again: not every cycle of a long fault. */
  private setFailure(err: Error | undefined): void {
    const message = err?.message;
    if (message === this.failure) return;
    if (err) this.log.error('remote write could not queue a cycle; trying again every cycle', { dir: this.dir, err });
    else this.log.info('remote write queueing again', { dir: this.dir, failed_opens: this.openFailures });
    this.failure = message;
  }

  /**
   * Decommission (package purge): every series this box sent last, as saved
   * at the agent's graceful stop, gets its stale marker, and we wait (until
   * `signal`) for the queue to drain so the box vanishes from queries at once.
   */
  async decommission(_identity: Labels, _jobs: readonly string[], signal: AbortSignal): Promise<void> {
    const { queue, sender } = await this.ready();
    const atMs = this.now();
    const stale = this.staleness.sources().flatMap((source) => this.staleness.forget(source, atMs));
    queue.append({ createdMs: atMs, groups: [{ collectedAtMs: atMs, series: stale }] });
    this.saveLastSeries();
    sender.wake();
    while (queue.pendingBlocks > 0 && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
    if (queue.pendingBlocks > 0)
      throw new Error(
        `${this.name}: ${queue.stats().pendingSamples} samples (stale markers and backlog) not delivered before the deadline: ${sender.counters.lastError ?? 'still sending'}`,
      );
  }

  /** Says so when the queue dropped data (full, expired, corrupt): at once, then at most once a minute. */
  private reportDrops(queue: CycleQueue): void {
    const d = queue.stats().dropped;
    const total = d.size.samples + d.age.samples + d.corrupt.samples + d.disk_full.samples;
    const now = this.now();
    if (total === this.droppedLogged || now - this.lastDropLogMs < 60_000) return;
    this.log.warn('remote write queue dropped the oldest data', {
      samples: total - this.droppedLogged,
      queue_full_samples_total: d.size.samples,
      too_old_samples_total: d.age.samples,
      corrupt_samples_total: d.corrupt.samples,
      disk_full_samples_total: d.disk_full.samples,
      pending_samples: queue.stats().pendingSamples,
    });
    this.droppedLogged = total;
    this.lastDropLogMs = now;
  }

  /**
   * This cycle's series plus stale markers for what went away (series, or
   * whole removed sources), one group per source: each source gets requests of
   * its own, so a receiver refusing one source's samples (a 400 for an
   * exporter's out-of-order timestamps) cannot take the others down with it.
   */
  private toCycle(batch: QueuedBatch): Cycle {
    const groups: CycleGroup[] = [];
    const present = new Set<string>();
    let latest = 0;
    for (const src of batch.sources) {
      present.add(src.source);
      latest = Math.max(latest, src.timestampMs);
      const series = familiesToSeries(src.families, { ...batch.identity, job: src.job }, src.timestampMs);
      groups.push({ collectedAtMs: src.timestampMs, series: [...series, ...this.staleness.observe(src.source, series, src.timestampMs)] });
    }
    const removedAtMs = latest || this.now();
    const removed: TimeSeries[] = [];
    for (const gone of this.staleness.sources()) {
      if (!present.has(gone)) removed.push(...this.staleness.forget(gone, removedAtMs));
    }
    if (removed.length > 0) groups.push({ collectedAtMs: removedAtMs, series: removed });
    // The age bound counts from the earliest collection in the cycle.
    return { createdMs: Math.min(removedAtMs, ...groups.map((g) => g.collectedAtMs)), groups };
  }

  stats(): RemoteWriteStats {
    const health = { queueOk: this.failure === undefined, queueOpenFailures: this.openFailures };
    if (!this.opened) return { queue: emptyQueueStats(), sender: Sender.emptyCounters(), ...health };
    return { queue: this.opened.queue.stats(), sender: structuredClone(this.opened.sender.counters), ...health };
  }

  /**
   * Stops sending (the request in flight gets until `deadlineMs`, 5 s by
   * default) and leaves the self metrics; pending data stays on disk for the next start.
   */
  close(deadlineMs: number = this.now() + 5_000): Promise<void> {
    this.closed ??= this.shutDown(deadlineMs);
    return this.closed;
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    this.untrackMetrics();
    try {
      await this.previousHolderClosed;
      if (this.opened) {
        const { queue, sender } = this.opened;
        await sender.stop(deadlineMs);
        queue.close();
        this.saveLastSeries();
      }
    } finally {
      this.releaseDir();
    }
    await this.dispatcher.close();
  }
}
