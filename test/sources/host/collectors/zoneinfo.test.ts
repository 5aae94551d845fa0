import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseZoneinfo } from '../../../../src/sources/host/procfs/zoneinfo.ts';

const TEXT = [
  'Node 0, zone      DMA',
  '  per-node stats',
  '      nr_inactive_anon 95612',
  '      nr_dirtied   356299',
  '  pages free     3952',
  '        min      33',
  '        high     41',
  '        protection: (0, 2877, 7826)',
  '      nr_free_pages 3952',
  'Node 0, zone    DMA32',
  '  pages free     204252',
  '        min      19510',
  '        protection: (0, 0, 4949)',
  '',
].join('\n');

test('zoneinfo matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('zoneinfo');
});

test("parseZoneinfo gives per-node stats to the node's first zone and reads protection", () => {
  assert.deepEqual(parseZoneinfo(TEXT), [
    { node: '0', zone: 'DMA', values: { nr_inactive_anon: 95612, nr_dirtied: 356299, min: 33, high: 41, nr_free_pages: 3952 }, protection: [0, 2877, 7826] },
    { node: '0', zone: 'DMA32', values: { min: 19510 }, protection: [0, 0, 4949] },
  ]);
});

test('zoneinfo names, types and the protection series', async () => {
  const run = await runCollectors(['zoneinfo'], treeFlags(makeTree({ 'proc/zoneinfo': TEXT })));
  assert.equal(run.byName.get('node_zoneinfo_nr_dirtied_total')!.type, 'counter');
  assert.equal(run.byName.get('node_zoneinfo_min_pages')!.samples.length, 2);
  assert.equal(run.byName.get('node_zoneinfo_protection_2')!.help, 'Protection array 2. field');
  assert.deepEqual(
    run.byName.get('node_zoneinfo_protection_1')!.samples.map((s) => s.value),
    [2877, 0],
  );
});

test('a garbled zoneinfo value fails only the zoneinfo collector', async () => {
  const root = makeTree({ 'proc/zoneinfo': 'Node 0, zone      DMA\n        min      3x3\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['zoneinfo', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('zoneinfo'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
