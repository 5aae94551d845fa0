import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseSoftirqs } from '../../../../src/sources/host/procfs/softirqs.ts';

test('softirqs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('softirqs');
});

test('parseSoftirqs reads per-CPU counts of the known types', () => {
  const s = parseSoftirqs('      CPU0  CPU1\n   HI:  7  1\nTIMER: 4 5\nNEWTYPE: 1 1\n');
  assert.deepEqual(s, { HI: [7, 1], TIMER: [4, 5] });
  assert.throws(() => parseSoftirqs(''), /empty/);
});

test('a garbled /proc/softirqs fails only the softirqs collector', async () => {
  const root = makeTree({ 'proc/softirqs': '   CPU0\n HI: 7x\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['softirqs', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('softirqs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_softirqs_functions_total'), undefined);
});
