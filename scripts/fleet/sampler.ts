/**
 * What the drill watches once a second while scenarios run: the receivers'
 * own counters (request and sample rates, CPU, RSS) and the freshness of a
 * few probe boxes in each remote-write receiver (collection timestamp →
 * queryable), with how long that query took (a dashboard's view of the
 * receiver). The two are read by loops of their own, so a receiver slow to
 * answer queries (at 500 boxes and more, during a drain) does not leave the
 * counters unread: the peak rate of a drain needs a reading every second.
 */
import { promQuery } from '../../test/helpers/servers.ts';
import type { FleetReceivers, ReceiverCounters } from './receivers.ts';

export interface Freshness {
  atMs: number;
  receiver: string;
  /** Now minus the newest collection timestamp queryable, over the probe boxes (the worst). */
  staleMs: number;
  /** How long the receiver took to answer the probes' query. */
  queryMs: number;
}

export interface Arrival {
  atMs: number;
  receiver: string;
  /** First seen minus collection timestamp of a newly queryable sample (poll resolution: 1 s). */
  lagMs: number;
}

/** Runs `step` every second, never two at once (a slow step skips ticks rather than piling up). */
class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly step: () => Promise<void>;

  constructor(step: () => Promise<void>) {
    this.step = step;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.step().finally(() => (this.busy = false));
    }, 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class Sampler {
  readonly counters: ReceiverCounters[] = [];
  readonly freshness: Freshness[] = [];
  readonly arrivals: Arrival[] = [];
  private readonly newest = new Map<string, number>();
  private readonly receivers: FleetReceivers;
  private readonly probes: string[];
  private readonly tickers: Ticker[];

  constructor(receivers: FleetReceivers, probes: string[]) {
    this.receivers = receivers;
    this.probes = probes;
    this.tickers = [new Ticker(() => this.sampleCounters()), new Ticker(() => this.sampleFreshness())];
  }

  start(): void {
    for (const t of this.tickers) t.start();
  }

  stop(): void {
    for (const t of this.tickers) t.stop();
  }

  /** Per-second rates of a receiver between samples in [fromMs, toMs]: requests/s and samples/s at each step. */
  rates(receiver: string, fromMs: number, toMs: number): Array<{ requests: number; samples: number }> {
    const window = this.counters.filter((c) => c.atMs >= fromMs && c.atMs <= toMs && c.writes[receiver]!.requests > 0);
    const out: Array<{ requests: number; samples: number }> = [];
    for (let i = 1; i < window.length; i++) {
      const a = window[i - 1]!;
      const b = window[i]!;
      const s = (b.atMs - a.atMs) / 1000;
      out.push({
        requests: (b.writes[receiver]!.requests - a.writes[receiver]!.requests) / s,
        samples: (b.writes[receiver]!.samples - a.writes[receiver]!.samples) / s,
      });
    }
    return out;
  }

  /** The counters closest to `atMs` (the first sample at or after it, else the last). */
  at(atMs: number): ReceiverCounters | undefined {
    return this.counters.find((c) => c.atMs >= atMs) ?? this.counters.at(-1);
  }

  private async sampleCounters(): Promise<void> {
    const counters = await this.receivers.counters().catch(() => undefined);
    if (counters) this.counters.push(counters);
  }

  private async sampleFreshness(): Promise<void> {
    const selector = `up{job="app",instance=~"${this.probes.join('|')}"}`;
    await Promise.all(
      (
        [
          ['vm', this.receivers.vm.url],
          ['prom', this.receivers.prom.url],
        ] as const
      ).map(async ([receiver, url]) => {
        const askedMs = Date.now();
        const rows = await promQuery(url, `timestamp(${selector})`).catch(() => undefined);
        if (!rows) return;
        const now = Date.now();
        let oldest = Infinity;
        for (const r of rows) {
          const ts = Number(r.value[1]) * 1000;
          oldest = Math.min(oldest, ts);
          const key = `${receiver}/${r.metric['instance']}`;
          if (ts > (this.newest.get(key) ?? 0)) {
            if (this.newest.has(key)) this.arrivals.push({ atMs: now, receiver, lagMs: now - ts });
            this.newest.set(key, ts);
          }
        }
        if (rows.length > 0) this.freshness.push({ atMs: now, receiver, staleMs: now - oldest, queryMs: now - askedMs });
      }),
    );
  }
}
