/**
 * A sharded Pushgateway tier changed by the remote configuration, end to end:
 * the real agent by its CLI, its tier defined by a served layer, three real
 * Pushgateways. A gateway added to the tier takes the box when it ranks first
 * for it, and the box deletes its groups on the gateway it left; the gateway
 * drained from the tier again sends the box back, and is cleaned up behind it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { identityKey, rendezvousOrder } from '../../src/sinks/rendezvous.ts';
import { CliAgent, instanceGroups, serveLayer, writeRemoteConfigBox } from '../helpers/remote-config-agent.ts';
import { missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('pushgateway');
/** Generous: the machine may be loaded; what is asserted is where the groups end up. */
const SETTLE = { timeoutMs: 60_000, intervalMs: 250 };

let dir: string;
let gateways: RunningServer[] = [];
let layerServer: Server | undefined;
let agent: CliAgent | undefined;
let layer = '';
let layerUrl = '';

/** An instance that the first two gateways share and that the third takes once it joins the tier. */
function instanceMovedByThird(urls: readonly string[]): string {
  for (let i = 0; i < 1000; i++) {
    const instance = `tier-box-${i}`;
    if (rendezvousOrder(urls, identityKey({ instance }))[0] === urls[2]) return instance;
  }
  throw new Error('no instance ranks the third gateway first');
}

function tierLayer(urls: readonly string[]): string {
  return `[pushgateway.tier]\n${urls.map((u) => `url[] = ${u}`).join('\n')}\ntimeout = 1s\n`;
}

/** The gateways holding at least one group of `instance`. */
async function holders(instance: string): Promise<string[]> {
  const out: string[] = [];
  for (const g of gateways) if ((await instanceGroups(g.url, instance)).length > 0) out.push(g.url);
  return out;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tier-reload-'));
  gateways = await Promise.all([startPushgateway(), startPushgateway(), startPushgateway()]);
  const served = await serveLayer(() => layer);
  layerServer = served.server;
  layerUrl = served.url;
});

after(async () => {
  agent?.kill();
  layerServer?.close();
  await Promise.all(gateways.map((g) => g.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a gateway added to the tier by a new layer takes the box and the old copies go; drained again, the box returns and cleans up', { skip }, async () => {
  const urls = gateways.map((g) => g.url);
  const instance = instanceMovedByThird(urls);
  const firstOfTwo = rendezvousOrder(urls.slice(0, 2), identityKey({ instance }))[0]!;
  layer = tierLayer(urls.slice(0, 2));
  agent = new CliAgent(writeRemoteConfigBox(dir, instance, layerUrl));
  agent.start();

  await waitFor(`the box on its first gateway of two, ${firstOfTwo}`, async () => (await holders(instance)).join() === firstOfTwo, SETTLE);

  layer = tierLayer(urls);
  await waitFor(`the box moved to the added gateway ${urls[2]} and gone from ${firstOfTwo}`, async () => (await holders(instance)).join() === urls[2], SETTLE);

  layer = tierLayer(urls.slice(0, 2));
  await waitFor(`the box back on ${firstOfTwo} and gone from the drained gateway`, async () => (await holders(instance)).join() === firstOfTwo, SETTLE);
  assert.match(agent.log, /msg="remote configuration changed; reloading"/);
  await agent.stop();
});
