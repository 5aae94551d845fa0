import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, decommission } from '../src/agent.ts';
import type { Source } from '../src/sources/source.ts';
import { configFromText, type AgentConfig } from '../src/config/config.ts';
import { parseText } from '../src/model/text-parser.ts';
import { setLogSink } from '../src/log.ts';
import { missingPeers, startPushgateway, type RunningServer } from './helpers/servers.ts';
import { FIXTURE_PROC } from './helpers/fixtures.ts';
import { runCli } from './helpers/cli.ts';
import { waitFor } from './helpers/wait.ts';

const skip = missingPeers('pushgateway');
let gw: RunningServer;
let stateDir: string;
const logLines: string[] = [];

before(async () => {
  if (skip) return;
  setLogSink((l) => logLines.push(l));
  gw = await startPushgateway();
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-agent-state-'));
});
after(async () => {
  await gw?.stop();
});

function config(extra: string, instance = 'box-1'): AgentConfig {
  return configFromText(`
[agent]
interval = 5s
timeout = 2s
state_dir = ${stateDir}
log_level = info
[identity]
instance = ${instance}
[labels]
site = lab/1
[host]
collector.disable-defaults = true
collector.loadavg = true
path.procfs = ${FIXTURE_PROC}
${extra}`);
}

async function gatewayGroups(): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${gw.url}/api/v1/metrics`);
  const body = (await res.json()) as { data: Array<{ labels: Record<string, string> }> };
  return body.data.map((g) => g.labels);
}

async function gatewayText(): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

test('one cycle pushes every source as its own group, with up and no rejection', { skip }, async () => {
  const agent = new Agent({
    config: config(`[exporter.gw]\nurl = ${gw.url}/metrics\nmetric_keep = pushgateway_build_info\n[pushgateway.a]\nurl = ${gw.url}\n`, 'cycle-box'),
  });
  try {
    const outcome = await agent.runCycle();
    const reports = await outcome.pushed;
    assert.deepEqual(
      [...reports.values()].map((r) => r.error),
      [undefined],
    );
    assert.ok(reports.get('pushgateway.a')!.bytesSent > 0);
    const groups = (await gatewayGroups()).filter((g) => g['instance'] === 'cycle-box');
    assert.deepEqual(groups.map((g) => g['job']).sort(), ['edgepush', 'gw', 'node']);
    assert.ok(groups.every((g) => g['site'] === 'lab/1'));
    const families = parseText(await gatewayText());
    const load1 = families.find((f) => f.name === 'node_load1')!.samples.find((s) => s.labels['instance'] === 'cycle-box');
    assert.equal(load1?.value, 0.21);
    const up = families.find((f) => f.name === 'up')!.samples.filter((s) => s.labels['instance'] === 'cycle-box');
    assert.deepEqual(up.map((s) => `${s.labels['job']}=${s.value}`).sort(), ['edgepush=1', 'gw=1', 'node=1']);
    const failures = families.find((f) => f.name === 'push_failure_time_seconds')!.samples.filter((s) => s.labels['instance'] === 'cycle-box');
    assert.ok(
      failures.every((s) => s.value === 0),
      'the gateway rejected nothing',
    );
  } finally {
    await agent.stop();
  }
});

test('a cycle starts the exporters before the host and self (the host reads synchronously), and reports the sources in configuration order', async () => {
  const exporter = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('# TYPE app_up gauge\napp_up 1\n'));
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}/metrics`;
  const agent = new Agent({ config: config(`[exporter.one]\nurl = ${url}\n[exporter.two]\nurl = ${url}\n`, 'order-box') });
  try {
    const started: string[] = [];
    // The agent's running sources, each collect() call recorded as it is made.
    for (const source of (agent as unknown as { sources: Source[] }).sources) {
      const collect = source.collect.bind(source);
      Object.assign(source, { collect: (signal: AbortSignal) => (started.push(source.id), collect(signal)) });
    }
    const outcome = await agent.runCycle();
    await outcome.pushed;
    assert.deepEqual(started, ['exporter.one', 'exporter.two', 'host', 'self']);
    assert.deepEqual(
      outcome.results.map((r) => `${r.source}=${r.up ? 1 : 0}`),
      ['host=1', 'exporter.one=1', 'exporter.two=1', 'self=1'],
    );
  } finally {
    await agent.stop();
    exporter.close();
  }
});

