/**
 * A slow gateway, not a down one (issue 15's fleet-drill finding): three real
 * Pushgateways, the boxes' first choice behind a proxy that holds every PUT
 * past the sink's timeout and then passes it on (the gateway applies it late)
 * while it answers DELETEs and health checks at once, as an overloaded gateway
 * whose write path is the bottleneck does. A real Prometheus scrapes the three
 * gateways with honor_labels. After several intervals the gateway is fast
 * again: within an interval every box's groups must be on exactly one
 * gateway, and `count by (instance, job) (up)` must never exceed 1 for longer
 * than one interval from then on (nor, while it was slow, for longer than
 * failover_after and an interval).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identityKey, rendezvousOrder } from '../../src/sinks/rendezvous.ts';
import { missingPeers, promQuery, startPrometheus, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { startSlowProxy, type SlowProxy } from '../helpers/slow-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  identityOf,
  JOBS,
  placement as placementOn,
  PushLoop,
  SETTLE,
  tierSink,
  waitForPlacement as waitForPlacementOf,
  type Box,
} from './pushgateway-tier-harness.ts';

const skip = missingPeers('pushgateway', 'prometheus');
const BOXES = 8;
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 1000;
/** failover_after, in intervals. */
const FAILOVER_CYCLES = 2;
/** Past the timeout: every PUT times out at the box and lands on the gateway afterwards. */
const SLOW_PUT_MS = 2500;
/** The longest the gateway stays slow. */
const SLOW_CYCLES = 16;

let dir: string;
let gateways: RunningServer[] = [];
let proxy: SlowProxy;
let prom: RunningServer;
let boxes: Box[] = [];
const pushing = new PushLoop(() => boxes, INTERVAL_MS);

/** The tier as the boxes see it: the first gateway through the slow proxy. */
function tierUrls(): string[] {
  return [proxy.url, ...gateways.slice(1).map((g) => g.url)];
}

function order(instance: string): string[] {
  return rendezvousOrder(tierUrls(), identityKey(identityOf(instance)));
}

/** Boxes whose first choice is the slow gateway (most of them) and a couple that never touch it first. */
function boxInstances(): string[] {
  const slow: string[] = [];
  const others: string[] = [];
  for (let i = 0; slow.length < BOXES - 2 || others.length < 2; i++) {
    const instance = `slow-box-${i}`;
    if (order(instance)[0] === proxy.url) {
      if (slow.length < BOXES - 2) slow.push(instance);
    } else if (others.length < 2) others.push(instance);
  }
  return [...slow, ...others];
}

/** instance → the gateways holding its groups, named as the boxes name them (the first through the proxy). */
function placement(): Promise<Map<string, string[]>> {
  return placementOn(
    gateways.map((g) => g.url),
    (i) => tierUrls()[i]!,
  );
}

