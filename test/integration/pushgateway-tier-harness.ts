/**
 * What the Pushgateway tier's integration tests share: boxes (the sink's real
 * code, each with its own identity) pushing in cycles like the agent's, and
 * where their groups are on the real gateways.
 */
import { Registry } from 'prom-client';
import { configFromText } from '../../src/config/config.ts';
import { createLogger } from '../../src/log.ts';
import { FamilySet } from '../../src/model/family.ts';
import { PushgatewaySink, type PushgatewayConfig } from '../../src/sinks/pushgateway.ts';
import type { Batch } from '../../src/model/batch.ts';
import { waitFor } from '../helpers/wait.ts';

export const JOBS = ['node', 'app'];
/** Generous: the machine is shared and loaded; the assertions are on outcomes and on cycles, not on speed. */
export const SETTLE = { timeoutMs: 60_000, intervalMs: 200 };

export interface Box {
  instance: string;
  sink: PushgatewaySink;
}

/** A box's sink for a tier of `urls`, with the keys of `[pushgateway.tier]` given (one per line). */
export function tierSink(urls: readonly string[], stateDir: string, keys: string, registry = new Registry()): PushgatewaySink {
  const text = `[pushgateway.tier]\n${urls.map((u) => `url[] = ${u}`).join('\n')}\n${keys}`;
  const config = configFromText(text).sinks[0]!.config as PushgatewayConfig;
  return new PushgatewaySink('pushgateway.tier', config, { log: createLogger(), registry, stateDir });
}

export function identityOf(instance: string): { instance: string; site: string } {
  return { instance, site: 'lab' };
}

export function batchFor(box: Box, cycle: number, deadlineMs: number): Batch {
  const now = Date.now();
  return {
    cycle,
    identity: identityOf(box.instance),
    deadlineMs,
    sources: JOBS.map((job) => {
      const f = new FamilySet();
      f.gauge('up', 'Whether the source was collected.', 1);
      f.gauge('tier_test_box', 'One per box and job.', 1);
      return { source: job, job, up: true, families: f.toArray(), timestampMs: now };
    }),
  };
}

/** Cycles like the agent's: every box pushes, then the rest of the interval passes. */
export class PushLoop {
  cycle = 0;
  /** When each cycle started, ms. */
  readonly starts: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly boxes: () => readonly Box[];
  private readonly intervalMs: number;

  constructor(boxes: () => readonly Box[], intervalMs: number) {
    this.boxes = boxes;
    this.intervalMs = intervalMs;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const start = Date.now();
        this.cycle++;
        this.starts.push(start);
        await Promise.all(this.boxes().map((b) => b.sink.push(batchFor(b, this.cycle, start + this.intervalMs), new AbortController().signal)));
        const rest = start + this.intervalMs - Date.now();
        if (rest > 0 && this.running) await new Promise((r) => setTimeout(r, rest));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * instance → the gateways holding any of its groups, each named by `name(i)`
 * for the i-th of `gatewayUrls` (unreachable gateways hold nothing visible).
 */
export async function placement(gatewayUrls: readonly string[], name = (i: number): string => gatewayUrls[i]!): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    gatewayUrls.map(async (url, i) => {
      let body: { data?: Array<{ labels?: Record<string, string> }> };
      try {
        body = (await (await fetch(`${url}/api/v1/metrics`)).json()) as typeof body;
      } catch {
        return;
      }
      for (const instance of new Set((body.data ?? []).map((d) => d.labels?.['instance'] ?? ''))) {
        if (instance) out.set(instance, [...(out.get(instance) ?? []), name(i)].sort());
      }
    }),
  );
  return out;
}

/** Waits until every box's gateways (its placement) are right; the error names the boxes that are not. */
export async function waitForPlacement<B extends Box>(
  what: string,
  boxes: readonly B[],
  where: () => Promise<Map<string, string[]>>,
  ok: (box: B, gateways: string[]) => boolean,
): Promise<void> {
  let last = '';
  await waitFor(
    what,
    async () => {
      const now = await where();
      const wrong = boxes.filter((b) => !ok(b, now.get(b.instance) ?? []));
      last = wrong.map((b) => `${b.instance}: ${now.get(b.instance)?.join(' ') ?? 'nowhere'}`).join('; ');
      return wrong.length === 0;
    },
    SETTLE,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
}
