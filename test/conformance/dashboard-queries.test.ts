/**
 * Every PromQL query of the Node Exporter Full dashboard
 * (test/fixtures/dashboards/node-exporter-full.json) that node_exporter
 * answers on this box, edgepush answers too, through a Pushgateway and through
 * remote write, as a user would set it up: one Prometheus scrapes Debian's
 * node_exporter (job "node") and the Pushgateway (honor_labels), a second one
 * receives the agent's remote write (the two paths carry the same job and
 * instance, so they cannot share a TSDB). The agent runs by its CLI with the
 * host source on, node_exporter's default collectors plus the optional ones the
 * README names for this dashboard, which node_exporter gets too.
 *
 * Answering means a non-empty result; where node_exporter's result has series,
 * each must have a counterpart in edgepush's answer, matched on node_exporter's
 * own labels (job and instance aside): the same devices, mount points, CPUs,
 * chips, collectors. edgepush may answer with more series or labels (it follows
 * node_exporter 1.12, the peer is Debian's 1.5.0, e.g. device_error on
 * filesystems, collectors added since). Values are not compared: the two agents
 * read the box at different moments (the value checks are the live tests').
 * No query is excepted: the dashboard asks nothing of the node job's own
 * scrape (up, scrape_duration_seconds), which a Pushgateway could not give.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_DEVICE_EXCLUDE } from '../../src/sources/host/collectors/diskstats.ts';
import { startCli } from '../helpers/cli.ts';
import { missingPeers, promQuery, startNodeExporter, startPrometheus, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import { DASHBOARD_OPTIONAL_COLLECTORS, dashboardQueries, type DashboardQuery } from './node-exporter-full.ts';

const skip = missingPeers('nodeExporter', 'pushgateway', 'prometheus');

/** Scrape and push interval (s), short so the rate windows fill soon; $__rate_interval is four of them, as Grafana makes it. */
const INTERVAL_S = 2;
const RATE_INTERVAL = `${4 * INTERVAL_S}s`;
const INSTANCE = 'edgepush-box';
/** The $job of every path: node_exporter's scrape job and edgepush's host job, as a user names them. */
const JOB = 'node';

/**
 * Debian's node_exporter 1.5.0 set to node_exporter 1.12's defaults, which
 * edgepush follows: Debian turns the systemd collector on (upstream has it off),
 * and 1.5's disk exclude lacks zram devices.
 */
const AS_UPSTREAM_1_12 = ['--no-collector.systemd', `--collector.diskstats.device-exclude=${DEFAULT_DEVICE_EXCLUDE}`];

/** The dashboard's template variables, as Grafana would set them for one agent. */
function substitute(expr: string, instance: string): string {
  const values: Record<string, string> = { job: JOB, node: instance, __rate_interval: RATE_INTERVAL };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`dashboard variable ${whole} has no value in this test (query: ${expr})`);
    return v;
  });
}

interface Path {
  name: string;
  prometheus: () => RunningServer;
  instance: () => string;
}

let node: RunningServer;
let gateway: RunningServer;
let scraper: RunningServer;
let receiver: RunningServer;
let agent: ChildProcess | undefined;
let agentLog = '';
let dir: string;

const REFERENCE: Path = { name: 'node_exporter', prometheus: () => scraper, instance: () => `127.0.0.1:${node.port}` };
const PATHS: Path[] = [
  { name: 'via Pushgateway', prometheus: () => scraper, instance: () => INSTANCE },
  { name: 'via remote write', prometheus: () => receiver, instance: () => INSTANCE },
];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-dashboard-'));
  [node, gateway, receiver] = await Promise.all([
    startNodeExporter([...DASHBOARD_OPTIONAL_COLLECTORS.map((c) => `--collector.${c}`), ...AS_UPSTREAM_1_12]),
    startPushgateway(),
    startPrometheus('scrape_configs: []\n'),
  ]);
  scraper = await startPrometheus(`
global:
  scrape_interval: ${INTERVAL_S}s
  scrape_timeout: ${INTERVAL_S}s
scrape_configs:
  - job_name: ${JOB}
    static_configs: [{ targets: ['127.0.0.1:${node.port}'] }]
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{ targets: ['127.0.0.1:${gateway.port}'] }]
`);
  const configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(
    configFile,
    `
[agent]
interval = ${INTERVAL_S}s
timeout = ${INTERVAL_S * 900}ms
splay = false
state_dir = ${dir}/state
[identity]
instance = ${INSTANCE}
[host]
job = ${JOB}
${DASHBOARD_OPTIONAL_COLLECTORS.map((c) => `collector.${c} = true`).join('\n')}
[pushgateway.gw]
url = ${gateway.url}
[remote_write.prom]
url = ${receiver.url}/api/v1/write
queue_flush_interval = 0
`,
  );
  agent = startCli(['run', `--config.file=${configFile}`, `--config.defaults=${dir}/none.ini`], (d) => (agentLog = (agentLog + d).slice(-20_000)));
});