/** Waits until every box's gateways are right; returns the cycle it was seen. */
async function waitForPlacement(what: string, ok: (box: Box, where: string[]) => boolean): Promise<number> {
  await waitForPlacementOf(what, boxes, placement, ok);
  return pushing.cycle;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-slow-tier-'));
  gateways = await Promise.all([0, 1, 2].map(() => startPushgateway()));
  proxy = await startSlowProxy(gateways[0]!.url);
  const targets = gateways.map((g) => `      - targets: ['127.0.0.1:${g.port}']`).join('\n');
  prom = await startPrometheus(
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gateways\n    honor_labels: true\n    static_configs:\n${targets}\n`,
  );
  const keys = `failover_after = ${FAILOVER_CYCLES * INTERVAL_MS}ms\nfailback_after = 8s\ntimeout = ${TIMEOUT_MS}ms\nretries = 0\n`;
  boxes = boxInstances().map((instance) => ({ instance, sink: tierSink(tierUrls(), path.join(dir, instance), keys) }));
  pushing.start();
});

after(async () => {
  if (skip) return;
  await pushing.stop();
  await Promise.all(boxes.map((b) => b.sink.close()));
  await proxy.close();
  await Promise.all([...gateways, prom].map((s) => s?.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs of `count by (instance, job) (up) > 1` in Prometheus from `fromMs`, each as the number of cycles that started in it. */
async function doubleCounts(fromMs: number): Promise<Array<{ series: string; cycles: number }>> {
  const query = encodeURIComponent('count by (instance, job) (up) > 1');
  const url = `${prom.url}/api/v1/query_range?query=${query}&start=${fromMs / 1000}&end=${Date.now() / 1000}&step=1`;
  const body = (await (await fetch(url)).json()) as { data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
  const runs: Array<{ series: string; cycles: number }> = [];
  for (const r of body.data.result) {
    let runStart: number | undefined;
    let prev = -Infinity;
    const close = (): void => {
      if (runStart === undefined) return;
      const [fromT, toT] = [runStart * 1000, prev * 1000];
      runs.push({ series: `${r.metric['instance']}/${r.metric['job']}`, cycles: pushing.starts.filter((t) => t > fromT && t <= toT).length });
    };
    for (const [t] of r.values) {
      if (t - prev > 1.5) {
        close();
        runStart = t;
      }
      prev = t;
    }
    close();
  }
  return runs;
}

test('a gateway slow for several intervals, then fast again: every box ends on exactly one gateway, and Prometheus never counts one twice for longer than an interval', {
  skip,
}, async () => {
  const first = (b: Box): string => order(b.instance)[0]!;
  await waitForPlacement('every box on its first gateway', (b, where) => where.join(' ') === first(b));
  const everyBox = async (): Promise<boolean> => (await promQuery(prom.url, 'count(up{site="lab"})'))[0]?.value[1] === String(BOXES * JOBS.length);
  await waitFor('Prometheus to see every box', everyBox, SETTLE);

  proxy.delayMs = (method) => (method === 'PUT' ? SLOW_PUT_MS : 0);
  const slowAt = Date.now();
  const slowFrom = pushing.cycle;
  // It turns fast at the worst moment, if one comes: while a box is seen on two gateways (a late
  // write re-created a group it had deleted, or one it never knew had landed).
  const onTwo = async (): Promise<boolean> => [...(await placement()).values()].some((where) => where.length > 1);
  await waitFor(
    'a box on two gateways, or the slow intervals to pass',
    async () => (pushing.cycle >= slowFrom + 3 && (await onTwo())) || pushing.cycle >= slowFrom + SLOW_CYCLES,
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  proxy.delayMs = () => 0;
  // Requests held when it turned fast still land: "back" is when the last of them has.
  await waitFor('the held requests to land', () => proxy.held === 0, SETTLE);
  const backAt = Date.now();
  const backCycle = pushing.cycle;

  const onOne = await waitForPlacement('every box on exactly one gateway', (_b, where) => where.length === 1);
  assert.ok(onOne - backCycle <= 2, `boxes were on two gateways for ${onOne - backCycle} cycles after the gateway was back`);
  await waitForPlacement('every box back on its first gateway, nowhere else', (b, where) => where.join(' ') === first(b));
  const homeCycle = pushing.cycle;
  // A few cycles more, so that Prometheus has scraped the end state.
  await waitFor('Prometheus to scrape the end state', () => pushing.cycle >= homeCycle + 3, { timeoutMs: 30_000, intervalMs: 100 });
  // While it is slow, a copy the box left may be seen until the box has given the gateway failover_after
  // to apply its late writes and deleted them after that; once it is back, for one interval at most.
  const whileSlow = (await doubleCounts(slowAt)).filter((r) => r.cycles > FAILOVER_CYCLES + 1);
  assert.deepEqual(whileSlow, [], 'series counted twice for longer than failover_after and an interval');
  const afterBack = (await doubleCounts(backAt)).filter((r) => r.cycles > 1);
  assert.deepEqual(afterBack, [], 'series counted twice for more than one interval after the gateway was back');
});
