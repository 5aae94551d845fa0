import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readKernelRandom } from '../../../../src/sources/host/procfs/entropy.ts';
import { FIXTURE_PROC } from '../../../helpers/fixtures.ts';

test('entropy matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('entropy');
});

test('readKernelRandom reads entropy_avail and poolsize', async () => {
  assert.deepEqual(await readKernelRandom(FIXTURE_PROC), { entropyAvailable: 1337, poolSize: 4096 });
});

test('a missing poolsize fails the entropy collector, as in node_exporter', async () => {
  const run = await runCollectors(['entropy'], treeFlags(makeTree({ 'proc/sys/kernel/random/entropy_avail': '256\n' })));
  assert.equal(run.success.get('entropy'), 0);
});

test('a garbled entropy_avail fails only the entropy collector', async () => {
  const root = makeTree({ 'proc/sys/kernel/random/entropy_avail': '25x\n', 'proc/sys/kernel/random/poolsize': '256\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['entropy', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('entropy'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_entropy_pool_size_bits'), undefined);
});