after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
  }
  await Promise.all([node, gateway, scraper, receiver].map((s) => s?.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every dashboard query node_exporter answers, edgepush answers through the Pushgateway and through remote write', { skip, timeout: 240_000 }, async () => {
  // Enough samples on every path for the rate windows: a counter seen twice within $__rate_interval.
  for (const p of [REFERENCE, ...PATHS]) {
    const q = `count_over_time(node_context_switches_total{job="${JOB}",instance="${p.instance()}"}[${RATE_INTERVAL}]) >= 2`;
    await waitFor(`${p.name}: ${q}`, async () => (await promQuery(p.prometheus().url, q, Date.now() / 1000)).length === 1, {
      timeoutMs: 90_000,
      intervalMs: 250,
    }).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agentLog}`));
  }

  const queries = dashboardQueries();
  const at = Date.now() / 1000;
  const first: Comparison[] = [];
  for (const q of queries) first.push(await compare(q, at));
  const answered = (i: number): number => first.filter((c) => c.answers[i]! > 0).length;
  // A device, mount, process or TCP state may exist at one agent's read and not at the other's (the box
  // changes between them): what disagrees is read again, later, until it agrees or the deadline passes.
  const disagreeing = queries.filter((_, i) => first[i]!.problems.length > 0);
  let pending = disagreeing;
  const problems = new Map<DashboardQuery, string[]>();
  await waitFor(
    'agreement on every query',
    async () => {
      const now = Date.now() / 1000;
      const still: DashboardQuery[] = [];
      for (const q of pending) {
        const c = await compare(q, now);
        if (c.problems.length === 0) continue;
        still.push(q);
        problems.set(q, c.problems);
      }
      pending = still;
      return pending.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 1000 },
  ).catch(() => {});
  const failures = pending.flatMap((q) => problems.get(q)!);
  console.log(
    `dashboard queries: ${queries.length}; answered by node_exporter ${answered(0)}, ` +
      PATHS.map((p, i) => `by edgepush ${p.name} ${answered(i + 1)}`).join(', ') +
      `; ${disagreeing.length - pending.length} agreed only on a later read`,
  );
  for (const f of failures) console.log(`  ${f}`);
  assert.deepEqual(failures, []);
});

/** Each path's number of result series (node_exporter first) and what is wrong with edgepush's answers. */
interface Comparison {
  answers: number[];
  problems: string[];
}

/** One query on every path at one time. */
async function compare({ panel, expr }: DashboardQuery, at: number): Promise<Comparison> {
  const [theirs, ...ours] = await Promise.all([REFERENCE, ...PATHS].map((p) => promQuery(p.prometheus().url, substitute(expr, p.instance()), at)));
  const problems: string[] = [];
  PATHS.forEach((p, i) => {
    if (theirs!.length === 0) return;
    const answer = ours[i]!;
    const missing = theirs!.filter((t) => !answer.some((o) => sameOn(t.metric, o.metric)));
    if (answer.length === 0) problems.push(`${p.name}: no answer (node_exporter: ${theirs!.length} series) [${panel}] ${expr}`);
    else if (missing.length > 0)
      problems.push(
        `${p.name}: ${missing.length} of node_exporter's ${theirs!.length} series missing, e.g. ${JSON.stringify(missing[0]!.metric)} [${panel}] ${expr}`,
      );
  });
  return { answers: [theirs!.length, ...ours.map((r) => r.length)], problems };
}

/** Whether edgepush's series carries node_exporter's labels (job and instance aside; a label edgepush lacks counts as ""). */
function sameOn(theirs: Record<string, string>, ours: Record<string, string>): boolean {
  return Object.entries(theirs).every(([k, v]) => k === 'job' || k === 'instance' || (ours[k] ?? '') === v);
}
