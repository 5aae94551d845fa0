/**
 * [remote_config] end to end: the agent run by its CLI takes its gateway from
 * a layer served over HTTP, follows a change of it, refuses a broken one
 * while it keeps pushing, refuses a hostile one that would send a local
 * secret to the config server, and starts offline on the cached layer. The
 * gateway is a real Debian Pushgateway.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCli } from '../helpers/cli.ts';
import { FIXTURE_PROC } from '../helpers/fixtures.ts';
import { missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('pushgateway');
const INSTANCE = 'remote-box';
let gw: RunningServer;
let layerServer: Server;
let layer = '';
/** Every request the layer server got, as text: a hostile config server also collects what it can. */
const layerRequests: string[] = [];
let dir: string;
let agent: ChildProcess | undefined;
let agentLog = '';
let configFile: string;

/** job → push_time_seconds of this box's groups on the gateway. */
async function pushTimes(): Promise<Map<string, number>> {
  const body = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as {
    data: Array<{ labels: Record<string, string>; push_time_seconds?: { metrics?: Array<{ value: string }> } }>;
  };
  const times = new Map<string, number>();
  for (const g of body.data) if (g.labels['instance'] === INSTANCE) times.set(g.labels['job']!, Number(g.push_time_seconds?.metrics?.[0]?.value ?? 0));
  return times;
}

async function pushedAfter(job: string, t: number): Promise<void> {
  await waitFor(`a push of ${job} after ${t}`, async () => ((await pushTimes()).get(job) ?? 0) > t, { timeoutMs: 20_000, intervalMs: 200 });
}

function startAgent(): ChildProcess {
  return startCli(['run', `--config.file=${configFile}`, `--config.defaults=${path.dirname(configFile)}/none.ini`], (d) => (agentLog += d));
}

async function stopAgent(): Promise<void> {
  const a = agent!;
  const exited = once(a, 'exit');
  a.kill('SIGTERM');
  await exited;
  assert.equal(a.exitCode, 0, agentLog.slice(-2000));
}

before(async () => {
  if (skip) return;
  gw = await startPushgateway();
  layerServer = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      layerRequests.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
      if (req.url === '/collect') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('collected 1\n');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(layer);
    });
  });
  layerServer.listen(0, '127.0.0.1');
  await once(layerServer, 'listening');
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-remote-config-'));
  configFile = path.join(dir, 'edgepush.ini');
  layer = `[pushgateway.central]\nurl = ${gw.url}\ntimeout = 500ms\n`;
  writeFileSync(
    configFile,
    `[agent]\ninterval = 1s\ntimeout = 700ms\nstate_dir = ${dir}/state\nlog_level = info\n[identity]\ninstance = ${INSTANCE}\n[host]\ncollector.disable-defaults = true\ncollector.loadavg = true\npath.procfs = ${FIXTURE_PROC}\n` +
      `[remote_config]\nurl = http://127.0.0.1:${(layerServer.address() as AddressInfo).port}/edgepush/{instance}.ini\ninterval = 1s\n`,
  );
  agent = startAgent();
});

after(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  layerServer?.close();
  await gw?.stop();
});

test('the gateway comes from the served layer; a change of the layer is applied without a restart', { skip }, async () => {
  await pushedAfter('node', 0);
  await pushedAfter('edgepush', 0);
  layer += '[self]\nenabled = false\n';
  // The self source removed by the new layer : its group is deleted from the gateway.
  await waitFor('the edgepush group deleted', async () => !(await pushTimes()).has('edgepush'), { timeoutMs: 20_000, intervalMs: 200 });
  assert.match(agentLog, /msg="remote configuration changed; reloading"/);
  assert.doesNotMatch(agentLog, /no sink configured/, 'no warning while the sinks are still to come with the first fetch');
});

test('a layer that does not load is refused, logged, and the agent keeps pushing', { skip }, async () => {
  layer = '[pushgateway.central]\nurl = not a url\n';
  await waitFor(
    'the refusal in the log',
    () => /msg=failing .*remote configuration refused, keeping the running one: .*\[pushgateway\.central\] url/.test(agentLog),
    { timeoutMs: 20_000 },
  );
  await pushedAfter('node', Date.now() / 1000);
  assert.equal((await pushTimes()).has('edgepush'), false, 'still the last applied layer');
});

/** The agent's count of refused layers, as its self source last pushed it; undefined before a push. */
async function refusedFetches(): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('edgepush_remote_config_fetches_total{') && l.includes(`instance="${INSTANCE}"`) && l.includes('result="refused"'));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

test('a hostile layer that would send a local file to the config server is refused, counted, and the secret goes nowhere', { skip }, async () => {
  const marker = `marker-${process.pid}-secret`;
  writeFileSync(path.join(dir, 'secret'), `${marker}\n`);
  const good = `[pushgateway.central]\nurl = ${gw.url}\ntimeout = 500ms\n`;
  layer = good;
  const applied = Date.now() / 1000;
  await pushedAfter('edgepush', applied);
  const before = (await refusedFetches()) ?? 0;

  layer = `${good}[exporter.exfil]\nurl = http://127.0.0.1:${(layerServer.address() as AddressInfo).port}/collect\nusername = x\npassword_file = ${path.join(dir, 'secret')}\n`;
  await waitFor(
    'the refusal in the log',
    () =>
      /msg=failing .*remote configuration refused, keeping the running one: .*\[exporter\.exfil\] password_file: cannot come from the remote configuration/.test(
        agentLog,
      ),
    { timeoutMs: 20_000 },
  );
  await waitFor('the refusal counted and pushed', async () => ((await refusedFetches()) ?? 0) > before, { timeoutMs: 20_000, intervalMs: 200 });
  await pushedAfter('node', Date.now() / 1000);

  const leaked = (text: string): boolean => text.includes(marker) || text.includes(Buffer.from(`x:${marker}`).toString('base64'));
  assert.deepEqual(
    layerRequests.filter((r) => r.startsWith('GET /collect') || leaked(r)),
    [],
    'the config server got no scrape and no secret',
  );
  assert.equal(leaked(await (await fetch(`${gw.url}/metrics`)).text()), false, 'nor did the gateway');
  assert.equal(leaked(agentLog), false, 'nor the log');
});

test('restarted while the URL is down, the agent runs on the cached layer', { skip }, async () => {
  await stopAgent();
  await new Promise<void>((resolve) => layerServer.close(() => resolve()));
  const restarted = Date.now() / 1000;
  agent = startAgent();
  await pushedAfter('node', restarted);
  await waitFor('the failed fetch in the log', () => /cannot fetch the remote configuration: ECONNREFUSED/.test(agentLog), { timeoutMs: 20_000 });
  await stopAgent();
});
