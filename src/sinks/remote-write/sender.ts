/**
 * Drains one URL's disk queue: oldest block first, one request in flight (so
 * samples reach the receiver in the order they were collected, which
 * Prometheus requires per series), at a rate that adapts to the receiver,
 * retrying what is worth retrying and dropping, counted and logged, what the
 * receiver refuses.
 */
import type { Logger } from '../../log.ts';
import { backoffDelayMs, type BackoffOptions } from '../../backoff.ts';
import { retryDelayMs } from '../../http/retry.ts';
import type { RemoteWriteClient, SendResult } from './client.ts';
/** What the sender drains: the oldest request first, acknowledged before the next is read. */
export interface SendQueue {
  /** Drops what the age bound says is too old. */
  dropExpired(): number;
  peek(): OutgoingBlock | undefined;
  ack(block: OutgoingBlock): void;
  stats(): { pendingSamples: number };
}

/** A compressed WriteRequest ready to send. */
export interface OutgoingBlock {
  body: Buffer;
  samples: number;
}
import { startTimer, type Timer } from '../../timer.ts';

export interface SenderOptions {
  backoff: BackoffOptions;
  /** Longest Retry-After we honour; a receiver asking for more is retried after this. */
  maxRetryAfterMs: number;
  /** Bound on the send rate (the backlog drains at most this fast); 0 means unbounded (and no adaptation). */
  maxSamplesPerSecond: number;
  /** Rate a drain starts from after a failure (DrainRate); undefined: a hundredth of the bound; 0: no adaptation, the bound at once. */
  drainStartRate?: number;
  log: Logger;
  random?: () => number;
  now?: () => number;
}

export interface SenderCounters {
  /** Requests by outcome: accepted, failed and to be retried, rejected (dropped). */
  requests: { ok: number; retry: number; reject: number };
  samplesSent: number;
  /** Compressed bytes of the requests the receiver accepted. */
  bytesSent: number;
  /** Samples of requests that failed and were sent again. */
  samplesRetried: number;
  /** Samples of blocks the receiver rejected (4xx other than 429). */
  samplesRejected: number;
  lastSuccessMs: number | undefined;
  /** Failures since the last success (0 when healthy). */
  consecutiveFailures: number;
  lastError: string | undefined;
}

/** The default start of a drain, as a share of max_samples_per_second: low enough for a whole fleet, and a backlog always moves. */
const START_SHARE = 1 / 100;
/**
 * An accepted request this many times slower than the receiver's base latency
 * (and at least SLOW_MIN_MS) says requests queue there: the receiver is busy.
 */
const SLOW_FACTOR = 4;
const SLOW_MIN_MS = 250;
/** The base latency follows a lasting rise (another path, a bigger receiver load) by this share of the difference per answer. */
const BASE_CREEP = 0.01;

/**
 * The send rate a fleet can live with. A whole fleet comes back together
 * from a receiver outage, each box with a backlog: at max_samples_per_second
 * each, 1,000 boxes ask for far more than one receiver takes, requests queue
 * there, the receiver spends all it has on them and answers nothing else
 * (its queries, its rules) for the whole drain; past the request timeout they
 * are sent again and it does the same work twice. So after a failure a box
 * drains from a low rate (`drain_start_rate`, by default a hundredth of the
 * bound) that doubles with every quick answer (slow start) and then grows by
 * that start rate per quick answer; an answer far slower than the receiver's
 * base latency (requests queue there) halves what the box really got through (one request in flight moves at most a
 * request per answer, whatever the nominal rate, so halving the nominal rate
 * alone would take many slow answers to bite), down to the floor: what the
 * box itself queues per second, so a waiting backlog never grows, and a
 * whole fleet at its floor asks its receiver for no more than the steady
 * load it already carries. Any failure (429, 5xx, timeout, network) restarts
 * from the start rate. A receiver that keeps up sees the full rate within a
 * few requests; one that does not sees every box back off until it answers
 * quickly again. A start rate of 0 turns the adaptation off (the bound
 * always), for comparison.
 */
export class DrainRate {
  private readonly max: number;
  private readonly start: number;
  private readonly adaptive: boolean;
  private rate: number;
  private slowStart = false;
  /** The receiver's latency when nothing queues there: the lowest seen, creeping up towards later answers; undefined until the first. */
  private baseMs: number | undefined;
  /** Samples per second this box queues (see `produced`); 0 until known. */
  private producedPerSecond = 0;