test('at debug level a cycle logs when every sink has answered: its latency and the sinks that failed', async () => {
  const agent = new Agent({
    config: configFromText(
      `[agent]\ninterval = 5s\ntimeout = 2s\nstate_dir = ${mkdtempSync(path.join(os.tmpdir(), 'edgepush-pushed-'))}\nlog_level = debug\n[identity]\ninstance = pushed-box\n` +
        `[host]\ncollector.disable-defaults = true\ncollector.loadavg = true\npath.procfs = ${FIXTURE_PROC}\n` +
        // Nothing listens on port 1: the push is refused at once.
        `[pushgateway.refusing]\nurl = http://127.0.0.1:1\nretries = 0\n[pushgateway.refusing_too]\nurl = http://127.0.0.1:1/other\nretries = 0\n` +
        `[listener.local]\naddress = 127.0.0.1:0\n`,
    ),
  });
  const lines: string[] = [];
  const previous = setLogSink((l) => lines.push(l));
  try {
    const outcome = await agent.runCycle();
    await outcome.pushed;
    const pushed = lines.filter((l) => l.includes('msg="cycle pushed"'));
    assert.equal(pushed.length, 1, lines.join('\n'));
    assert.match(pushed[0]!, new RegExp(`cycle=${outcome.cycle} pushed_ms=\\d+ sinks=3 failed=2`));
  } finally {
    setLogSink(previous);
    await agent.stop();
  }
});

