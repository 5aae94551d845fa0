/**
 * One fleet worker process: many boxes, each a real Agent with its own
 * configuration file, state directory, remote-write queues and remote
 * configuration runner (the CLI's), plus one HTTP server serving every
 * box's exporter bodies by path. Commanded by the drill over IPC.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent, decommission } from '../../src/agent.ts';
import { RemoteConfigRunner } from '../../src/config/remote/runner.ts';
import { loadConfig, loadConfigFromFlags } from '../../src/config/config.ts';
import { boxConfigText, type BoxSpec, type FleetTargets } from './box-config.ts';
import { appBody, hostBody } from './box-data.ts';
import type { BoxStats, Collected, Command, RemoteWriteStats, WorkerStats } from './protocol.ts';

interface Box {
  spec: BoxSpec;
  agent: Agent;
  /** Made when the box starts (it fetches at once). */
  remote: RemoteConfigRunner | undefined;
  cycles: number;
  pushMs: number[];
  /** Each source result of each cycle: its collection timestamp and sample count, what the receivers must hold. */
  collected: Array<[timestampMs: number, samples: number, cycle: number]>;
}

const boxes = new Map<string, Box>();
let epochMs = Date.now();
let intervalMs = 15_000;

const exporters = createServer((req, res) => {
  const [, instance, what] = (req.url ?? '').split('/');
  const box = boxes.get(instance ?? '');
  if (!box || (what !== 'node' && what !== 'app')) {
    res.writeHead(404).end();
    return;
  }
  const cycle = Math.max(0, Math.floor((Date.now() - epochMs) / intervalMs));
  res
    .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    .end(what === 'node' ? hostBody(box.spec.index, cycle) : appBody(box.spec.index, cycle));
});

