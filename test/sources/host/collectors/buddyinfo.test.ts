import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseBuddyinfo } from '../../../../src/sources/host/procfs/buddyinfo.ts';

test('buddyinfo matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('buddyinfo');
});

test('parseBuddyinfo reads free blocks per order', () => {
  assert.deepEqual(parseBuddyinfo('Node 0, zone      DMA      1      0      1\nNode 0, zone   Normal   4381   1093    185\n'), [
    { node: '0', zone: 'DMA', sizes: [1, 0, 1] },
    { node: '0', zone: 'Normal', sizes: [4381, 1093, 185] },
  ]);
  assert.throws(() => parseBuddyinfo('Node 0, zone DMA 1 2\nNode 0, zone Normal 1\n'), /mismatch in number of buddyinfo buckets/);
});

test('a truncated /proc/buddyinfo fails only the buddyinfo collector', async () => {
  const root = makeTree({ 'proc/buddyinfo': 'Node 0, zone      DMA      1      0      1\nNode 0, zone\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['buddyinfo', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('buddyinfo'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
