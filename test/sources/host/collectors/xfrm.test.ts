import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseXfrmStat } from '../../../../src/sources/host/procfs/xfrm.ts';
import { xfrmMetricName } from '../../../../src/sources/host/collectors/xfrm.ts';

test('xfrm matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('xfrm');
});

test('parseXfrmStat and metric names', () => {
  assert.deepEqual(
    [...parseXfrmStat('XfrmInError  1\nXfrmOutPolDead 7\n')],
    [
      ['XfrmInError', 1],
      ['XfrmOutPolDead', 7],
    ],
  );
  assert.equal(xfrmMetricName('XfrmInStateProtoError'), 'node_xfrm_in_state_proto_error_packets_total');
});

test('a garbled /proc/net/xfrm_stat fails only the xfrm collector', async () => {
  const root = makeTree({ 'proc/net/xfrm_stat': 'XfrmInError 1 2\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['xfrm', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('xfrm'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
