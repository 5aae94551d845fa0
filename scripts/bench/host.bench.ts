/**
 * Host collection, edgepush vs node_exporter, side by side in one run on this
 * machine, both with their default collectors on the live /proc and /sys:
 * - edgepush in-process (a warm collection + text encoding, what the agent does every cycle),
 * - edgepush CLI end to end (`node src/cli.ts once`, process start included),
 * - node_exporter's /metrics on loopback (Debian's prometheus-node-exporter).
 * Latency median/p90, CPU time per collection and RSS, as ratios to node_exporter.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { CollectorRunner, resolveEnabled } from '../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../src/sources/host/machinery/collector.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { startNodeExporter } from '../../test/helpers/servers.ts';
import { REPO_ROOT } from '../lib/peers.ts';
import { childrenCpuSeconds, procCpuSeconds, rssBytes, timeRounds } from './proc-usage.ts';
import { median, ms, mib, percentile, ratio, table } from './stats.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 200);
const CLI_ROUNDS = Number(process.env['BENCH_CLI_ROUNDS'] ?? 15);
interface Figures {
  median: number;
  p90: number;
  cpu: number;
  rss: number;
  series: number;
}

async function benchEdgepushInProcess(): Promise<Figures> {
  const enabled = resolveEnabled(COLLECTORS, false, new Map());
  const source = new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled });
  let series = 0;
  for (let i = 0; i < 10; i++)
    series = encodeText(await source.collect())
      .split('\n')
      .filter((l) => l && !l.startsWith('#')).length; // warm up
  const cpu0 = process.cpuUsage();
  const times = await timeRounds(ROUNDS, async () => encodeText(await source.collect()));
  const cpu = process.cpuUsage(cpu0);
  return { median: median(times), p90: percentile(times, 90), cpu: (cpu.user + cpu.system) / 1e6 / ROUNDS, rss: rssBytes('self'), series };
}

function benchEdgepushCli(): Figures {
  const times: number[] = [];
  const cpu0 = childrenCpuSeconds();
  let series = 0;
  for (let i = 0; i < CLI_ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--no-warnings', path.join(REPO_ROOT, 'src', 'cli.ts'), 'once'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.status !== 0) throw new Error(`edgepush once failed: ${r.stderr}`);
    series = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  return { median: median(times), p90: percentile(times, 90), cpu: (childrenCpuSeconds() - cpu0) / CLI_ROUNDS, rss: NaN, series };
}

async function benchNodeExporter(): Promise<Figures> {
  const node = await startNodeExporter();
  try {
    const pid = node.process.pid!;
    let series = 0;
    for (let i = 0; i < 10; i++) series = (await (await fetch(node.url + '/metrics')).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    const cpu0 = procCpuSeconds(pid);
    const times = await timeRounds(ROUNDS, async () => (await fetch(node.url + '/metrics')).text());
    return { median: median(times), p90: percentile(times, 90), cpu: (procCpuSeconds(pid) - cpu0) / ROUNDS, rss: rssBytes(pid), series };
  } finally {
    await node.stop();
  }
}

const ne = await benchNodeExporter();
const inproc = await benchEdgepushInProcess();
const cli = benchEdgepushCli();
console.log(
  `host collection on this machine, default collectors; ${ROUNDS} rounds (CLI ${CLI_ROUNDS}); edgepush ${COLLECTORS.filter((c) => c.defaultEnabled).length} default collectors`,
);
table([
  ['', 'median', 'p90', 'CPU/collection', 'RSS', 'series', 'median vs NE', 'CPU vs NE'],
  ['node_exporter 1.5.0 /metrics', ms(ne.median), ms(ne.p90), ms(ne.cpu), mib(ne.rss), String(ne.series), '1.00x', '1.00x'],
  [
    'edgepush in-process (warm)',
    ms(inproc.median),
    ms(inproc.p90),
    ms(inproc.cpu),
    mib(inproc.rss),
    String(inproc.series),
    ratio(inproc.median, ne.median),
    ratio(inproc.cpu, ne.cpu),
  ],
  ['edgepush once (CLI, from source)', ms(cli.median), ms(cli.p90), ms(cli.cpu), '-', String(cli.series), ratio(cli.median, ne.median), ratio(cli.cpu, ne.cpu)],
]);
