import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseLoadAvg } from '../../../../src/sources/host/procfs/loadavg.ts';

test('loadavg matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('loadavg');
});

test('parseLoadAvg reads the three averages', () => {
  assert.deepEqual(parseLoadAvg('0.02 0.04 0.05 1/497 11947\n'), { load1: 0.02, load5: 0.04, load15: 0.05 });
});

test('a garbled /proc/loadavg fails only the loadavg collector', async () => {
  const root = makeTree({ 'proc/loadavg': '0.02 zero\n' });
  const run = await runCollectors(['loadavg'], treeFlags(root));
  assert.equal(run.success.get('loadavg'), 0);
  assert.equal(run.byName.get('node_load1'), undefined);
});
