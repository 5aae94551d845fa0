import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E } from '../../../helpers/host.ts';
import { readEdac } from '../../../../src/sources/host/sysfs/edac.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('edac matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('edac');
});

test('readEdac reads controllers, csrows and channels', async () => {
  const [mc0, ...others] = await readEdac(FIXTURE_SYS);
  assert.equal(others.length, 0);
  assert.equal(mc0!.controller, '0');
  assert.deepEqual([mc0!.correctable, mc0!.uncorrectable, mc0!.correctableNoInfo, mc0!.uncorrectableNoInfo], [1, 5, 2, 6]);
  assert.deepEqual(
    mc0!.csrows.map((r) => r.csrow),
    ['0', '1', '2'],
  );
  assert.deepEqual(mc0!.csrows[2]!.channels[0], { channel: '0', dimmLabel: 'mc0_csrow2_channel0', correctable: 0 });
  assert.equal(mc0!.csrows[0]!.channels[1]!.uncorrectable, 2);
});

test('edac succeeds with nothing on a host without EDAC', async () => {
  const run = await runOnEmptyTree('edac');
  assert.equal(run.success.get('edac'), 1);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_edac_')).length, 0);
});

test('a garbled ce_count fails only edac', async () => {
  const mc = 'sys/devices/system/edac/mc/mc0';
  await assertFailsAlone('edac', { [`${mc}/ce_count`]: '1\n', [`${mc}/ce_noinfo_count`]: '-3\n', [`${mc}/ue_count`]: '0\n', [`${mc}/ue_noinfo_count`]: '0\n' });
});
