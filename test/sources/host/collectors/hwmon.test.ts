import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { cleanMetricName, explodeSensorFilename, listHwmonChips } from '../../../../src/sources/host/sysfs/hwmon.ts';

test('hwmon matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('hwmon');
});

test('explodeSensorFilename and cleanMetricName follow node_exporter', () => {
  assert.deepEqual(explodeSensorFilename('temp1_input'), { type: 'temp', num: 1, property: 'input' });
  assert.deepEqual(explodeSensorFilename('beep_enable'), { type: 'beep_enable', num: 0, property: '' });
  assert.deepEqual(explodeSensorFilename('fan2_beep'), { type: 'fan', num: 2, property: 'beep' });
  assert.equal(explodeSensorFilename('123'), undefined);
  assert.equal(cleanMetricName('  ASUS WMI-Sensors\n'), 'asus_wmi_sensors');
});

test('chip names come from the device link and equal names are disambiguated', async () => {
  const chips = await listHwmonChips(FIXTURE_SYS);
  const names = chips.map((c) => c.chip);
  assert.ok(names.includes('platform_coretemp_0'));
  assert.ok(names.includes('ieee80211_phy0_mt7996_phy0_1'));
  assert.equal(new Set(names).size, names.length);
});

test('chip-exclude and sensor-include filter chips and "<chip>;<sensor>"', async () => {
  const run = await runOnFixtures(['hwmon'], ['--collector.hwmon.sensor-include=^platform_coretemp_0;temp1$']);
  const series = run.families.filter((f) => f.name.startsWith('node_hwmon_') && f.name !== 'node_hwmon_chip_names').flatMap((f) => f.samples);
  assert.ok(series.length > 0);
  assert.ok(series.every((s) => s.labels['chip'] === 'platform_coretemp_0' && s.labels['sensor'] === 'temp1'));
  const both = await runCollectors(['hwmon'], ['--collector.hwmon.chip-include=a', '--collector.hwmon.chip-exclude=b']);
  assert.equal(both.success.get('hwmon'), 0);
});

test('an unreadable value is skipped; an unlistable chip fails only the hwmon collector', async () => {
  const ok = makeTree({
    'sys/class/hwmon/hwmon0/name': 'acpitz\n',
    'sys/class/hwmon/hwmon0/temp1_input': 'garbage\n',
    'sys/class/hwmon/hwmon0/temp2_input': '45000\n',
  });
  const run = await runCollectors(['hwmon'], treeFlags(ok));
  assert.equal(run.success.get('hwmon'), 1);
  assert.deepEqual(
    run.byName.get('node_hwmon_temp_celsius')!.samples.map((s) => [s.labels['chip'], s.labels['sensor'], s.value]),
    [['acpitz', 'temp2', 45]],
  );

  // device/ that exists but is not a directory: node_exporter's ReadDir fails and so does the collector.
  const bad = makeTree({
    'sys/class/hwmon/hwmon0/name': 'acpitz\n',
    'sys/class/hwmon/hwmon0/device': 'not a directory\n',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const failed = await runCollectors(['hwmon', 'loadavg'], treeFlags(bad));
  assert.equal(failed.success.get('hwmon'), 0);
  assert.equal(failed.success.get('loadavg'), 1);
  assert.equal(failed.byName.get('node_hwmon_chip_names'), undefined);
});
