/**
 * A sharded Pushgateway tier against the real things: four Debian
 * Pushgateways (three in the tier, the fourth added later), a real Prometheus
 * scraping all of them with honor_labels, and twenty boxes: the sink's real
 * code, each box with its own identity and state directory, pushing every
 * second. A monitor polls every gateway's /api/v1/metrics throughout and
 * records any box seen on two gateways, in cycles.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PushgatewaySink } from '../../src/sinks/pushgateway.ts';
import { identityKey, rendezvousOrder } from '../../src/sinks/rendezvous.ts';
import { missingPeers, promQuery, startPrometheus, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  batchFor,
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
const BOXES = 20;
const INTERVAL_MS = 1000;

interface TierBox extends Box {
  stateDir: string;
}

let dir: string;
let gateways: RunningServer[] = [];
let prom: RunningServer;
let boxes: TierBox[] = [];
const pushing = new PushLoop(() => boxes, INTERVAL_MS);
let monitor: Promise<void> | undefined;
/** For every box seen on two gateways: the cycle it was first and last seen so, in the current episode. */
const overlaps = new Map<string, { first: number; last: number }>();
let longestOverlapCycles = 0;
let overlapDetail = '';

function sinkFor(stateDir: string, urls: readonly string[]): PushgatewaySink {
  return tierSink(urls, stateDir, 'failover_after = 2s\nfailback_after = 2s\ntimeout = 1s\nretries = 1\nretry_backoff = 100ms\n');
}

function urls(n: number): string[] {
  return gateways.slice(0, n).map((g) => g.url);
}

function preferred(box: Pick<Box, 'instance'>, n: number): string {
  return rendezvousOrder(urls(n), identityKey(identityOf(box.instance)))[0]!;
}

/**
 * Twenty identities, the first ones in order, skipping a few only so that each
 * scenario has boxes to move: every gateway of three has boxes, and some
 * (three to seven) take the fourth as first choice. The gateways' random
 * ports decide the ranking, so without this a run could (rarely) have no box
 * on a gateway or none moving, and prove nothing; how evenly rendezvous
 * spreads boxes is the unit tests' claim (test/sinks/rendezvous.test.ts).
 */
function boxInstances(): string[] {
  const chosen: string[] = [];
  const movers = (): number => chosen.filter((instance) => preferred({ instance }, 4) === urls(4)[3]).length;
  for (let i = 0; chosen.length < BOXES; i++) {
    const instance = `box-${i}`;
    const moves = preferred({ instance }, 4) === urls(4)[3];
    const left = BOXES - chosen.length;
    if (moves && movers() >= 7) continue;
    if (!moves && movers() + left <= 3) continue;
    chosen.push(instance);
    if (chosen.length === BOXES && new Set(chosen.map((c) => preferred({ instance: c }, 3))).size < 3) chosen.splice(0);
  }
  return chosen;
}

