import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readSystemCpufreq } from '../../../../src/sources/host/sysfs/cpufreq.ts';
import { parseCpuRange } from '../../../../src/sources/host/sysfs/cpu-range.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';

const FREQ = 'sys/devices/system/cpu/cpu0/cpufreq';
const cpu0 = (extra: Record<string, string> = {}): Record<string, string> => ({
  'sys/devices/system/cpu/offline': '\n',
  [`${FREQ}/scaling_cur_freq`]: '800000\n',
  [`${FREQ}/cpuinfo_cur_freq`]: '900000\n',
  [`${FREQ}/scaling_available_governors`]: 'performance powersave\n',
  [`${FREQ}/scaling_driver`]: 'intel_pstate\n',
  [`${FREQ}/scaling_governor`]: 'powersave\n',
  ...extra,
});

test('cpufreq matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('cpufreq');
});

test('readSystemCpufreq reads every cpu with a cpufreq directory', async () => {
  const stats = await readSystemCpufreq(FIXTURE_SYS);
  assert.deepEqual(
    stats.map((s) => s.cpu),
    ['0', '1', '2', '3'],
  );
  assert.equal(stats[0]!.scalingMaxKhz, 3700000);
  assert.equal(stats[0]!.cpuinfoCurKhz, undefined);
});

test('parseCpuRange expands kernel cpu lists', () => {
  assert.deepEqual(parseCpuRange('1,3-5,9\n', 'isolated'), [1, 3, 4, 5, 9]);
  assert.deepEqual(parseCpuRange('', 'offline'), []);
  assert.throws(() => parseCpuRange('1-x', 'isolated'), /invalid cpu range/);
});

test('cpuinfo_cur_freq gives node_cpu_frequency_hertz; offline CPUs are skipped', async () => {
  const root = makeTree(cpu0({ 'sys/devices/system/cpu/offline': '1\n', 'sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq': '1\n' }));
  const run = await runCollectors(['cpufreq'], treeFlags(root));
  assert.equal(run.success.get('cpufreq'), 1);
  assert.deepEqual(
    run.byName.get('node_cpu_frequency_hertz')!.samples.map((s) => [s.labels['cpu'], s.value]),
    [['0', 9e8]],
  );
  assert.equal(run.byName.get('node_cpu_frequency_hertz')!.help, 'Current CPU thread frequency in hertz.');
  assert.deepEqual(
    run.byName.get('node_cpu_scaling_frequency_hertz')!.samples.map((s) => s.labels['cpu']),
    ['0'],
  );
});

test('a garbled scaling_cur_freq fails only the cpufreq collector', async () => {
  const root = makeTree({ ...cpu0({ [`${FREQ}/scaling_cur_freq`]: '8000o0\n' }), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['cpufreq', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('cpufreq'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_cpu_scaling_governor'), undefined);
});
