/**
 * [remote_config] end to end: the agent run by its CLI takes its gateway from
 * a layer served over HTTP, follows a change of it, refuses a broken one
 * while it keeps pushing, and starts offline on the cached layer. The
 * gateway is a real Debian Pushgateway.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliAgent, instanceGroups, pushedAfter as pushedAfterOn, pushTime, serveLayer, writeRemoteConfigBox } from '../helpers/remote-config-agent.ts';
import { missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('pushgateway');
const INSTANCE = 'remote-box';
let gw: RunningServer;
let layerServer: Server;
let layer = '';
let agent: CliAgent;

/** job → push_time_seconds of this box's groups on the gateway. */
async function pushTimes(): Promise<Map<string, number>> {
  return new Map((await instanceGroups(gw.url, INSTANCE)).map((g) => [g.labels['job']!, pushTime(g)]));
}

const pushedAfter = (job: string, t: number): Promise<void> => pushedAfterOn(gw.url, INSTANCE, job, t);

before(async () => {
  if (skip) return;
  gw = await startPushgateway();
  const served = await serveLayer(() => layer);
  layerServer = served.server;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-remote-config-'));
  layer = `[pushgateway.central]\nurl = ${gw.url}\ntimeout = 500ms\n`;
  agent = new CliAgent(writeRemoteConfigBox(dir, INSTANCE, served.url));
  agent.start();
});

after(async () => {
  agent?.kill();
  layerServer?.close();
  await gw?.stop();
});

test('the gateway comes from the served layer; a change of the layer is applied without a restart', { skip }, async () => {
  await pushedAfter('node', 0);
  await pushedAfter('edgepush', 0);
  layer += '[self]\nenabled = false\n';
  // The self source removed by the new layer: its group is deleted from the gateway.
  await waitFor('the edgepush group deleted', async () => !(await pushTimes()).has('edgepush'), { timeoutMs: 20_000, intervalMs: 200 });
  assert.match(agent.log, /msg="remote configuration changed; reloading"/);
  assert.doesNotMatch(agent.log, /no sink configured/, 'no warning while the sinks are still to come with the first fetch');
});

test('a layer that does not load is refused, logged, and the agent keeps pushing', { skip }, async () => {
  layer = '[pushgateway.central]\nurl = not a url\n';
  await waitFor('the refusal in the log', () => /msg=failing .*remote configuration refused, keeping the running one: .*\[pushgateway\.central\] url/.test(agent.log), { timeoutMs: 20_000 });
  await pushedAfter('node', Date.now() / 1000);
  assert.equal((await pushTimes()).has('edgepush'), false, 'still the last applied layer');
});

test('restarted while the URL is down, the agent runs on the cached layer', { skip }, async () => {
  await agent.stop();
  await new Promise<void>((resolve) => layerServer.close(() => resolve()));
  const restarted = Date.now() / 1000;
  agent.start();
  await pushedAfter('node', restarted);
  await waitFor('the failed fetch in the log', () => /cannot fetch the remote configuration: ECONNREFUSED/.test(agent.log), { timeoutMs: 20_000 });
  await agent.stop();
});
