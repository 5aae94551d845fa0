import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { parseSlabInfo } from '../../../../src/sources/host/procfs/slabinfo.ts';

test('slabinfo matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('slabinfo');
});

test('parseSlabInfo skips the version and header lines', () => {
  const slabs = parseSlabInfo(fixtureText('proc/slabinfo'));
  assert.deepEqual(slabs[0], { name: 'tw_sock_TCP', objActive: 704, objNum: 864, objSize: 256, objPerSlab: 32, pagesPerSlab: 2 });
  assert.equal(slabs.length, 4);
});

test('include and exclude both apply, as node_exporter deviceFilter does', async () => {
  const run = await runOnFixtures(['slabinfo'], ['--collector.slabinfo.slabs-include=^k', '--collector.slabinfo.slabs-exclude=cache']);
  assert.deepEqual(
    run.byName.get('node_slabinfo_objects')!.samples.map((s) => s.labels['slab']),
    ['kmalloc-8192'],
  );
});

test('a truncated /proc/slabinfo fails only the slabinfo collector', async () => {
  const text = fixtureText('proc/slabinfo');
  const root = makeTree({ 'proc/slabinfo': text.slice(0, text.length - 30), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['slabinfo', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('slabinfo'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