  constructor(maxSamplesPerSecond: number, startRate?: number) {
    this.max = maxSamplesPerSecond;
    this.adaptive = maxSamplesPerSecond > 0 && startRate !== 0;
    this.start = Math.min(maxSamplesPerSecond, Math.max(1, startRate ?? maxSamplesPerSecond * START_SHARE));
    this.rate = maxSamplesPerSecond;
  }

  /** Samples per second now; 0 means unbounded. */
  get current(): number {
    return this.rate;
  }

  /** The lowest rate congestion brings a box to: what it queues per second (the start rate until that is known, never above it). */
  get floor(): number {
    return this.producedPerSecond > 0 ? Math.min(this.start, Math.max(1, this.producedPerSecond)) : this.start;
  }

  /** What the box queues per second, as the sender measures it. */
  produced(samplesPerSecond: number): void {
    this.producedPerSecond = samplesPerSecond;
  }

  /** Whether this failure started a slow start (the first after good answers). */
  failed(): boolean {
    if (!this.adaptive) return false;
    const first = !this.slowStart;
    this.rate = this.start;
    this.slowStart = true;
    return first;
  }

  /** An accepted request of `samples` that took `latencyMs`. */
  succeeded(latencyMs: number, samples: number): void {
    if (!this.adaptive) return;
    const base = this.baseMs;
    this.baseMs = base === undefined || latencyMs < base ? latencyMs : base + BASE_CREEP * (latencyMs - base);
    if (base !== undefined && latencyMs > Math.max(SLOW_MIN_MS, SLOW_FACTOR * base)) {
      const achieved = (samples * 1000) / latencyMs;
      this.rate = Math.max(this.floor, Math.min(this.rate, achieved) / 2);
      this.slowStart = false;
      return;
    }
    this.rate = Math.min(this.max, this.slowStart ? this.rate * 2 : this.rate + this.start);
    if (this.rate === this.max) this.slowStart = false;
  }
}

/** How often the production rate is measured: at most once a second, over the appends since. */
const PRODUCED_MIN_WINDOW_MS = 1000;

export class Sender {
  static emptyCounters(): SenderCounters {
    return {
      requests: { ok: 0, retry: 0, reject: 0 },
      samplesSent: 0,
      bytesSent: 0,
      samplesRetried: 0,
      samplesRejected: 0,
      lastSuccessMs: undefined,
      consecutiveFailures: 0,
      lastError: undefined,
    };
  }

  readonly counters: SenderCounters = Sender.emptyCounters();
  private readonly queue: SendQueue;
  private readonly client: RemoteWriteClient;
  private readonly options: SenderOptions;
  private readonly stopController = new AbortController();
  private wakeUp: (() => void) | undefined;
  private stopping = false;
  private readonly stopped: Promise<void>;
  private signalStopped: () => void = () => {};
  private loop: Promise<void> | undefined;
  private readonly rate: DrainRate;
  private tokens: number;
  private tokensAtMs: number;
  private producedSinceMs: number | undefined;
  private producedSamples = 0;
  private producedPerSecond: number | undefined;