test('a slow exporter delays only its own group: the other sources are on the gateway while it still answers', { skip }, async () => {
  // An exporter that answers when the test lets it: a stand-in for one that takes most of its timeout.
  let answer: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (answer = resolve));
  const slow = createHttpServer((_req, res) => {
    void held.then(() => res.end('# TYPE slow_metric gauge\nslow_metric 1\n'));
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const { port } = slow.address() as AddressInfo;
  const agent = new Agent({
    config: configFromText(`
[agent]
interval = 60s
timeout = 50s
state_dir = ${stateDir}
[identity]
instance = slow-source-box
[host]
collector.disable-defaults = true
collector.loadavg = true
path.procfs = ${FIXTURE_PROC}
[exporter.slow]
url = http://127.0.0.1:${port}/metrics
[pushgateway.a]
url = ${gw.url}
`),
  });
  const jobs = async (): Promise<string[]> =>
    (await gatewayGroups())
      .filter((g) => g['instance'] === 'slow-source-box')
      .map((g) => g['job']!)
      .sort();
  try {
    const cycle = agent.runCycle();
    await waitFor('the host and self groups pushed while the slow exporter is held', async () => (await jobs()).join() === 'edgepush,node', {
      timeoutMs: 30_000,
    });
    answer();
    const reports = await (await cycle).pushed;
    assert.equal(reports.get('pushgateway.a')?.ok, true);
    assert.deepEqual(await jobs(), ['edgepush', 'node', 'slow']);
  } finally {
    answer();
    await agent.stop();
    await new Promise((resolve) => slow.close(resolve));
  }
});

test('reload: a removed exporter has its group deleted; an invalid config is refused and counted', { skip }, async () => {
  let text = `[exporter.gone]\nurl = ${gw.url}/metrics\nmetric_keep = pushgateway_build_info\n[pushgateway.a]\nurl = ${gw.url}\n`;
  const agent = new Agent({ config: config(text, 'reload-box'), reloadConfig: () => config(text, 'reload-box') });
  try {
    await (await agent.runCycle()).pushed;
    assert.ok((await gatewayGroups()).some((g) => g['instance'] === 'reload-box' && g['job'] === 'gone'));

    text = `[exporter.gone]\nurl = not-a-url\n[pushgateway.a]\nurl = ${gw.url}\n`;
    assert.equal(agent.reload(), false);
    assert.ok(logLines.some((l) => /configuration reload refused/.test(l) && /\[exporter.gone\] url/.test(l)));
    const families = await agent.metrics.families();
    assert.equal(families.find((f) => f.name === 'edgepush_config_last_reload_successful')?.samples[0]?.value, 0);
    assert.equal(families.find((f) => f.name === 'edgepush_config_reloads_total')?.samples.find((s) => s.labels['result'] === 'failure')?.value, 1);
    assert.equal(agent.currentConfig.exporters[0]?.name, 'gone', 'the running configuration is kept');

    text = `[pushgateway.a]\nurl = ${gw.url}\n`;
    assert.equal(agent.reload(), true);
    const reports = await (await agent.runCycle()).pushed;
    assert.equal(reports.get('pushgateway.a')?.ok, true);
    const jobs = (await gatewayGroups())
      .filter((g) => g['instance'] === 'reload-box')
      .map((g) => g['job'])
      .sort();
    assert.deepEqual(jobs, ['edgepush', 'node']);
    const up = (await agent.metrics.families()).find((f) => f.name === 'edgepush_source_up')!;
    assert.deepEqual(up.samples.map((s) => s.labels['source']).sort(), ['host', 'self'], "the removed source's self metrics are gone");
  } finally {
    await agent.stop();
  }
});

test('a removed source is deleted even across a restart (state dir), and decommission deletes every group', { skip }, async () => {
  const withExporter = config(
    `[exporter.old]\nurl = ${gw.url}/metrics\nmetric_keep = pushgateway_build_info\n[pushgateway.a]\nurl = ${gw.url}\n`,
    'restart-box',
  );
  const first = new Agent({ config: withExporter });
  await (await first.runCycle()).pushed;
  await first.stop();
  assert.ok((await gatewayGroups()).some((g) => g['instance'] === 'restart-box' && g['job'] === 'old'));

  const second = new Agent({ config: config(`[pushgateway.a]\nurl = ${gw.url}\n`, 'restart-box') });
  await (await second.runCycle()).pushed;
  await second.stop();
  assert.deepEqual(
    (await gatewayGroups())
      .filter((g) => g['instance'] === 'restart-box')
      .map((g) => g['job'])
      .sort(),
    ['edgepush', 'node'],
  );

  const outcome = await decommission(config(`[pushgateway.a]\nurl = ${gw.url}\n`, 'restart-box'), 10);
  assert.deepEqual(outcome, { done: ['pushgateway.a'], failures: [] });
  assert.deepEqual(
    (await gatewayGroups()).filter((g) => g['instance'] === 'restart-box'),
    [],
  );
});

test('a gateway that never answers does not delay the other one, and fails within the cycle', { skip }, async () => {
  const sockets: Socket[] = [];
  const blackhole = createTcpServer((s) => sockets.push(s));
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  const port = (blackhole.address() as { port: number }).port;
  const agent = new Agent({
    config: config(
      `[pushgateway.good]\nurl = ${gw.url}\n[pushgateway.hole]\nurl = http://127.0.0.1:${port}\ntimeout = 1500ms\nretries = 1\nretry_backoff = 100ms\n`,
      'hole-box',
    ),
  });
  try {
    const outcome = await agent.runCycle();
    const t0 = performance.now();
    const runners = outcome.pushed;
    // The good gateway has the data long before the black hole times out.
    await (async () => {
      for (;;) {
        if ((await gatewayGroups()).some((g) => g['instance'] === 'hole-box')) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const goodMs = performance.now() - t0;
    const reports = await runners;
    const holeMs = performance.now() - t0;
    // The black hole takes its whole 1.5 s timeout, once: a timed-out request is not retried (the
    // gateway may still apply it); the good gateway must not wait for it.
    assert.ok(holeMs >= 1400, `black hole gave up after ${holeMs} ms`);
    assert.ok(goodMs < holeMs - 300, `good gateway acknowledged after ${goodMs} ms, the black hole after ${holeMs} ms`);
    assert.equal(reports.get('pushgateway.good')?.ok, true);
    assert.equal(reports.get('pushgateway.hole')?.ok, false);
    assert.match(reports.get('pushgateway.hole')?.error ?? '', /timed out/);
    assert.equal(logLines.filter((l) => l.includes('sink=pushgateway.hole') && l.includes('msg=failing')).length, 1);
    await (await agent.runCycle()).pushed;
    const failing = logLines.filter((l) => l.includes('sink=pushgateway.hole') && l.includes('msg=failing'));
    assert.equal(failing.length, 1, `logged once per state change, not every cycle:\n${failing.join('\n')}`);
  } finally {
    await agent.stop();
    for (const s of sockets) s.destroy();
    blackhole.close();
  }
});

test('cadence: ticks are aligned to the interval plus a stable per-box splay', () => {
  const a = new Agent({ config: configFromText('[agent]\ninterval = 15s\n[identity]\ninstance = box-a\n[host]\nenabled = false\n') });
  const b = new Agent({ config: configFromText('[agent]\ninterval = 15s\n[identity]\ninstance = box-b\n[host]\nenabled = false\n') });
  const off = new Agent({ config: configFromText('[agent]\ninterval = 15s\nsplay = false\n[identity]\ninstance = box-a\n[host]\nenabled = false\n') });
  assert.ok(a.splayMs >= 0 && a.splayMs < 15_000);
  assert.notEqual(a.splayMs, b.splayMs);
  assert.equal(off.splayMs, 0);
  const now = 1_700_000_000_123;
  const next = a.nextTickAt(now);
  assert.ok(next > now && next <= now + 15_000);
  assert.equal((next - a.splayMs) % 15_000, 0);
  assert.equal(a.nextTickAt(next), next + 15_000, 'no drift: the tick after a tick is one interval later');
  assert.equal(off.nextTickAt(now) % 15_000, 0);
});

test('secrets given as files never reach the logs', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-secret-'));
  writeFileSync(path.join(dir, 'token'), 's3cr3t-token\n');
  const agent = new Agent({ config: config(`[pushgateway.auth]\nurl = http://127.0.0.1:1\nbearer_token_file = ${dir}/token\nretries = 0\n`, 'secret-box') });
  await (await agent.runCycle()).pushed;
  await agent.stop();
  assert.ok(logLines.some((l) => l.includes('sink=pushgateway.auth')));
  assert.ok(!logLines.some((l) => l.includes('s3cr3t')));
});

test('start(): cycles run at fixed aligned instants (interval + splay), not drifting with collection time', async () => {
  const starts: number[] = [];
  const cfg = configFromText(
    `[agent]\ninterval = 1s\ntimeout = 500ms\nstate_dir = ${stateDir ?? os.tmpdir()}\n[identity]\ninstance = cadence-box\n[host]\ncollector.disable-defaults = true\ncollector.loadavg = true\npath.procfs = ${FIXTURE_PROC}\n`,
  );
  let agent: Agent | undefined;
  const enough = new Promise<void>((resolve) => {
    agent = new Agent({
      config: cfg,
      onCycle: (o) => {
        starts.push(o.startedMs);
        if (starts.length === 4) resolve();
      },
    });
  });
  agent!.start();
  await enough;
  await agent!.stop();
  const splay = agent!.splayMs;
  assert.ok(splay > 0 && splay < 1000);
  // The first cycle runs at start; the next ones on the grid. Timers only fire late (more so on a
  // loaded machine), so a cycle may start a little after its instant, never before, and lateness
  // does not carry over to the next cycle.
  for (const t of starts.slice(1)) {
    const phase = (((t - splay) % 1000) + 1000) % 1000;
    assert.ok(phase < 400 || phase > 995, `cycle at phase ${phase} ms off the grid (starts ${starts.join(', ')}, splay ${splay})`);
  }
});

test('edgepush decommission (CLI) deletes every group of the box, including ones it did not push itself', { skip }, async () => {
  // A group left by today's curl loop for the same box (same instance and static labels).
  const put = await fetch(`${gw.url}/metrics/job/legacy-curl/instance/cli-box/site@base64/${Buffer.from('lab/1').toString('base64url')}`, {
    method: 'PUT',
    body: 'legacy_metric 1\n',
  });
  assert.equal(put.status, 200);
  const other = await fetch(`${gw.url}/metrics/job/legacy-curl/instance/other-box`, { method: 'PUT', body: 'legacy_metric 1\n' });
  assert.equal(other.status, 200);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-decom-'));
  const file = path.join(dir, 'edgepush.ini');
  writeFileSync(file, `[agent]\nstate_dir = ${dir}\n[identity]\ninstance = cli-box\n[labels]\nsite = lab/1\n[pushgateway.a]\nurl = ${gw.url}\n`);
  const r = await runCli(['decommission', `--config.file=${file}`, `--config.defaults=${dir}/none.ini`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pushgateway.a: every group of instance cli-box deleted/);
  const groups = await gatewayGroups();
  assert.deepEqual(
    groups.filter((g) => g['instance'] === 'cli-box'),
    [],
  );
  assert.equal(groups.filter((g) => g['instance'] === 'other-box').length, 1, "another box's group is left alone");

  writeFileSync(file, `[agent]\nstate_dir = ${dir}\n[identity]\ninstance = cli-box\n[pushgateway.down]\nurl = http://127.0.0.1:1\nretries = 0\n`);
  const down = await runCli(['decommission', `--config.file=${file}`, `--config.defaults=${dir}/none.ini`, '--timeout=5s']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /pushgateway.down: .*not deleted/);
});

test('a cycle whose collection overruns the interval is skipped and counted, never stacked', async () => {
  // The configuration refuses a timeout >= interval; overruns can still come from a
  // blocked event loop or a slow host, so the schedule itself is tested by setting
  // a source's timeout past the interval after loading.
  const sockets: Socket[] = [];
  // Scrapes in flight: connections that carry a request and are still open
  // (undici may also open idle spare connections, which carry none).
  let inFlight = 0;
  let maxInFlight = 0;
  const blackhole = createTcpServer((s) => {
    sockets.push(s);
    s.once('data', () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      s.once('close', () => inFlight--);
    });
  });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  const port = (blackhole.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-overrun-'));
  const cfg = configFromText(`
[agent]
interval = 1s
timeout = 500ms
splay = false
state_dir = ${dir}
[identity]
instance = overrun-box
[host]
enabled = false
[self]
enabled = false
[exporter.slow]
url = http://127.0.0.1:${port}/metrics
`);
  const exporter = cfg.exporters[0]!;
  exporter.timeoutSeconds = 2.5;
  exporter.http.timeoutSeconds = 2.5;
  const cycles: number[] = [];
  const agent = new Agent({ config: cfg, onCycle: (o) => cycles.push(o.cycle) });
  const skipped = async (): Promise<number> => (await agent.metrics.cyclesSkipped.get()).values[0]?.value ?? 0;
  try {
    agent.start();
    await waitFor('a skipped cycle', async () => (await skipped()) >= 2, { timeoutMs: 15_000 });
    assert.equal(maxInFlight, 1, 'one scrape at a time: cycles never stack');
    // Every collection took 2.5 s of 1 s ticks: far fewer cycles ran than ticks passed.
    assert.ok(cycles.length <= 3, `cycles run: ${cycles.length}`);
  } finally {
    await agent.stop();
    for (const s of sockets) s.destroy();
    blackhole.close();
  }
});
