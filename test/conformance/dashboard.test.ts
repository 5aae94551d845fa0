/**
 * Every node_* metric the "Node Exporter Full" dashboard queries
 * (test/fixtures/dashboards/node-exporter-full.json) is produced by
 * some edgepush collector: emitted over node_exporter's fixture tree (every
 * collector on) or over a small tree holding the kernel lines that tree lacks,
 * by a collector that is on by default or documented in the README as needing
 * `--collector.<name>`. What cannot be produced is a named exception with its
 * reason. The claim never rests on this machine, whose kernel and hardware
 * decide which lines exist; the live run (default collectors plus the optional
 * ones the README names) must emit each dashboard metric whose source line the
 * live /proc holds, and those of the collectors that ask the kernel directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseText } from '../../src/model/text-parser.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { readMeminfo } from '../../src/sources/host/procfs/meminfo.ts';
import { readNetStats } from '../../src/sources/host/procfs/netstat.ts';
import { readVmstat } from '../../src/sources/host/procfs/vmstat.ts';
import { E2E_CWD, REPO_ROOT } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { fixtureText, makeTree, runCollectors, treeFlags } from '../helpers/host.ts';
import { e2eArgs } from './e2e-flags.ts';
import { ownerOf } from './family-owners.ts';
import { DASHBOARD_OPTIONAL_COLLECTORS, dashboardMetricNames } from './node-exporter-full.ts';

/**
 * Collectors that read no file but ask the kernel through system calls
 * (adjtimex, netlink sock_diag): no fixture tree speaks for them, so the live
 * run must produce their dashboard metrics, on any box.
 */
const SYSTEM_CALL_COLLECTORS = new Set(['timex', 'tcpstat']);

/** Dashboard metrics edgepush does not produce here, and why. */
const EXCEPTIONS: Array<[RegExp, string]> = [
  [
    /^node_systemd_/,
    'systemd collector: off by default as in node_exporter, and it needs a system bus, which this machine has not (compared live on a booted systemd: test/packaging/systemd-collector.test.ts)',
  ],
  [/^node_kernel_hung_tasks$/, 'not a node_exporter 1.12 name: kernel_hung emits node_kernel_hung_tasks_total (checked below)'],
  [/^node_netstat_Tcp_MaxConn$/, "outside netstat's default --collector.netstat.fields, as in node_exporter (checked below with the flag)"],
];

function familyNames(text: string): Set<string> {
  return new Set(parseText(text).map((f) => f.name));
}

/**
 * Sources the dashboard reads that node_exporter's fixture tree lacks: meminfo
 * lines of newer kernels or other CPUs, a TcpExt counter, a mount statfs(2)
 * can measure (node_exporter leaves filesystem out of its e2e run), a sensor
 * file. The collectors run on it with their default options.
 */
function beyondFixturesTree(): string {
  const meminfo = ['MemAvailable', 'Percpu', 'ShmemHugePages', 'ShmemPmdMapped', 'Zswap', 'Zswapped', 'DirectMap1G'].map((key) => `${key}: 1024 kB\n`);
  return makeTree({
    'proc/meminfo': fixtureText('proc/meminfo') + meminfo.join(''),
    'proc/net/netstat': 'TcpExt: TCPSynRetrans\nTcpExt: 7\n',
    'proc/net/snmp': '',
    'proc/1/mountinfo': '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/dm-2 rw\n',
    'sys/class/hwmon/hwmon0/name': 'coretemp\n',
    'sys/class/hwmon/hwmon0/temp1_crit_hyst': '95000\n',
  });
}

/**
 * The dashboard metrics whose source line this machine's /proc holds; the
 * live run must emit each. For the other owners (hwmon, thermal, edac, nvme,
 * power supplies, rapl, mdadm, zfs, filesystem...) what exists depends on the
 * hardware and mounts in ways a line lookup cannot tell, so only the fixtures
 * and the tree above speak for them.
 */
async function liveSourcedNames(): Promise<Set<string>> {
  const meminfo = (await readMeminfo('/proc')).map((e) => `node_memory_${e.key.replace(/\((\w+)\)$/, '_$1')}`);
  const netstat = [...(await readNetStats('/proc'))].flatMap(([protocol, values]) => [...values.keys()].map((name) => `node_netstat_${protocol}_${name}`));
  const vmstat = (await readVmstat('/proc')).map((f) => `node_vmstat_${f.name}`);
  return new Set([...meminfo, ...meminfo.map((n) => `${n}_bytes`), ...netstat, ...vmstat]);
}

test('every metric of the Node Exporter Full dashboard is produced by a default collector or a documented optional one', async () => {
  const wanted = dashboardMetricNames();
  assert.ok(wanted.length > 100, 'dashboard metric list is unexpectedly short');

  const implemented = new Set(COLLECTORS.map((c) => c.name));
  const onFixtures = await runCli(['once', ...e2eArgs(implemented), '--collector.netstat.fields=.*'], { cwd: E2E_CWD });
  assert.equal(onFixtures.code, 0, onFixtures.stderr);
  const beyond = await runCollectors(['meminfo', 'netstat', 'filesystem', 'hwmon'], treeFlags(beyondFixturesTree()));
  const live = await runCli(['once', ...DASHBOARD_OPTIONAL_COLLECTORS.map((n) => `--collector.${n}`)]);
  assert.equal(live.code, 0, live.stderr);
  const emittedLive = familyNames(live.stdout);
  const fromSystemCalls = [...emittedLive].filter((name) => SYSTEM_CALL_COLLECTORS.has(ownerOf(name) ?? ''));
  const emitted = new Set([...familyNames(onFixtures.stdout), ...beyond.byName.keys(), ...fromSystemCalls]);
  const sourcedLive = await liveSourcedNames();

  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const name of DASHBOARD_OPTIONAL_COLLECTORS) assert.ok(readme.includes(`--collector.${name}`), `README does not say how to turn on ${name}`);

  const problems: string[] = [];
  for (const name of wanted) {
    const exception = EXCEPTIONS.find(([re]) => re.test(name));
    if (exception) continue;
    const owner = ownerOf(name);
    const collector = COLLECTORS.find((c) => c.name === owner);
    if (owner !== '(framework)' && !collector) problems.push(`${name}: no collector (owner ${owner ?? 'unknown'})`);
    else if (collector && !collector.defaultEnabled && !DASHBOARD_OPTIONAL_COLLECTORS.includes(collector.name))
      problems.push(`${name}: collector ${collector.name} is off by default and not documented for the dashboard`);
    else if (!emitted.has(name)) problems.push(`${name}: not emitted (owner ${owner})`);
    else if (sourcedLive.has(name) && !emittedLive.has(name)) problems.push(`${name}: in this machine's /proc but not emitted by the live run`);
  }
  // The names the exceptions point at instead.
  for (const name of ['node_kernel_hung_tasks_total', 'node_netstat_Tcp_MaxConn']) if (!emitted.has(name)) problems.push(`${name}: not emitted`);
  const excepted = wanted.filter((n) => EXCEPTIONS.some(([re]) => re.test(n)));
  console.log(`dashboard metrics produced: ${wanted.length - excepted.length - problems.length}/${wanted.length}; named exceptions: ${excepted.length}`);
  assert.deepEqual(problems, []);
});
