/**
 * The whole tier overloaded (issue 15, seen in the fleet drill: with every
 * gateway slow, boxes failed over round and round, hundreds of moves a minute,
 * each adding a full push and a cleanup to gateways already behind). Three real
 * Pushgateways, each behind a proxy that holds every PUT past the sink's
 * timeout and passes it on late, while health checks answer at once (a
 * gateway whose write path is the bottleneck). A box may go through the tier
 * once (two failovers) and must then stay where it is; when the gateways are
 * fast again, every box's groups are on exactly one gateway.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { startSlowProxy, type SlowProxy } from '../helpers/slow-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { PushLoop, placement, SETTLE, tierSink, waitForPlacement, type Box } from './pushgateway-tier-harness.ts';

const skip = missingPeers('pushgateway');
const BOXES = 6;
const INTERVAL_MS = 1000;
/** failover_after, in intervals. */
const FAILOVER_CYCLES = 2;
/** Cycles the whole tier stays slow: time for six failovers per box under the old rule. */
const SLOW_CYCLES = 6 * (FAILOVER_CYCLES + 1);

interface CountedBox extends Box {
  registry: Registry;
}

let dir: string;
let gateways: RunningServer[] = [];
let proxies: SlowProxy[] = [];
let boxes: CountedBox[] = [];
const pushing = new PushLoop(() => boxes, INTERVAL_MS);

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-overloaded-tier-'));
  gateways = await Promise.all([0, 1, 2].map(() => startPushgateway()));
  proxies = await Promise.all(gateways.map((g) => startSlowProxy(g.url)));
  // failback_after far beyond the test: a box that went through the tier has nowhere it may go.
  const keys = `failover_after = ${FAILOVER_CYCLES * INTERVAL_MS}ms\nfailback_after = 10m\ntimeout = 1s\nretries = 0\n`;
  boxes = Array.from({ length: BOXES }, (_, i) => {
    const instance = `overloaded-box-${i}`;
    const registry = new Registry();
    return {
      instance,
      registry,
      sink: tierSink(
        proxies.map((p) => p.url),
        path.join(dir, instance),
        keys,
        registry,
      ),
    };
  });
  pushing.start();
});

after(async () => {
  if (skip) return;
  await pushing.stop();
  await Promise.all(boxes.map((b) => b.sink.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(gateways.map((g) => g.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function failovers(box: CountedBox): Promise<number> {
  const metric = await box.registry.getSingleMetric('edgepush_pushgateway_moves_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels['reason'] === 'failover').reduce((n, v) => n + v.value, 0);
}

function where(): Promise<Map<string, string[]>> {
  return placement(
    gateways.map((g) => g.url),
    (i) => proxies[i]!.url,
  );
}

test('with every gateway of the tier slow, a box goes through the tier once and stays; fast again, each box is on one gateway', { skip }, async () => {
  await waitForPlacement('every box on one gateway', boxes, where, (_b, on) => on.length === 1);
  for (const p of proxies) p.delayMs = (method) => (method === 'PUT' ? 2500 : 0);
  const slowFrom = pushing.cycle;
  await waitFor('the slow cycles to pass', () => pushing.cycle >= slowFrom + SLOW_CYCLES, { timeoutMs: 300_000, intervalMs: 100 });
  const moves = await Promise.all(boxes.map(async (b) => `${b.instance}: ${await failovers(b)}`));
  const counts = await Promise.all(boxes.map(failovers));
  assert.ok(
    counts.every((n) => n <= 2),
    `failovers per box while the whole tier was slow (at most 2, through 3 gateways once): ${moves.join(', ')}`,
  );
  for (const p of proxies) p.delayMs = () => 0;
  await waitFor('the held requests to land', () => proxies.every((p) => p.held === 0), SETTLE);
  await waitForPlacement('every box on exactly one gateway', boxes, where, (_b, on) => on.length === 1);
});
