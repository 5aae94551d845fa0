import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNetStatFile } from '../../../../src/sources/host/procfs/lnstat.ts';

test('lnstat matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('lnstat');
});

test('parseNetStatFile reads hex counters per column, one value per CPU line', () => {
  const f = parseNetStatFile('entries  allocs\n00000014  0000000a\n00000015  ffffffffffffffff\n', 'arp_cache');
  assert.deepEqual(
    [...f.stats],
    [
      ['entries', [20, 21]],
      ['allocs', [10, 18446744073709552000]],
    ],
  );
});

test('a garbled /proc/net/stat file fails only the lnstat collector', async () => {
  const root = makeTree({ 'proc/net/stat/arp_cache': 'entries allocs\n00000014 zz\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['lnstat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('lnstat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  const extra = makeTree({ 'proc/net/stat/arp_cache': 'entries\n00000014 00000001\n' });
  assert.equal((await runCollectors(['lnstat'], treeFlags(extra))).success.get('lnstat'), 0, 'more values than headers');
});
