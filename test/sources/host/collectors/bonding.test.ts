import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree } from '../../../helpers/host.ts';
import { readBonding } from '../../../../src/sources/host/sysfs/bonding.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('bonding matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('bonding');
});

test('readBonding counts configured and up slaves per master', async () => {
  assert.deepEqual(await readBonding(FIXTURE_SYS), [
    { master: 'bond0', slaves: 0, active: 0 },
    { master: 'dmz', slaves: 2, active: 2 },
    { master: 'int', slaves: 2, active: 1 },
  ]);
});

test('readBonding falls back to the slave_<name> links of older kernels', async () => {
  const root = makeTree({
    'sys/class/net/bonding_masters': 'b0\n',
    'sys/class/net/b0/bonding/slaves': 'eth0 eth1\n',
    'sys/class/net/b0/slave_eth0/bonding_slave/mii_status': 'up\n',
    'sys/class/net/b0/lower_eth1/bonding_slave/mii_status': 'down\n',
  });
  assert.deepEqual(await readBonding(`${root}/sys`), [{ master: 'b0', slaves: 2, active: 1 }]);
});

test('bonding emits nothing without bonding_masters', async () => {
  const run = await runOnEmptyTree('bonding');
  assert.equal(run.success.get('bonding'), 0);
  assert.equal(run.byName.has('node_bonding_slaves'), false);
});

test('a garbled bonding tree fails only bonding', async () => {
  // slaves is a directory: unreadable, and not a missing file.
  await assertFailsAlone('bonding', { 'sys/class/net/bonding_masters': 'b0\n', 'sys/class/net/b0/bonding/slaves/x': '' });
});
