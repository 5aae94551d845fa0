/**
 * Runs one sink beside the others: at most one push in flight, so a slow or
 * dead gateway never delays another sink or the next cycle. Batches that
 * arrive meanwhile wait: a coalescing sink keeps only the newest (the
 * Pushgateway holds state, older batches are worthless), others queue a few.
 * A batch comes as its cycle starts; a sink that can push each source as it
 * is collected gets it so, the others once it is complete.
 */
import type { SelfMetrics } from '../self-metrics.ts';
import type { IncomingBatch, PushReport } from '../model/batch.ts';
import type { Sink } from './sink.ts';

const MAX_WAITING = 8;

interface Waiting {
  batch: IncomingBatch;
  resolve: (r: PushReport) => void;
}

export class SinkRunner {
  readonly sink: Sink;
  readonly fingerprint: string;
  private readonly metrics: SelfMetrics;
  private readonly signal: AbortSignal;
  private inFlight: Promise<void> | undefined;
  private readonly waiting: Waiting[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(sink: Sink, fingerprint: string, metrics: SelfMetrics, signal: AbortSignal) {
    this.sink = sink;
    this.fingerprint = fingerprint;
    this.metrics = metrics;
    this.signal = signal;
  }

  /** Resolves when this batch was pushed, or was superseded by a newer one. */
  submit(batch: IncomingBatch): Promise<PushReport> {
    return new Promise((resolve) => {
      if (!this.inFlight) {
        this.start({ batch, resolve });
        return;
      }
      if (this.sink.coalesce || this.waiting.length >= MAX_WAITING) {
        const dropped = this.sink.coalesce ? this.waiting.splice(0) : this.waiting.splice(0, 1);
        for (const d of dropped) {
          this.metrics.sinkBatchesDropped.inc({ sink: this.sink.name });
          d.resolve({ ok: false, bytesSent: 0, error: 'superseded by a newer batch while the sink was busy' });
        }
      }
      this.waiting.push({ batch, resolve });
    });
  }

  /** Resolves when nothing is in flight or waiting. */
  idle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(item: Waiting): void {
    const name = this.sink.name;
    const sink = this.sink;
    // The push's duration counts from when the batch is complete (or the sink free, if later): not the collection.
    let begin = performance.now();
    void item.batch.complete.then(() => {
      begin = Math.max(begin, performance.now());
    });
    this.inFlight = (async () => {
      let report: PushReport;
      try {
        report = sink.pushAsCollected ? await sink.pushAsCollected(item.batch, this.signal) : await sink.push(await item.batch.complete, this.signal);
      } catch (err) {
        report = { ok: false, bytesSent: 0, error: (err as Error).message };
      }
      this.metrics.sinkPushDuration.observe({ sink: name }, (performance.now() - begin) / 1000);
      this.metrics.sinkPushes.inc({ sink: name, result: report.ok ? 'success' : 'failure' });
      this.metrics.sinkBytes.inc({ sink: name }, report.bytesSent);
      if (report.ok) this.metrics.sinkLastSuccess.set({ sink: name }, Date.now() / 1000);
      item.resolve(report);
    })().finally(() => {
      this.inFlight = undefined;
      const next = this.waiting.shift();
      if (next) this.start(next);
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }
}
