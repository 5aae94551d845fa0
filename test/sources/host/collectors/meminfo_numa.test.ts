import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNodeMeminfo, parseNodeNumastat } from '../../../../src/sources/host/sysfs/meminfo-numa.ts';

test('meminfo_numa matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('meminfo_numa');
});

test('node meminfo: kB to bytes, (anon) to _anon, unit-less HugePages kept', () => {
  assert.deepEqual(parseNodeMeminfo('Node 1 Active(anon):  2 kB\nNode 1 HugePages_Total:     3\n', 'meminfo'), [
    { name: 'Active_anon', type: 'gauge', node: '1', value: 2048 },
    { name: 'HugePages_Total', type: 'gauge', node: '1', value: 3 },
  ]);
  assert.throws(() => parseNodeMeminfo('Node 1 MemTotal: 1 MB\n', 'meminfo'), /invalid line/);
  assert.deepEqual(parseNodeNumastat('numa_hit 5\n', '2', 'numastat'), [{ name: 'numa_hit_total', type: 'counter', node: '2', value: 5 }]);
});

test('a node without numastat fails only the meminfo_numa collector', async () => {
  const root = makeTree({ 'sys/devices/system/node/node0/meminfo': 'Node 0 MemTotal:  4 kB\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['meminfo_numa', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('meminfo_numa'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_memory_numa_MemTotal'), undefined);
});
