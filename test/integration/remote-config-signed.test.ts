/**
 * Signed, versioned remote layers end to end: the agent run by its CLI with
 * [remote_config] trusted_keys against a local config server and a real
 * Debian Pushgateway. A signed layer is applied; unsigned, tampered,
 * wrong-key, removed-key (after a rotation) and replayed layers are refused
 * and counted while the box keeps pushing; a layer that breaks the only
 * gateway is reverted, and stays refused after a restart. What the box runs
 * is read where a fleet operator reads it: the self group on the gateway.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyIdOf, signLayer } from '../../src/config/remote/layer-signature.ts';
import { identify, LayerState } from '../../src/config/remote/layer-state.ts';
import { CliAgent, instanceGroups, pushedAfter as pushedAfterOn, serveLayer, writeRemoteConfigBox } from '../helpers/remote-config-agent.ts';
import { freePort, missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('pushgateway');
const INSTANCE = 'signed-box';
const LONG = { timeoutMs: 30_000, intervalMs: 200 };
let gw: RunningServer;
let layerServer: Server;
let layer = '';
const requests: IncomingHttpHeaders[] = [];
let agent: CliAgent;
let dir: string;
let trustedFile: string;

interface Key {
  privateKey: KeyObject;
  pem: string;
  id: string;
}

function newKey(): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), id: keyIdOf(publicKey) };
}

const keyA = newKey();
const keyB = newKey();
const intruder = newKey();

function gatewayLayer(url: string): string {
  return `[pushgateway.central]\nurl = ${url}\ntimeout = 500ms\nretries = 0\n`;
}

const groups = () => instanceGroups(gw.url, INSTANCE);
const pushedAfter = (job: string, t: number): Promise<void> => pushedAfterOn(gw.url, INSTANCE, job, t);

/** The samples of one self metric as the gateway holds them: labels and value. */
async function selfMetric(name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const self = (await groups()).find((g) => g.labels['job'] === 'edgepush');
  const family = self?.[name] as { metrics?: Array<{ labels: Record<string, string>; value: string }> } | undefined;
  return (family?.metrics ?? []).map((m) => ({ labels: m.labels, value: Number(m.value) }));
}

async function refusalsPushed(reason: string, atLeast: number): Promise<void> {
  await waitFor(
    `edgepush_remote_config_refusals_total{reason="${reason}"} >= ${atLeast} on the gateway`,
    async () => ((await selfMetric('edgepush_remote_config_refusals_total')).find((m) => m.labels['reason'] === reason)?.value ?? 0) >= atLeast,
    LONG,
  );
}

async function infoPushed(version: string, state: string): Promise<void> {
  await waitFor(
    `edgepush_remote_config_info{version="${version}",state="${state}"} on the gateway`,
    async () => (await selfMetric('edgepush_remote_config_info')).some((m) => m.labels['version'] === version && m.labels['state'] === state && m.value === 1),
    LONG,
  );
}

const cached = (): string => readFileSync(path.join(dir, 'state', 'remote-config.ini'), 'utf8');
const trial = (): unknown => (JSON.parse(readFileSync(path.join(dir, 'state', 'remote-config.state.json'), 'utf8')) as { trial?: unknown }).trial;

before(async () => {
  if (skip) return;
  gw = await startPushgateway();
  const served = await serveLayer(() => layer, requests);
  layerServer = served.server;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-signed-'));
  trustedFile = path.join(dir, 'trusted.pem');
  writeFileSync(trustedFile, keyA.pem + keyB.pem);
  layer = signLayer(gatewayLayer(gw.url), keyA.privateKey, 1);
  agent = new CliAgent(writeRemoteConfigBox(dir, INSTANCE, served.url, `trusted_keys = ${trustedFile}\nrevert_after_failed_cycles = 2\n`));
  agent.start();
});

after(async () => {
  agent?.kill();
  layerServer?.close();
  await gw?.stop();
});

test('a signed layer is applied, the fetch names the box, and the gateway shows which layer it runs', { skip }, async () => {
  await pushedAfter('node', 0);
  await infoPushed('1', 'applied');
  const last = requests.at(-1)!;
  assert.equal(last['x-edgepush-instance'], INSTANCE);
  assert.match(String(last['x-edgepush-version']), /^\d+\.\d+\.\d+/);
  await waitFor('the running version announced', () => requests.at(-1)?.['x-edgepush-config-version'] === '1', LONG);
});

