import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseCpuInfo, parseCpuInfoArm } from '../../../../src/sources/host/procfs/cpuinfo.ts';
import { readThermalThrottles, readCpuOnline } from '../../../../src/sources/host/sysfs/cpu-topology.ts';
import { MonotonicCpuTimes } from '../../../../src/sources/host/collectors/cpu.ts';
import { CollectorRunner } from '../../../../src/sources/host/machinery/collector-runner.ts';
import { COLLECTORS } from '../../../../src/sources/host/machinery/registry.ts';
import type { CpuTimes } from '../../../../src/sources/host/procfs/stat.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';

const LOADAVG = { 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' };

test('cpu matches node_exporter on the fixtures (info, flags, bugs, guest, isolated, throttles; cpuinfo frequency with cpufreq on)', async () => {
  await assertMatchesE2E('cpu', ['--collector.cpufreq']);
});

test('parseCpuInfo reads x86 blocks as procfs does', () => {
  const cpus = parseCpuInfo(fixtureText('proc/cpuinfo'));
  assert.equal(cpus.length, 8);
  assert.deepEqual(
    { ...cpus[1]!, flags: cpus[1]!.flags.length, bugs: cpus[1]!.bugs },
    {
      processor: 1,
      vendorId: 'GenuineIntel',
      cpuFamily: '6',
      model: '142',
      modelName: 'Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz',
      stepping: '10',
      microcode: '0xb4',
      cpuMHz: 800.037,
      cacheSize: '8192 KB',
      physicalId: '0',
      coreId: '1',
      flags: 120,
      bugs: ['cpu_meltdown', 'spectre_v1', 'spectre_v2', 'spec_store_bypass', 'l1tf', 'mds', 'swapgs'],
    },
  );
  assert.throws(() => parseCpuInfo('vendor_id : x\n'), /cannot parse line/);
  assert.throws(() => parseCpuInfo('processor\t: 0\ncpu MHz\t\t: fast\nflags\t: fpu\n'), /cpu MHz/);
});

test('parseCpuInfo reads arm64 cpuinfo: one Features line for every CPU', () => {
  const text =
    'processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm\n';
  const cpus = parseCpuInfo(text);
  assert.deepEqual(
    cpus.map((c) => [c.processor, c.flags]),
    [
      [0, ['fp', 'asimd', 'evtstrm']],
      [1, ['fp', 'asimd', 'evtstrm']],
    ],
  );
  assert.throws(() => parseCpuInfoArm('processor\t: 0\nBogoMIPS\t: 48.00\n'), /no Features line/);
  assert.throws(() => parseCpuInfoArm('cpu\t: 0\nFeatures\t: fp\n'), /cannot parse line/);
});

test('readThermalThrottles reads each package and core once', async () => {
  const t = await readThermalThrottles(FIXTURE_SYS);
  assert.deepEqual(
    [...t.packages],
    [
      [0, 30],
      [1, 6],
    ],
  );
  assert.deepEqual([...t.cores.get(1)!].sort(), [
    [0, 0],
    [1, 9],
  ]);
});

test('node_cpu_online appears only when cpu0 has an online attribute', async () => {
  assert.equal(await readCpuOnline(FIXTURE_SYS), undefined);
  const root = makeTree({ 'sys/devices/system/cpu/cpu0/online': '1\n', 'sys/devices/system/cpu/cpu1/online': '0\n', 'proc/stat': 'cpu0 1 1 1 1\n' });
  const run = await runCollectors(['cpu'], treeFlags(root));
  assert.deepEqual(
    run.byName.get('node_cpu_online')!.samples.map((s) => [s.labels['cpu'], s.value]),
    [
      ['0', 1],
      ['1', 0],
    ],
  );
});

test('MonotonicCpuTimes holds counters that go backwards, resets on a hotplug jump and forgets removed CPUs', () => {
  const t = (idle: number, user: number): CpuTimes => ({ user, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 });
  const m = new MonotonicCpuTimes();
  m.update(
    new Map([
      [0, t(100, 10)],
      [1, t(100, 10)],
    ]),
  );
  const dipped = m.update(
    new Map([
      [0, t(99, 9)],
      [1, t(101, 11)],
    ]),
  );
  assert.deepEqual([dipped.get(0)!.idle, dipped.get(0)!.user], [100, 10]);
  assert.deepEqual([dipped.get(1)!.idle, dipped.get(1)!.user], [101, 11]);
  const replugged = m.update(new Map([[0, t(5, 1)]]));
  assert.deepEqual([replugged.get(0)!.idle, replugged.get(0)!.user], [5, 1]);
  assert.equal(replugged.has(1), false);
});

test('the cpu collector keeps its counters monotonic across collections', async () => {
  const root = makeTree({ 'proc/stat': 'cpu  0 0 0 0\ncpu0 100 0 0 5000 30\n' });
  const source = new CollectorRunner(COLLECTORS, {
    paths: { procfs: `${root}/proc`, sysfs: `${root}/sys`, rootfs: root, udevData: `${root}/udev` },
    enabled: new Set(['cpu']),
  });
  const idle = async (mode: string): Promise<number> =>
    (await source.collect()).find((f) => f.name === 'node_cpu_seconds_total')!.samples.find((s) => s.labels['mode'] === mode)!.value;
  assert.equal(await idle('iowait'), 0.3);
  writeFileSync(path.join(root, 'proc/stat'), 'cpu  0 0 0 0\ncpu0 101 0 0 4999 29\n');
  assert.equal(await idle('iowait'), 0.3, 'iowait held');
  assert.equal(await idle('user'), 1.01);
});

test('--collector.cpu.info.flags-include implies --collector.cpu.info; --no-collector.cpu.guest drops guest time', async () => {
  const root = makeTree({ 'proc/stat': 'cpu0 1 1 1 1 0 0 0 0 3 4\n', 'proc/cpuinfo': 'processor\t: 0\nflags\t\t: fpu aes avx\nbugs\t\t: mds\n' });
  const run = await runCollectors(['cpu'], [...treeFlags(root), '--collector.cpu.info.flags-include=^a', '--no-collector.cpu.guest']);
  assert.equal(run.success.get('cpu'), 1);
  assert.deepEqual(
    run.byName.get('node_cpu_flag_info')!.samples.map((s) => s.labels['flag']),
    ['aes', 'avx'],
  );
  assert.equal(run.byName.get('node_cpu_bug_info'), undefined, 'no bugs filter, no bug series');
  assert.ok(run.byName.get('node_cpu_info'));
  assert.equal(run.byName.get('node_cpu_frequency_hertz'), undefined, 'cpufreq is off');
  assert.equal(run.byName.get('node_cpu_guest_seconds_total'), undefined);
  const plain = await runCollectors(['cpu'], treeFlags(root));
  assert.equal(plain.byName.get('node_cpu_info'), undefined);
  assert.deepEqual(
    plain.byName
      .get('node_cpu_guest_seconds_total')!
      .samples.map((s) => s.value)
      .sort(),
    [0.03, 0.04],
  );
});

test('a garbled /proc/stat or /proc/cpuinfo fails only the cpu collector', async () => {
  const cases: Record<string, string>[] = [{ 'proc/stat': 'cpu0 1 2 x\n' }, { 'proc/stat': 'cpu0 1 1 1 1\n', 'proc/cpuinfo': 'garbage\n' }];
  for (const files of cases) {
    const run = await runCollectors(['cpu', 'loadavg'], [...treeFlags(makeTree({ ...LOADAVG, ...files })), '--collector.cpu.info']);
    assert.equal(run.success.get('cpu'), 0, JSON.stringify(files));
    assert.equal(run.success.get('loadavg'), 1);
    assert.equal(run.byName.get('node_cpu_seconds_total'), undefined);
  }
});