function startMonitor(): void {
  monitor = (async () => {
    while (pushing.isRunning) {
      const seenAt = pushing.cycle;
      const where = await placement();
      for (const [instance, urlsSeen] of where) {
        if (urlsSeen.length < 2 || !boxes.some((b) => b.instance === instance)) {
          overlaps.delete(instance);
          continue;
        }
        const o = overlaps.get(instance) ?? { first: seenAt, last: seenAt };
        o.last = pushing.cycle;
        overlaps.set(instance, o);
        if (o.last - o.first > longestOverlapCycles) {
          longestOverlapCycles = o.last - o.first;
          overlapDetail = `${instance} on ${urlsSeen.join(' and ')} from cycle ${o.first} to ${o.last}`;
        }
      }
      for (const instance of overlaps.keys()) if (!where.has(instance) || where.get(instance)!.length < 2) overlaps.delete(instance);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
}

function placement(): Promise<Map<string, string[]>> {
  return placementOn(gateways.map((g) => g.url));
}

/** Waits until every box is on exactly its expected gateway (and nowhere else). */
function waitForPlacement(what: string, expected: (box: TierBox) => string): Promise<void> {
  return waitForPlacementOf(what, boxes, placement, (b, where) => where.join(' ') === expected(b));
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tier-'));
  // Persistence, so a gateway that comes back still holds the copies it had: the box must delete them.
  gateways = await Promise.all([0, 1, 2, 3].map((i) => startPushgateway([`--persistence.file=${path.join(dir, `gw${i}.db`)}`, '--persistence.interval=1s'])));
  const targets = gateways.map((g, i) => `      - targets: ['127.0.0.1:${g.port}']\n        labels: {gateway: gw${i}}`).join('\n');
  prom = await startPrometheus(
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gateways\n    honor_labels: true\n    static_configs:\n${targets}\n`,
  );
  boxes = boxInstances().map((instance, i) => {
    const stateDir = path.join(dir, `box${i}`);
    return { instance, stateDir, sink: sinkFor(stateDir, urls(3)) };
  });
  pushing.start();
  startMonitor();
});

after(async () => {
  if (skip) return;
  await pushing.stop();
  await monitor;
  await Promise.all(boxes.map((b) => b.sink.close()));
  await Promise.all([...gateways, prom].map((s) => s?.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Prometheus, scraping every gateway, sees each box's series exactly once. */
async function waitForPrometheusOnce(): Promise<void> {
  await waitFor(
    'Prometheus to see every box once',
    async () => {
      const r = await promQuery(prom.url, 'count by (instance, job) (tier_test_box)');
      return r.length === BOXES * JOBS.length && r.every((s) => s.value[1] === '1');
    },
    SETTLE,
  );
}

test('each box on exactly its rendezvous gateway; Prometheus sees it once; a killed gateway fails over, comes back, and a fourth gateway moves only the boxes that rank it first', {
  skip,
}, async () => {
  await waitForPlacement('every box on its first gateway', (b) => preferred(b, 3));
  const spread = new Set(boxes.map((b) => preferred(b, 3)));
  assert.equal(spread.size, 3, 'twenty boxes use all three gateways');
  await waitForPrometheusOnce();

  // Kill the gateway with the most boxes: its boxes go to their second choice, the others stay.
  const load = (url: string): number => boxes.filter((b) => preferred(b, 3) === url).length;
  const victim = gateways.slice(0, 3).sort((a, b) => load(b.url) - load(a.url))[0]!;
  const second = (b: Box): string => rendezvousOrder(urls(3), identityKey(identityOf(b.instance))).filter((u) => u !== victim.url)[0]!;
  await victim.pause();
  const killedAt = pushing.cycle;
  await waitForPlacement("the killed gateway's boxes on their next gateway", (b) => (preferred(b, 3) === victim.url ? second(b) : preferred(b, 3)));
  // failover_after (2 s) plus one interval, in cycles of at least a second each; one more for the poll.
  assert.ok(pushing.cycle - killedAt <= 4, `failover took ${pushing.cycle - killedAt} cycles`);

  // It comes back (with its persisted copies): they are deleted at once, and after failback_after the boxes return.
  await victim.resume();
  await waitForPlacement('the boxes back on their first gateway, nothing left behind', (b) => preferred(b, 3));
  await waitForPrometheusOnce();

  // A fourth gateway, by rebuilding every sink with the new tier (what a reload does): only its boxes move.
  await pushing.stop();
  await Promise.all(
    boxes.map(async (b) => {
      await b.sink.close();
      b.sink = sinkFor(b.stateDir, urls(4));
    }),
  );
  const movers = boxes.filter((b) => preferred(b, 4) !== preferred(b, 3));
  for (const b of movers) assert.equal(preferred(b, 4), gateways[3]!.url);
  assert.ok(movers.length >= 3 && movers.length <= 7, `${movers.length} of ${BOXES} boxes move`);
  pushing.start();
  await waitForPlacement('the movers on the fourth gateway, their old copies deleted', (b) => preferred(b, 4));
  await waitForPrometheusOnce();

  assert.ok(longestOverlapCycles <= 1, `a box was on two gateways for more than one interval: ${overlapDetail}`);
});

test("decommission deletes the box's groups from every gateway of the tier, also copies it does not remember", { skip }, async () => {
  const identity = { instance: 'retired', site: 'lab' };
  const stateDir = path.join(dir, 'retired');
  const sink = sinkFor(stateDir, urls(3));
  const box: TierBox = { instance: 'retired', stateDir, sink };
  assert.equal((await sink.push(batchFor(box, 1, Date.now() + 10_000), new AbortController().signal)).ok, true);
  // A copy on another gateway that this box's state does not know (e.g. pushed before its state directory was wiped).
  const elsewhere = urls(3).find((u) => u !== preferred(box, 3))!;
  const put = await fetch(`${elsewhere}/metrics/job/old/instance/retired/site/lab`, { method: 'PUT', body: 'retired_leftover 1\n' });
  assert.ok(put.ok, `PUT: ${put.status}`);
  assert.equal((await placement()).get('retired')?.length, 2);
  await sink.decommission(identity, JOBS, AbortSignal.timeout(30_000));
  await sink.close();
  assert.equal((await placement()).get('retired'), undefined, 'no group of the box left on any gateway');
});
