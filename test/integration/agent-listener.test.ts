/**
 * The listener sink as a user would run it: the agent by its CLI with a real
 * node_exporter as a local exporter, and a real Prometheus scraping the
 * agent's /metrics with honor_labels. Asserted through Prometheus' API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCli } from '../helpers/cli.ts';
import { FIXTURE_PROC } from '../helpers/fixtures.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { missingPeers, promQuery, startNodeExporter, startPrometheus, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('prometheus', 'nodeExporter');
const INSTANCE = 'listener-box';
let prom: RunningServer;
let exporter: RunningServer;
let agent: ChildProcess | undefined;
let agentLog = '';
/** Where the agent's listener is bound, from its log. */
let address: string;
let dir: string;
let configFile: string;

function configText(withExporter: boolean): string {
  return `
[agent]
interval = 1s
timeout = 700ms
state_dir = ${dir}/state
log_level = info
[identity]
instance = ${INSTANCE}
[labels]
site = lab
[host]
collector.disable-defaults = true
collector.loadavg = true
path.procfs = ${FIXTURE_PROC}
[exporter.exp]
enabled = ${withExporter}
url = ${exporter.url}/metrics
[listener.local]
address = 127.0.0.1:0
`;
}

async function count(q: string): Promise<number> {
  return (await promQuery(prom.url, q)).length;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-listener-'));
  exporter = await startNodeExporter(['--collector.disable-defaults', '--collector.loadavg']);
  configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(configFile, configText(true));
  agent = startCli(['run', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`], (d) => (agentLog += d));
  // Port 0: the agent says where it listens.
  address = await waitFor('the listener address in the log', () => /msg=listening sink=listener\.local address=(\S+)/.exec(agentLog)?.[1], {
    timeoutMs: 20_000,
  });
  prom = await startPrometheus(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: edgepush
    honor_labels: true
    static_configs:
      - targets: ['${address}']
`);
});

after(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await Promise.all([prom, exporter].map((s) => s?.stop()));
});

test('Prometheus scraping the listener gets every source with its own job, up and the box labels', { skip }, async () => {
  for (const job of ['node', 'exp', 'edgepush']) {
    await waitFor(`up{job="${job}"} == 1`, async () => (await count(`up{job="${job}",instance="${INSTANCE}",site="lab"} == 1`)) === 1, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  }
  const load = await promQuery(prom.url, `node_load1{job="node",instance="${INSTANCE}"}`);
  assert.equal(load.length, 1);
  assert.equal(Number(load[0]!.value[1]), 0.21, 'the fixture host');
  await waitFor('the real exporter', async () => (await count(`node_load1{job="exp",instance="${INSTANCE}"}`)) === 1, { timeoutMs: 20_000 });
  // Counted by the agent, served with its own metrics at the next cycle, stored at the next scrape.
  await waitFor(
    'the listener counts the scrapes',
    async () => (await count(`edgepush_listener_requests_total{job="edgepush",instance="${INSTANCE}",sink="listener.local",code="200"} > 0`)) === 1,
    { timeoutMs: 20_000, intervalMs: 200 },
  );
});

test('a source removed by a reload vanishes from the scrape, so Prometheus marks its series stale at once', { skip }, async () => {
  await waitFor('exporter series present', async () => (await count(`node_load1{job="exp",instance="${INSTANCE}"}`)) === 1, { timeoutMs: 20_000 });
  writeFileSync(configFile, configText(false));
  agent!.kill('SIGHUP');
  await waitFor('exporter series gone', async () => (await count(`{job="exp",instance="${INSTANCE}"}`)) === 0, { timeoutMs: 20_000, intervalMs: 200 });
  assert.equal(await count(`up{job="node",instance="${INSTANCE}"} == 1`), 1, 'the host stays');
});

test('requests that once stopped the agent (`http://[` as request-target) get a 400; the agent keeps cycling and Prometheus keeps scraping it', {
  skip,
}, async () => {
  const port = Number(/:(\d+)$/.exec(address)![1]);
  for (const request of [
    'GET http://[ HTTP/1.1\r\nhost: x\r\n\r\n',
    'HEAD http://[ HTTP/1.1\r\nhost: x\r\n\r\n',
    'GET /\0 HTTP/1.1\r\nhost: x\r\n\r\n',
    'get / HTTP/1.1\r\nhost: x\r\n\r\n',
  ]) {
    assert.equal(await rawExchange({ port }, [request]), 400, JSON.stringify(request));
    assert.equal(agent!.exitCode, null, agentLog.slice(-2000));
  }
  // Counted by the agent, served with its own metrics at the next cycle, stored at the next scrape.
  await waitFor(
    'the bad requests counted in Prometheus',
    async () => (await count(`edgepush_listener_requests_total{job="edgepush",instance="${INSTANCE}",sink="listener.local",code="400"} >= 4`)) === 1,
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  assert.equal(await count(`up{job="node",instance="${INSTANCE}"} == 1`), 1);
  assert.equal(agent!.exitCode, null);
});

test('SIGTERM stops the agent and closes the port; nothing logged at error level', { skip }, async () => {
  const exited = new Promise<number | null>((resolve) => agent!.once('exit', (code) => resolve(code)));
  agent!.kill('SIGTERM');
  assert.equal(await exited, 0, agentLog.slice(-2000));
  assert.doesNotMatch(agentLog, /level=error/);
});
