import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTree, runCollectors, treeFlags } from '../../helpers/host.ts';

// Node.js cannot call adjtimex(2): the collector reports no data (see its source and README).
test('timex reports no data and hurts no other collector', async () => {
  const run = await runCollectors(['timex', 'loadavg'], treeFlags(makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' })));
  assert.equal(run.success.get('timex'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal([...run.byName.keys()].filter((n) => n.startsWith('node_timex_')).length, 0);
});
