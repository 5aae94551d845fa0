/**
 * The agent, run by its CLI, pushing by remote write to a real Prometheus and a
 * real VictoriaMetrics at once: host metrics (fixtures) and a real
 * node_exporter as a local exporter. VictoriaMetrics stays up throughout and
 * is the reference for what the agent collected; Prometheus goes through an
 * outage during which the agent is kill -9'd and restarted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli } from '../helpers/cli.ts';
import { FIXTURE_PROC } from '../helpers/fixtures.ts';
import { missingPeers, promQuery, startNodeExporter, startPrometheus, startVictoriaMetrics, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = missingPeers('prometheus', 'victoriametrics', 'nodeExporter');
const INSTANCE = 'rw-box';
let prom: RunningServer;
let vm: RunningServer;
let exporter: RunningServer;
let dir: string;
let configFile: string;
let agent: ChildProcess | undefined;
let agentLog = '';

function startAgent(): ChildProcess {
  return startCli(['run', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`], (d) => (agentLog += d));
}

async function killAgent(signal: NodeJS.Signals): Promise<void> {
  const a = agent;
  if (!a || a.exitCode !== null || a.signalCode !== null) return;
  const exited = new Promise((resolve) => a.once('exit', resolve));
  a.kill(signal);
  await exited;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-agent-'));
  [prom, vm, exporter] = await Promise.all([
    startPrometheus('scrape_configs: []\n'),
    startVictoriaMetrics(),
    startNodeExporter(['--collector.disable-defaults', '--collector.loadavg']),
  ]);
  configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(
    configFile,
    `
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
url = ${exporter.url}/metrics
[remote_write.prom]
url = ${prom.url}/api/v1/write
# Every cycle on disk at once, so a kill -9 loses at most the one being written (cycle-queue.test.ts covers the default).
queue_flush_interval = 0
min_backoff = 20ms
max_backoff = 200ms
[remote_write.vm]
url = ${vm.url}/api/v1/write
min_backoff = 20ms
max_backoff = 200ms
`,
  );
  agent = startAgent();
});

after(async () => {
  await killAgent('SIGKILL');
  await Promise.all([prom, vm, exporter].map((s) => s?.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Raw sample timestamps (ms) of one series in Prometheus over the last hour. */
