import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree } from '../../../helpers/host.ts';
import { readMultipathDevices } from '../../../../src/sources/host/sysfs/dm-multipath.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('dmmultipath matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('dmmultipath');
});

test('readMultipathDevices keeps only mpath- device-mapper devices', async () => {
  const devices = await readMultipathDevices(FIXTURE_SYS);
  assert.deepEqual(
    devices.map((d) => [d.sysfsName, d.name, d.paths.length]),
    [
      ['dm-5', 'mpathA', 4],
      ['dm-6', 'mpathB', 2],
    ],
  );
  assert.deepEqual(devices[0]!.paths[3], { device: 'sdl', state: 'offline' });
});

test('a suspended multipath device without slaves has no paths', async () => {
  const root = makeTree({
    'sys/block/dm-0/dm/uuid': 'mpath-1\n',
    'sys/block/dm-0/dm/name': 'm\n',
    'sys/block/dm-0/dm/suspended': '1\n',
    'sys/block/dm-0/size': '2\n',
  });
  assert.deepEqual(await readMultipathDevices(`${root}/sys`), [{ name: 'm', sysfsName: 'dm-0', uuid: 'mpath-1', suspended: true, sizeBytes: 1024, paths: [] }]);
});

test('dmmultipath emits nothing without /sys/block', async () => {
  const run = await runOnEmptyTree('dmmultipath');
  assert.equal(run.success.get('dmmultipath'), 0);
});

test('a garbled dm/suspended fails only dmmultipath', async () => {
  await assertFailsAlone('dmmultipath', {
    'sys/block/dm-0/dm/uuid': 'mpath-1\n',
    'sys/block/dm-0/dm/name': 'm\n',
    'sys/block/dm-0/dm/suspended': 'yes\n',
    'sys/block/dm-0/size': '2\n',
  });
});
