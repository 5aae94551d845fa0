import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E } from '../../../helpers/host.ts';
import { readDmiId } from '../../../../src/sources/host/sysfs/dmi.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { makeTree } from '../../../helpers/host.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('dmi matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('dmi');
});

test('readDmiId reads the id files, skipping modalias and uevent', async () => {
  const values = await readDmiId(FIXTURE_SYS);
  assert.equal(values.get('bios_vendor'), 'Dell Inc.');
  assert.equal(values.get('chassis_asset_tag'), '');
  assert.equal(values.has('modalias'), false);
  assert.equal(values.has('uevent'), false);
});

test('readDmiId trims like Go (keeps a leading BOM that JS trim would drop)', async () => {
  const root = makeTree({ 'sys/class/dmi/id/board_name': '\ufeffX \n' });
  assert.equal((await readDmiId(`${root}/sys`)).get('board_name'), '\ufeffX');
});

test('dmi emits nothing without /sys/class/dmi (success 0, as node_exporter ErrNoData)', async () => {
  const run = await runOnEmptyTree('dmi');
  assert.equal(run.success.get('dmi'), 0);
  assert.equal(run.byName.has('node_dmi_info'), false);
});

test('a garbled /sys/class/dmi (a file where the id directory should be) fails only dmi', async () => {
  // Every regular file's text is a valid label value, so the tree itself must be broken.
  await assertFailsAlone('dmi', { 'sys/class/dmi/id': 'bios_vendor=x\n' });
});
