/**
 * The agent against the real things: two Debian Pushgateways (fan-out), a
 * real Prometheus scraping them with honor_labels, real node_exporters as
 * local exporters, the agent run by its CLI. Everything is asserted through
 * Prometheus' HTTP API, as a user would see it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCli } from '../helpers/cli.ts';
import { FIXTURE_PROC } from '../helpers/fixtures.ts';
import { missingPeers, promQuery, startNodeExporter, startPrometheus, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('pushgateway', 'prometheus', 'nodeExporter');
const INSTANCE = 'itest-box';
let gwA: RunningServer;
let gwB: RunningServer;
let prom: RunningServer;
let expA: RunningServer;
let expB: RunningServer;
let agent: ChildProcess;
let agentLog = '';
let dir: string;
let configFile: string;

function configText(withExporterB: boolean): string {
  return `
[agent]
interval = 1s
timeout = 700ms
state_dir = ${dir}/state
log_level = info
[identity]
instance = ${INSTANCE}
[labels]
site = paris/north-1
[host]
collector.disable-defaults = true
collector.loadavg = true
collector.cpu = true
path.procfs = ${FIXTURE_PROC}
[exporter.exp-a]
url = ${expA.url}/metrics
label.rack = r/7
[exporter.exp-b]
enabled = ${withExporterB}
url = ${expB.url}/metrics
metric_keep = node_load.*
[pushgateway.a]
url = ${gwA.url}
grouping.gateway = a
timeout = 500ms
[pushgateway.b]
url = ${gwB.url}
grouping.gateway = b
timeout = 500ms
`;
}

async function query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  return promQuery(prom.url, q);
}

async function queryValue(q: string): Promise<number | undefined> {
  const r = await query(q);
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
}

/** Waits until the query returns exactly `value` (one series). */
async function waitValue(q: string, value: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${q} == ${value}`, async () => (await queryValue(q)) === value, { timeoutMs, intervalMs: 200 });
}

/** Waits until a group's push_time_seconds moves forward: the gateway keeps receiving. */
async function waitFreshPush(gateway: string, job: string): Promise<void> {
  const q = `push_time_seconds{instance="${INSTANCE}",gateway="${gateway}",job="${job}"}`;
  const first = await waitFor(`${q} present`, () => queryValue(q), { timeoutMs: 20_000, intervalMs: 200 });
  await waitFor(`${q} to advance past ${first}`, async () => ((await queryValue(q)) ?? 0) > first, { timeoutMs: 20_000, intervalMs: 200 });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-itest-'));
  [gwA, gwB, expA, expB] = await Promise.all([
    startPushgateway(),
    startPushgateway(),
    startNodeExporter(['--collector.disable-defaults', '--collector.loadavg']),
    startNodeExporter(['--collector.disable-defaults', '--collector.loadavg']),
  ]);
  prom = await startPrometheus(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:${gwA.port}', '127.0.0.1:${gwB.port}']
`);
  configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(configFile, configText(true));
  agent = startCli(['run', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`], (d) => (agentLog += d));
});

after(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await Promise.all([gwA, gwB, prom, expA, expB].map((s) => s?.stop()));
});

test('host families and every exporter arrive on both gateways with the right job/instance and up', { skip }, async () => {
  for (const gateway of ['a', 'b']) {
    await waitValue(`node_load1{job="node",instance="${INSTANCE}",gateway="${gateway}"}`, 0.21);
    await waitValue(`count(node_cpu_seconds_total{job="node",instance="${INSTANCE}",gateway="${gateway}"})`, 64); // 8 CPUs x 8 modes in the fixtures
    for (const job of ['node', 'exp-a', 'exp-b', 'edgepush']) await waitValue(`up{job="${job}",instance="${INSTANCE}",gateway="${gateway}"}`, 1);
  }
  await waitFor('exp-a load from the real node_exporter', async () => (await query(`node_load1{job="exp-a",instance="${INSTANCE}",gateway="a"}`)).length === 1);
  await waitFor('exp-b keeps only node_load*', async () => (await query(`{job="exp-b",gateway="a",__name__=~"node_.*",__name__!~"node_load.*"}`)).length === 0);
  assert.ok((await queryValue(`scrape_samples_scraped{job="exp-a",instance="${INSTANCE}",gateway="a"}`))! > 3);
});

test("label values with '/' survive (grouping key and sample labels)", { skip }, async () => {
  const r = await query(`node_load5{job="exp-a",instance="${INSTANCE}",gateway="a"}`);
  assert.equal(r.length, 1);
  assert.equal(r[0]!.metric['site'], 'paris/north-1');
  assert.equal(r[0]!.metric['rack'], 'r/7');
});

test('nothing the agent pushes is rejected by the gateways', { skip }, async () => {
  const failures = await query(`push_failure_time_seconds{instance="${INSTANCE}"} > 0`);
  assert.deepEqual(
    failures.map((f) => f.metric),
    [],
  );
  const pushes = await query(`push_time_seconds{instance="${INSTANCE}"}`);
  assert.ok(pushes.length >= 8, `groups seen: ${pushes.length}`);
  assert.doesNotMatch(agentLog, /HTTP 400/);
});

test('a killed exporter shows up=0 while host metrics keep flowing', { skip }, async () => {
  await expA.stop();
  await waitValue(`up{job="exp-a",instance="${INSTANCE}",gateway="a"}`, 0);
  await waitValue(`up{job="exp-a",instance="${INSTANCE}",gateway="b"}`, 0);
  // Its last samples are not pushed again as if fresh: the group only holds the synthetic families.
  await waitFor('exp-a samples gone', async () => (await query(`node_load1{job="exp-a",instance="${INSTANCE}"}`)).length === 0, {
    timeoutMs: 20_000,
    intervalMs: 200,
  });
  await waitFreshPush('a', 'node');
  assert.equal(await queryValue(`up{job="node",instance="${INSTANCE}",gateway="a"}`), 1);
});

test("a removed exporter's series disappear after reload (SIGHUP)", { skip }, async () => {
  writeFileSync(configFile, configText(false));
  agent.kill('SIGHUP');
  for (const gateway of ['a', 'b']) {
    await waitFor(`exp-b gone from gateway ${gateway}`, async () => (await query(`{job="exp-b",instance="${INSTANCE}",gateway="${gateway}"}`)).length === 0, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  }
  assert.match(agentLog, /configuration reloaded/);
  assert.equal(await queryValue(`up{job="node",instance="${INSTANCE}",gateway="a"}`), 1);
});

test('an invalid config on SIGHUP is refused and the agent keeps pushing', { skip }, async () => {
  writeFileSync(configFile, configText(false) + '\n[pushgateway.c]\nurl = ftp://nowhere\n');
  agent.kill('SIGHUP');
  await waitFor('refusal logged', () => /reload refused.*\[pushgateway\.c\] url/.test(agentLog));
  await waitValue(`edgepush_config_last_reload_successful{instance="${INSTANCE}",gateway="a"}`, 0);
  await waitFreshPush('a', 'node');
});

test('one gateway down does not stop the other', { skip }, async () => {
  await gwB.stop();
  await waitFreshPush('a', 'node');
  await waitFreshPush('a', 'edgepush');
  await waitFor('failure logged once', () => /msg=failing sink=pushgateway.b/.test(agentLog));
  assert.equal(agentLog.match(/msg=failing sink=pushgateway.b/g)?.length, 1, 'logged once per state change');
  await waitFor(
    'push failures counted',
    async () => ((await queryValue(`sum(edgepush_sink_pushes_total{sink="pushgateway.b",result="failure",gateway="a"})`)) ?? 0) >= 1,
    { timeoutMs: 20_000, intervalMs: 200 },
  );
});

test('SIGTERM stops the agent gracefully with exit code 0; still nothing was rejected', { skip }, async () => {
  assert.deepEqual(
    (await query(`push_failure_time_seconds{instance="${INSTANCE}",gateway="a"} > 0`)).map((f) => f.metric),
    [],
  );
  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  agent.kill('SIGTERM');
  assert.equal(await exited, 0);
});
