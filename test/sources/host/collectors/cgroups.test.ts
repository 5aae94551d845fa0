import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseCgroupSummaries } from '../../../../src/sources/host/procfs/cgroups.ts';

test('cgroups matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('cgroups');
});

test('parseCgroupSummaries skips the header and reads four fields', () => {
  assert.deepEqual(parseCgroupSummaries('#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t3\t172\t1\n'), [
    { subsysName: 'cpu', hierarchy: 3, cgroups: 172, enabled: 1 },
  ]);
});

test('a truncated /proc/cgroups fails only the cgroups collector', async () => {
  const root = makeTree({ 'proc/cgroups': '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t5\t4', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['cgroups', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('cgroups'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_cgroups_cgroups'), undefined);
});
