/**
 * Cost of the optional collectors (and textfile), each alone, edgepush
 * in-process vs node_exporter's /metrics with only that collector on, on the
 * live /proc and /sys of this machine. A "none" row gives each side's fixed
 * cost (node_exporter's Go/process metrics and HTTP; edgepush's encoding).
 * pcidevice and xfrm are edgepush-only here: Debian's 1.5.0 lacks them.
 */
import path from 'node:path';
import { parseFlags } from '../../src/config/flags.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from '../../src/sources/host/machinery/host-flags.ts';
import { CollectorRunner } from '../../src/sources/host/machinery/collector-runner.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { startNodeExporter } from '../../test/helpers/servers.ts';
import { REPO_ROOT } from '../lib/peers.ts';
import { procCpuSeconds, timeRounds } from './proc-usage.ts';
import { median, ms, percentile, ratio, table } from './stats.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 100);
const TEXTFILE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'node_exporter', 'collector', 'fixtures', 'textfile', 'histogram');

const CASES: Array<{ name: string; flags: string[]; nodeExporter: boolean }> = [
  { name: 'none', flags: [], nodeExporter: true },
  { name: 'processes', flags: ['--collector.processes'], nodeExporter: true },
  {
    name: 'sysctl',
    flags: [
      '--collector.sysctl',
      '--collector.sysctl.include=kernel.threads-max',
      '--collector.sysctl.include=fs.file-nr:total,current,max',
      '--collector.sysctl.include-info=kernel.core_pattern',
    ],
    nodeExporter: true,
  },
  { name: 'slabinfo', flags: ['--collector.slabinfo'], nodeExporter: true },
  { name: 'ksmd', flags: ['--collector.ksmd'], nodeExporter: true },
  { name: 'lnstat', flags: ['--collector.lnstat'], nodeExporter: true },
  { name: 'cgroups', flags: ['--collector.cgroups'], nodeExporter: true },
  { name: 'drbd', flags: ['--collector.drbd'], nodeExporter: true },
  { name: 'textfile', flags: ['--collector.textfile', `--collector.textfile.directory=${TEXTFILE_DIR}`], nodeExporter: true },
  { name: 'pcidevice', flags: ['--collector.pcidevice'], nodeExporter: false },
  { name: 'xfrm', flags: ['--collector.xfrm'], nodeExporter: false },
];

interface Figures {
  median: number;
  p90: number;
  cpu: number;
}

async function edgepush(flags: string[]): Promise<Figures> {
  const given = parseFlags(['--collector.disable-defaults', ...flags], hostFlagSpecs(COLLECTORS)).given;
  const source = new CollectorRunner(COLLECTORS, hostConfigFromFlags(COLLECTORS, given));
  for (let i = 0; i < 5; i++) encodeText(await source.collect());
  const cpu0 = process.cpuUsage();
  const times = await timeRounds(ROUNDS, async () => encodeText(await source.collect()));
  const cpu = process.cpuUsage(cpu0);
  return { median: median(times), p90: percentile(times, 90), cpu: (cpu.user + cpu.system) / 1e6 / ROUNDS };
}

async function nodeExporter(flags: string[]): Promise<Figures> {
  const node = await startNodeExporter(['--collector.disable-defaults', ...flags]);
  try {
    for (let i = 0; i < 5; i++) await (await fetch(node.url + '/metrics')).text();
    const cpu0 = procCpuSeconds(node.process.pid!);
    const times = await timeRounds(ROUNDS, async () => (await fetch(node.url + '/metrics')).text());
    return { median: median(times), p90: percentile(times, 90), cpu: (procCpuSeconds(node.process.pid!) - cpu0) / ROUNDS };
  } finally {
    await node.stop();
  }
}

const rows: string[][] = [['collector', 'edgepush median', 'p90', 'CPU', 'node_exporter median', 'CPU', 'median vs NE', 'CPU vs NE']];
for (const c of CASES) {
  const ours = await edgepush(c.flags);
  const theirs = c.nodeExporter ? await nodeExporter(c.flags) : undefined;
  rows.push([
    c.name,
    ms(ours.median),
    ms(ours.p90),
    ms(ours.cpu),
    theirs ? ms(theirs.median) : '-',
    theirs ? ms(theirs.cpu) : '-',
    theirs ? ratio(ours.median, theirs.median) : '-',
    theirs ? ratio(ours.cpu, theirs.cpu) : '-',
  ]);
}
console.log(`optional collectors alone, live /proc and /sys, ${ROUNDS} rounds each (node_exporter 1.5.0 over loopback HTTP)`);
table(rows);