test('unsigned, tampered, wrong-key and replayed layers are refused and counted; the box keeps pushing on its layer', { skip }, async () => {
  await waitFor('version 1 known-good', () => trial() === undefined, LONG);
  const v2 = signLayer(gatewayLayer(gw.url) + '[self]\njob = edgepush\n', keyB.privateKey, 2);
  layer = v2;
  await waitFor('version 2 cached', () => cached() === v2, LONG);
  const cases: Array<[string, string]> = [
    [gatewayLayer(`http://127.0.0.1:${await freePort()}`), 'unsigned'],
    [v2.replace(gw.url, `http://127.0.0.1:${await freePort()}`), 'bad_signature'],
    [signLayer(gatewayLayer(`http://127.0.0.1:${await freePort()}`), intruder.privateKey, 9), 'unknown_key'],
    [readFileSync(path.join(dir, 'state', 'remote-config.good.ini'), 'utf8'), 'old_version'],
  ];
  for (const [body, reason] of cases) {
    layer = body;
    await refusalsPushed(reason, 1);
    assert.equal(cached(), v2, `${reason}: the running layer stays`);
  }
  await pushedAfter('node', Date.now() / 1000);
  assert.equal(cached(), v2);
  assert.match(agent.log, /msg=failing .*reason=unknown_key .*signed by key [0-9a-f]{16}, which is not among the trusted keys/);
});

test('after a key rotation, a layer signed by the removed key is refused', { skip }, async () => {
  // Rotation: every layer is re-signed with B (version 2 is), then A leaves the trusted file.
  writeFileSync(trustedFile, keyB.pem);
  const logBefore = agent.log.length;
  agent.process!.kill('SIGHUP');
  await waitFor('the reload', () => agent.log.slice(logBefore).includes('msg="configuration reloaded"'), LONG);
  layer = signLayer(gatewayLayer(gw.url), keyA.privateKey, 3);
  await waitFor(
    'the refusal of the removed key',
    () => new RegExp(`reason=unknown_key [^\\n]*signed by key ${keyA.id}, which is not among the trusted keys \\(${keyB.id}\\)`).test(agent.log),
    LONG,
  );
  await refusalsPushed('unknown_key', 1);
  await pushedAfter('node', Date.now() / 1000);
});

test('a layer that breaks the only gateway is reverted after 2 cycles, pushing resumes, and it is not applied again after a restart', { skip }, async () => {
  await waitFor('version 2 known-good', () => trial() === undefined, LONG);
  const good = cached();
  const broken = signLayer(gatewayLayer(`http://127.0.0.1:${await freePort()}`), keyB.privateKey, 4);
  layer = broken;
  await waitFor(
    'the revert in the log',
    () =>
      /level=error msg="remote configuration version 4 \(sha256 [0-9a-f]{12}\) reverted to the last known-good layer; it is never applied again"/.test(
        agent.log,
      ),
    LONG,
  );
  assert.equal(cached(), good);
  await pushedAfter('node', Date.now() / 1000);
  await infoPushed('2', 'reverted');
  await waitFor('one revert counted on the gateway', async () => (await selfMetric('edgepush_remote_config_reverts_total'))[0]?.value === 1, LONG);
  await refusalsPushed('reverted', 1);

  await agent.stop();
  const logBefore = agent.log.length;
  const restarted = Date.now() / 1000;
  agent.start();
  await pushedAfter('node', restarted);
  await waitFor('version 4 refused after the restart', () => /msg=failing [^\n]*reason=reverted version=4/.test(agent.log.slice(logBefore)), LONG);
  await pushedAfter('node', Date.now() / 1000);
  assert.equal(cached(), good, 'the reverted layer is not applied again');
  layer = signLayer(gatewayLayer(gw.url) + '[self]\njob = edgepush\n', keyB.privateKey, 5);
  await infoPushed('5', 'applied');
  await agent.stop();
});

test('a layer that crashed the agent before its first cycle is left out at the next start and refused from then on', { skip }, async () => {
  // The state a crash leaves: the layer applied (its trial recorded, as the fetcher does before a reload), no cycle since.
  const state = new LayerState(path.join(dir, 'state', 'remote-config.ini'));
  state.promote();
  const good = cached();
  const crashing = signLayer(gatewayLayer(gw.url) + '[labels]\ncrashes = yes\n', keyB.privateKey, 6);
  state.startTrial(identify(crashing), ['pushgateway.central'], Date.now());
  writeFileSync(state.cacheFile, crashing);
  layer = crashing;
  const logBefore = agent.log.length;
  const restarted = Date.now() / 1000;
  agent.start();
  await pushedAfter('node', restarted);
  const log = (): string => agent.log.slice(logBefore);
  assert.match(
    log(),
    /level=error msg="remote configuration version 6 \(sha256 [0-9a-f]{12}\) reverted to the last known-good layer; it is never applied again" why="the agent stopped without a clean stop before completing a cycle with it"/,
  );
  await waitFor('version 6 refused', () => /msg=failing [^\n]*reason=reverted version=6/.test(log()), LONG);
  assert.equal(cached(), good);
  await infoPushed('5', 'reverted');
  assert.equal((await groups()).find((g) => g.labels['job'] === 'node')?.labels['crashes'], undefined, 'never pushed with the crashing layer');
  await agent.stop();
});