  constructor(queue: SendQueue, client: RemoteWriteClient, options: SenderOptions) {
    this.queue = queue;
    this.client = client;
    this.options = options;
    this.rate = new DrainRate(options.maxSamplesPerSecond, options.drainStartRate);
    this.tokens = options.maxSamplesPerSecond;
    this.tokensAtMs = this.now();
    this.stopped = new Promise((resolve) => (this.signalStopped = resolve));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New blocks were appended. */
  wake(): void {
    this.wakeUp?.();
  }

  /** `samples` were queued: what the box produces per second (a moving average) is the drain rate's floor. */
  queued(samples: number): void {
    const now = this.now();
    if (this.producedSinceMs === undefined) {
      this.producedSinceMs = now;
      return;
    }
    this.producedSamples += samples;
    const elapsedMs = now - this.producedSinceMs;
    if (elapsedMs < PRODUCED_MIN_WINDOW_MS) return;
    const perSecond = (this.producedSamples * 1000) / elapsedMs;
    this.producedPerSecond = this.producedPerSecond === undefined ? perSecond : 0.8 * this.producedPerSecond + 0.2 * perSecond;
    this.rate.produced(this.producedPerSecond);
    this.producedSamples = 0;
    this.producedSinceMs = now;
  }

  /**
   * Stops after the request in flight, or aborts it at `deadlineMs`; what was
   * not acknowledged stays on disk for the next start.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.signalStopped();
    this.wake();
    const timer = startTimer(() => this.stopController.abort(), deadlineMs - this.now());
    try {
      await this.loop;
    } finally {
      timer.clear();
      this.stopController.abort();
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let diskFailing = false;
    while (!this.stopping) {
      try {
        const next = await this.step(attempt);
        if (next === 'stop') break;
        attempt = next;
        diskFailing = false;
      } catch (err) {
        // The queue's disk failed (full, read-only, I/O error): keep trying, loudly once.
        if (!diskFailing) this.options.log.error('remote write queue read failed; retrying', { err });
        diskFailing = true;
        this.counters.lastError = (err as Error).message;
        await this.sleep(backoffDelayMs(attempt++, this.options.backoff, this.options.random));
      }
    }
  }

  /** Sends the oldest block once; returns the next attempt number (0 after a success or a drop). */
  private async step(attempt: number): Promise<number | 'stop'> {
    this.queue.dropExpired();
    const block = this.queue.peek();
    if (!block) {
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
      this.wakeUp = undefined;
      return attempt;
    }
    await this.takeTokens(block.samples);
    if (this.stopping) return 'stop';
    const sentAt = this.now();
    const result = await this.client.send(block.body, this.stopController.signal);
    this.adaptRate(result, this.now() - sentAt, block.samples);
    if (this.stopping && result.outcome === 'retry') return 'stop';
    const again = this.settle(block, result, attempt);
    if (again === undefined) return 0;
    await this.sleep(again);
    return attempt + 1;
  }

  /** Acts on a result; returns the delay before retrying the same block, or undefined to move on. */
  private settle(block: OutgoingBlock, result: SendResult, attempt: number): number | undefined {
    const c = this.counters;
    const log = this.options.log;
    if (result.outcome === 'ok') {
      this.queue.ack(block);
      c.requests.ok++;
      c.samplesSent += block.samples;
      c.bytesSent += block.body.length;
      c.lastSuccessMs = this.now();
      if (c.consecutiveFailures > 0)
        log.info('remote write recovered', { failures: c.consecutiveFailures, pending_samples: this.queue.stats().pendingSamples });
      c.consecutiveFailures = 0;
      c.lastError = undefined;
      return undefined;
    }
    if (result.outcome === 'reject') {
      // Sending it again would be refused again: drop it, and say why.
      this.queue.ack(block);
      c.requests.reject++;
      c.samplesRejected += block.samples;
      c.lastError = result.reason;
      log.warn('remote write rejected a block; dropped', { status: result.status, samples: block.samples, reason: result.reason });
      return undefined;
    }
    c.requests.retry++;
    c.samplesRetried += block.samples;
    if (c.consecutiveFailures === 0) log.warn('remote write failing; keeping data on disk and retrying', { reason: result.reason });
    c.consecutiveFailures++;
    c.lastError = result.reason;
    return retryDelayMs(attempt, { ...this.options.backoff, maxRetryAfterMs: this.options.maxRetryAfterMs }, result.retryAfterMs, this.options.random);
  }

  private adaptRate(result: SendResult, latencyMs: number, samples: number): void {
    if (result.outcome === 'ok') this.rate.succeeded(latencyMs, samples);
    else if (result.outcome === 'retry' && this.rate.failed()) {
      // The fleet failed together; a random part of a second at the floor rate spreads its return.
      this.tokens = -(this.options.random ?? Math.random)() * this.rate.current;
      this.tokensAtMs = this.now();
    }
  }

  /** Token bucket over samples at the drain rate with one second of burst; a block larger than the burst waits for its whole cost. */
  private async takeTokens(samples: number): Promise<void> {
    const rate = this.rate.current;
    if (rate <= 0) return;
    const now = this.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAtMs) / 1000) * rate);
    this.tokensAtMs = now;
    this.tokens -= samples;
    if (this.tokens < 0) await this.sleep((-this.tokens / rate) * 1000);
  }

  /** Sleeps, cut short by stop (not by new data: a backoff is a backoff). */
  private sleep(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    let timer: Timer | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = startTimer(resolve, ms)));
    return Promise.race([elapsed, this.stopped]).finally(() => timer?.clear());
  }
}