async function start(specs: BoxSpec[], targets: FleetTargets): Promise<void> {
  if (!exporters.listening) await new Promise<void>((resolve) => exporters.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(exporters.address() as AddressInfo).port}`;
  intervalMs = targets.intervalSeconds * 1000;
  for (const spec of specs) {
    mkdirSync(spec.stateDir, { recursive: true });
    writeFileSync(spec.configFile, boxConfigText(spec, targets, base));
    const defaultsFile = path.join(path.dirname(spec.configFile), 'no-defaults.ini');
    const load = () => loadConfig({ configFile: spec.configFile, defaultsFile });
    const box: Box = { spec, cycles: 0, pushMs: [], collected: [], agent: undefined as unknown as Agent, remote: undefined };
    box.agent = new Agent({
      config: load(),
      reloadConfig: load,
      onCycle: (outcome) => {
        box.cycles++;
        for (const r of outcome.results) box.collected.push([r.timestampMs, r.families.reduce((n, f) => n + f.samples.length, 0), outcome.cycle]);
        const begin = performance.now();
        void outcome.pushed.then(() => box.pushMs.push(performance.now() - begin));
      },
    });
    const given = new Map<string, unknown>([
      ['config.file', spec.configFile],
      ['config.defaults', defaultsFile],
    ]);
    boxes.set(spec.instance, box);
    // Boxes boot at different moments, not all in one millisecond: each starts within the first interval.
    setTimeout(() => {
      if (!boxes.has(spec.instance)) return;
      box.agent.start();
      box.remote = new RemoteConfigRunner(box.agent, undefined, (text) => void loadConfigFromFlags(given, text));
    }, Math.random() * intervalMs);
  }
}

type Values = Array<{ labels: Record<string, string | number>; value: number }>;

async function values(box: Box, name: string): Promise<Values> {
  const metric = box.agent.metrics.registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as Values) : [];
}

async function boxStats(box: Box): Promise<BoxStats> {
  const of = (v: Values, sink: string, match: Record<string, string> = {}): number =>
    v.filter((x) => x.labels['sink'] === sink && Object.entries(match).every(([k, want]) => x.labels[k] === want)).reduce((n, x) => n + x.value, 0);
  const [pending, queueBytes, age, sent, dropped, requests, active, fetches, bytes] = await Promise.all(
    [
      'edgepush_remote_write_queue_samples',
      'edgepush_remote_write_queue_bytes',
      'edgepush_remote_write_queue_oldest_age_seconds',
      'edgepush_remote_write_sent_samples_total',
      'edgepush_remote_write_dropped_samples_total',
      'edgepush_remote_write_requests_total',
      'edgepush_pushgateway_active',
      'edgepush_remote_config_fetches_total',
      'edgepush_sink_sent_bytes_total',
    ].map((n) => values(box, n)),
  );
  const remoteWrite: Record<string, RemoteWriteStats> = {};
  for (const sc of box.agent.currentConfig.sinks.filter((s) => s.kind === 'remote_write')) {
    const sink = sc.name;
    remoteWrite[sink.slice('remote_write.'.length)] = {
      pendingSamples: of(pending!, sink),
      queueBytes: of(queueBytes!, sink),
      oldestAgeSeconds: of(age!, sink),
      sentSamples: of(sent!, sink),
      droppedSamples: of(dropped!, sink),
      okRequests: of(requests!, sink, { result: 'success' }),
      retriedRequests: of(requests!, sink, { result: 'retried' }),
    };
  }
  const pushMs = box.pushMs;
  box.pushMs = [];
  return {
    instance: box.spec.instance,
    cycles: box.cycles,
    pushMs,
    gateway: active!.find((x) => x.value === 1)?.labels['url'] as string | undefined,
    remoteWrite,
    sentBytes: Object.fromEntries(bytes!.map((x) => [String(x.labels['sink']), x.value])),
    remoteConfigApplied: fetches!.filter((x) => x.labels['result'] === 'applied').reduce((n, x) => n + x.value, 0),
  };
}

async function stats(): Promise<WorkerStats> {
  const cpu = process.cpuUsage();
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss, boxes: await Promise.all([...boxes.values()].map(boxStats)) };
}

/** Source results (one `up` each) and samples each box collected with a timestamp in (fromMs, toMs]. */
function collectedBetween(fromMs: number, toMs: number): Record<string, Collected> {
  const out: Record<string, Collected> = {};
  for (const [instance, box] of boxes) {
    const inWindow = box.collected.filter(([ts]) => ts > fromMs && ts <= toMs);
    out[instance] = {
      cycles: new Set(inWindow.map(([, , cycle]) => cycle)).size,
      results: inWindow.length,
      samples: inWindow.reduce((n, [, samples]) => n + samples, 0),
    };
  }
  return out;
}

async function stopBox(box: Box): Promise<void> {
  await box.remote?.stop();
  await box.agent.stop();
  boxes.delete(box.spec.instance);
}

/** As the package purge does: the agent stopped, then `edgepush decommission` with the box's configuration. */
async function decommissionBoxes(instances: string[]): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    instances.map(async (instance) => {
      const box = boxes.get(instance);
      if (!box) return;
      const config = box.agent.currentConfig;
      await stopBox(box);
      const result = await decommission(config, 60);
      failures.push(...result.failures.map((f) => `${instance}: ${f}`));
    }),
  );
  return failures;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.type) {
    case 'start':
      epochMs = command.epochMs;
      return start(command.boxes, command.targets);
    case 'stats':
      return stats();
    case 'collected':
      return collectedBetween(command.fromMs, command.toMs);
    case 'decommission':
      return decommissionBoxes(command.instances);
    case 'stop':
      await Promise.all([...boxes.values()].map(stopBox));
      exporters.closeAllConnections();
      exporters.close();
      process.disconnect();
      return undefined;
  }
}

process.on('message', (message: { id: number; command: Command }) => {
  handle(message.command).then(
    (value) => process.connected && process.send!({ id: message.id, ok: true, value }),
    (err: unknown) => process.connected && process.send!({ id: message.id, ok: false, error: (err as Error).stack ?? String(err) }),
  );
});
