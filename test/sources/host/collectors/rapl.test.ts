import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readRaplZones, splitZoneName } from '../../../../src/sources/host/sysfs/powercap.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('rapl matches node_exporter on the fixtures (path label as given)', async () => {
  await assertMatchesE2E('rapl');
});

test('readRaplZones lists zones with a name file', async () => {
  const zones = await readRaplZones(FIXTURE_SYS);
  assert.deepEqual(
    zones.map((z) => [z.name, z.index, z.path.slice(FIXTURE_SYS.length)]),
    [
      ['package', 0, '/class/powercap/intel-rapl:0'],
      ['core', 0, '/class/powercap/intel-rapl:0:0'],
    ],
  );
});

test('splitZoneName numbers repeated names without a suffix', () => {
  assert.deepEqual(splitZoneName('package-1', new Map()), { index: 1, name: 'package' });
  assert.deepEqual(splitZoneName('dram', new Map([['dram', 2]])), { index: 2, name: 'dram' });
  assert.deepEqual(splitZoneName('psys-x', new Map()), { index: 0, name: 'psys-x' });
});

test('--collector.rapl.enable-zone-label gives one family with a rapl_zone label', async () => {
  const root = makeTree({
    'sys/class/powercap/z:0/name': 'package-0\n',
    'sys/class/powercap/z:0/max_energy_range_uj': '100\n',
    'sys/class/powercap/z:0/energy_uj': '2500000\n',
  });
  const run = await runCollectors(['rapl'], [...treeFlags(root), '--collector.rapl.enable-zone-label']);
  assert.match(
    run.text,
    /# HELP node_rapl_joules_total Current RAPL value in joules\n# TYPE node_rapl_joules_total counter\nnode_rapl_joules_total\{index="0",path="[^"]+\/z:0",rapl_zone="package"\} 2.5\n/,
  );
});

test('rapl emits nothing without /sys/class/powercap', async () => {
  const run = await runOnEmptyTree('rapl');
  assert.equal(run.success.get('rapl'), 0);
});

test('a garbled energy_uj fails only rapl', async () => {
  await assertFailsAlone('rapl', {
    'sys/class/powercap/z:0/name': 'core\n',
    'sys/class/powercap/z:0/max_energy_range_uj': '100\n',
    'sys/class/powercap/z:0/energy_uj': '12ab\n',
  });
});
