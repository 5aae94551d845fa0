/**
 * What the drill watches once a second while scenarios run: the receivers'
 * own counters (request and sample rates, CPU, RSS) and the freshness of a
 * few probe boxes in each remote-write receiver (collection timestamp →
 * queryable).
 */
import { promQuery } from '../../test/helpers/servers.ts';
import type { FleetReceivers, ReceiverCounters } from './receivers.ts';

export interface Freshness {
  atMs: number;
  receiver: string;
  /** Now minus the newest collection timestamp queryable, over the probe boxes (the worst). */
  staleMs: number;
}

export interface Arrival {
  atMs: number;
  receiver: string;
  /** First seen minus collection timestamp of a newly queryable sample (poll resolution: 1 s). */
  lagMs: number;
}

export class Sampler {
  readonly counters: ReceiverCounters[] = [];
  readonly freshness: Freshness[] = [];
  readonly arrivals: Arrival[] = [];
  private readonly newest = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly receivers: FleetReceivers;
  private readonly probes: string[];

  constructor(receivers: FleetReceivers, probes: string[]) {
    this.receivers = receivers;
    this.probes = probes;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.sample().finally(() => (this.busy = false));
    }, 1000);
  }

  stop(): void {
    clearInterval(this.timer);
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

  private async sample(): Promise<void> {
    const counters = await this.receivers.counters().catch(() => undefined);
    if (counters) this.counters.push(counters);
    const selector = `up{job="app",instance=~"${this.probes.join('|')}"}`;
    for (const [receiver, url] of [
      ['vm', this.receivers.vm.url],
      ['prom', this.receivers.prom.url],
    ] as const) {
      const rows = await promQuery(url, `timestamp(${selector})`).catch(() => undefined);
      if (!rows) continue;
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
      if (rows.length > 0) this.freshness.push({ atMs: now, receiver, staleMs: now - oldest });
    }
  }
}