async function promTimestamps(selector: string): Promise<number[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(`${selector}[1h]`)}`);
  const body = (await res.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
  if (body.data.result.length > 1) throw new Error(`${selector}: ${body.data.result.length} series`);
  return (body.data.result[0]?.values ?? []).map(([t]) => Math.round(t * 1000));
}

/** Raw sample timestamps (ms) of one series in VictoriaMetrics. */
async function vmTimestamps(selector: string): Promise<number[]> {
  const text = await (await fetch(`${vm.url}/api/v1/export?match[]=${encodeURIComponent(selector)}`)).text();
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { timestamps: number[] });
  if (lines.length > 1) throw new Error(`${selector}: ${lines.length} series`);
  return lines[0]?.timestamps ?? [];
}

test('host, exporter and self families arrive at both receivers with job, instance and static labels', { skip }, async () => {
  for (const [job, metric] of [
    ['node', 'node_load1'],
    ['exp', 'node_load1'],
    ['exp', 'up'],
    ['node', 'up'],
  ] as const) {
    const selector = `${metric}{job="${job}",instance="${INSTANCE}",site="lab"}`;
    await waitFor(`${selector} in Prometheus`, async () => (await promQuery(prom.url, selector)).length === 1, { timeoutMs: 20_000 });
    await waitFor(`${selector} in VictoriaMetrics`, async () => (await vmTimestamps(selector)).length > 0, { timeoutMs: 20_000 });
  }
  assert.equal(Number((await promQuery(prom.url, `node_load1{job="node",instance="${INSTANCE}"}`))[0]!.value[1]), 0.21);
  // The sinks' own metrics travel with the agent's self metrics.
  for (const sink of ['remote_write.prom', 'remote_write.vm']) {
    await waitFor(
      `${sink} self metrics`,
      async () => {
        const r = await promQuery(prom.url, `edgepush_remote_write_sent_samples_total{job="edgepush",instance="${INSTANCE}",sink="${sink}"} > 0`);
        return r.length === 1;
      },
      { timeoutMs: 20_000 },
    );
  }
  assert.equal((await promQuery(prom.url, `edgepush_remote_write_queue_samples{sink="remote_write.prom"}`)).length, 1);
  // Timestamps are the cycles' own: about one interval apart (after the first cycle, which runs at start
  // rather than on the box's cadence), never in the future.
  await waitFor('a few cycles', async () => (await promTimestamps(`up{job="node",instance="${INSTANCE}"}`)).length >= 4, { timeoutMs: 20_000 });
  const ts = await promTimestamps(`up{job="node",instance="${INSTANCE}"}`);
  for (let i = 2; i < ts.length; i++) {
    const gap = ts[i]! - ts[i - 1]!;
    assert.ok(gap >= 600 && gap <= 2400, `gap ${gap} ms between cycles`);
  }
  assert.ok(ts.at(-1)! <= Date.now());
});

test('an outage of Prometheus with a kill -9 of the agent during it: every sample the agent queued arrives, in order, once', { skip }, async () => {
  const selector = `up{job="node",instance="${INSTANCE}"}`;
  await waitFor('a few cycles in Prometheus', async () => (await promTimestamps(selector)).length >= 3, { timeoutMs: 20_000 });
  await prom.pause();
  const outageStart = Date.now();
  await waitFor('cycles during the outage', async () => (await vmTimestamps(selector)).filter((t) => t > outageStart).length >= 4, { timeoutMs: 20_000 });
  await killAgent('SIGKILL');
  agent = startAgent();
  await waitFor('the restarted agent cycles', async () => (await vmTimestamps(selector)).filter((t) => t > outageStart).length >= 8, { timeoutMs: 20_000 });
  await prom.resume();
  const reference = await vmTimestamps(selector);
  const last = reference.at(-1)!;
  await waitFor('Prometheus catches up', async () => (await promTimestamps(selector)).includes(last), { timeoutMs: 30_000 });
  const got = await promTimestamps(selector);
  for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, 'in order, no duplicates');
  const vmSet = new Set(reference);
  const promFrom = got.filter((t) => t <= last);
  // VictoriaMetrics saw every cycle live; Prometheus must have the same ones, up to the cycle that was being written at the kill.
  const missing = reference.filter((t) => t >= got[0]! && !promFrom.includes(t));
  const extra = promFrom.filter((t) => !vmSet.has(t));
  assert.ok(missing.length + extra.length <= 1, `missing ${missing}, extra ${extra}`);
  assert.ok(promFrom.filter((t) => t > outageStart).length >= 7, 'the outage cycles reached Prometheus');
});

test('a stopped exporter gets up=0 and its series are marked stale, host metrics keep flowing', { skip }, async () => {
  const load = `node_load1{job="exp",instance="${INSTANCE}"}`;
  await waitFor('exporter series present', async () => (await promQuery(prom.url, load)).length === 1, { timeoutMs: 20_000 });
  await exporter.pause();
  try {
    await waitFor('up=0 for the exporter', async () => (await promQuery(prom.url, `up{job="exp",instance="${INSTANCE}"} == 0`)).length === 1, {
      timeoutMs: 20_000,
    });
    await waitFor('exporter series stale', async () => (await promQuery(prom.url, load)).length === 0, { timeoutMs: 20_000 });
    const before = (await promTimestamps(`up{job="node",instance="${INSTANCE}"}`)).at(-1)!;
    await waitFor('host metrics still flowing', async () => (await promTimestamps(`up{job="node",instance="${INSTANCE}"}`)).at(-1)! > before, {
      timeoutMs: 20_000,
    });
  } finally {
    await exporter.resume();
  }
  await waitFor('exporter back', async () => (await promQuery(prom.url, load)).length === 1, { timeoutMs: 20_000 });
});

test('a graceful stop leaves nothing behind but the queue files; no error logged', { skip }, async () => {
  await killAgent('SIGTERM');
  assert.equal(agent!.exitCode, 0, agentLog.slice(-2000));
  assert.doesNotMatch(agentLog, /level=error .*remote/);
});

test('decommission after the stop marks every series of the box stale', { skip }, async () => {
  assert.ok(agent!.exitCode !== null, 'the agent was stopped by the previous test');
  const up = `up{instance="${INSTANCE}"}`;
  assert.ok((await promQuery(prom.url, up)).length >= 3, 'node, exp and edgepush up are visible before');
  const r = await runCli(['decommission', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`, '--timeout=10s']);
  assert.equal(r.code, 0, r.stderr);
  let left: string[] = [];
  await waitFor(
    'every series of the box stale',
    async () => {
      left = (await promQuery(prom.url, `{instance="${INSTANCE}"}`)).map((r) => JSON.stringify(r));
      return left.length === 0;
    },
    { timeoutMs: 10_000 },
  ).catch((err: Error) => assert.fail(`${err.message}; still there: ${left.length} series, e.g. ${left.slice(0, 5).join(', ')}\n${r.stderr}`));
});
