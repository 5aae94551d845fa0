import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseSoftnet } from '../../../../src/sources/host/procfs/softnet.ts';

test('softnet matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('softnet');
});

test('parseSoftnet reads the CPU index and backlog of 13-column kernels', () => {
  const wide = '00000010 00000001 00000002 0 0 0 0 0 00000003 00000004 00000005 00000006 00000007\n';
  assert.deepEqual(parseSoftnet(wide), [
    { index: 7, processed: 16, dropped: 1, timeSqueezed: 2, cpuCollision: 3, receivedRps: 4, flowLimitCount: 5, backlogLength: 6 },
  ]);
  const old = '00000010 00000001 00000002 0 0 0 0 0 00000003\n00000011 0 0 0 0 0 0 0 0\n';
  assert.deepEqual(
    parseSoftnet(old).map((s) => [s.index, s.processed, s.receivedRps]),
    [
      [0, 16, 0],
      [1, 17, 0],
    ],
  );
});

test('a short or non-hex softnet_stat line fails only the softnet collector', async () => {
  for (const bad of ['00000010 00000001\n', '0000001g 0 0 0 0 0 0 0 0 0 0\n']) {
    const root = makeTree({ 'proc/net/softnet_stat': bad, 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
    const run = await runCollectors(['softnet', 'loadavg'], treeFlags(root));
    assert.equal(run.success.get('softnet'), 0, bad);
    assert.equal(run.success.get('loadavg'), 1);
  }
});
