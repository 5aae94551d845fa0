import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseSchedstat } from '../../../../src/sources/host/procfs/schedstat.ts';

test('schedstat matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('schedstat');
});

test('parseSchedstat takes the last three numbers of each cpu line and skips domains', () => {
  const text = 'version 15\ntimestamp 1\ncpu2 1 0 2 3 4 5 600 700 8\ndomain0 00000003 1 2 3\n';
  assert.deepEqual(parseSchedstat(text), [{ cpu: '2', runningNanoseconds: 600, waitingNanoseconds: 700, timeslices: 8 }]);
  assert.equal(parseSchedstat('cpu0 1 0 2 3 4 5 600 700 8 99\n')[0]!.timeslices, 8, 'extra columns of newer kernels are ignored');
});

test('no /proc/schedstat (kernel without CONFIG_SCHEDSTATS) is no data, not an error', async () => {
  const run = await runCollectors(['schedstat'], treeFlags(makeTree({})));
  assert.equal(run.success.get('schedstat'), 0);
  assert.equal(run.byName.get('node_schedstat_running_seconds_total'), undefined);
});

test('a truncated cpu line fails only the schedstat collector', async () => {
  const root = makeTree({ 'proc/schedstat': 'version 15\ncpu0 498494191 0 3533438552 2553969831\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['schedstat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('schedstat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
