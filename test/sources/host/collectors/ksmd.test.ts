import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readKsm } from '../../../../src/sources/host/sysfs/ksm.ts';

test('ksmd matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('ksmd');
});

test('readKsm skips files the kernel lacks', async () => {
  const root = makeTree({ 'sys/kernel/mm/ksm/run': '1\n', 'sys/kernel/mm/ksm/sleep_millisecs': '20\n' });
  assert.deepEqual(
    [...(await readKsm(`${root}/sys`))],
    [
      ['run', 1],
      ['sleep_millisecs', 20],
    ],
  );
});

test('a garbled ksm file fails only the ksmd collector', async () => {
  const root = makeTree({ 'sys/kernel/mm/ksm/run': 'yes\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['ksmd', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('ksmd'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
