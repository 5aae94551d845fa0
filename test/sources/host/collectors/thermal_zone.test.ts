import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { readCoolingDevices, readThermalZones } from '../../../../src/sources/host/sysfs/thermal.ts';

test('thermal_zone matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('thermal_zone');
});

test('readThermalZones and readCoolingDevices parse the fixture class', async () => {
  assert.deepEqual(await readThermalZones(FIXTURE_SYS), [{ name: '0', type: 'cpu-thermal', tempMilliCelsius: 12376 }]);
  assert.deepEqual(await readCoolingDevices(FIXTURE_SYS), [{ name: '0', type: 'Processor', curState: 0, maxState: 3 }]);
});

test('no thermal class at all is an empty, successful collection (as node_exporter globbing nothing)', async () => {
  const run = await runCollectors(['thermal_zone'], treeFlags(makeTree({})));
  assert.equal(run.success.get('thermal_zone'), 1);
  assert.equal(run.byName.get('node_thermal_zone_temp'), undefined);
});

test('a garbled cooling device state fails only the thermal_zone collector', async () => {
  const root = makeTree({
    'sys/class/thermal/thermal_zone0/type': 'acpitz\n',
    'sys/class/thermal/thermal_zone0/temp': '41000\n',
    'sys/class/thermal/cooling_device0/type': 'Fan\n',
    'sys/class/thermal/cooling_device0/max_state': 'three\n',
    'sys/class/thermal/cooling_device0/cur_state': '0\n',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['thermal_zone', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('thermal_zone'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_thermal_zone_temp'), undefined);
});
