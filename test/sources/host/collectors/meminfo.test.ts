import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseMeminfo } from '../../../../src/sources/host/procfs/meminfo.ts';

test('meminfo matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('meminfo');
});

test('parseMeminfo converts kB to bytes and keeps unit-less counts', () => {
  assert.deepEqual(parseMeminfo('MemTotal:  3742148 kB\nHugePages_Total:   4\nActive(anon):  2 kB\n'), [
    { key: 'MemTotal', value: 3742148, bytes: 3742148 * 1024 },
    { key: 'HugePages_Total', value: 4, bytes: 4 },
    { key: 'Active(anon)', value: 2, bytes: 2048 },
  ]);
});

test('parseMeminfo rejects unknown units and garbled values', () => {
  assert.throws(() => parseMeminfo('MemTotal: 1 MB\n'), /unsupported unit/);
  assert.throws(() => parseMeminfo('MemTotal: lots kB\n'), /MemTotal/);
  assert.throws(() => parseMeminfo('MemTotal\n'), /malformed/);
});

test('meminfo mangles (anon)/(file) names, keeps HugePages_* unsuffixed and drops keys node_exporter 1.12 does not export', async () => {
  const root = makeTree({ 'proc/meminfo': 'Inactive(file):  4 kB\nHugePages_Free:  3\nKReclaimable:  9 kB\nZswapped:  1 kB\n' });
  const run = await runCollectors(['meminfo'], treeFlags(root));
  assert.deepEqual([...run.byName.keys()].filter((n) => n.startsWith('node_memory_')).sort(), [
    'node_memory_HugePages_Free',
    'node_memory_Inactive_file_bytes',
    'node_memory_Zswapped_bytes',
  ]);
  assert.equal(run.byName.get('node_memory_Inactive_file_bytes')!.samples[0]!.value, 4096);
  assert.equal(run.byName.get('node_memory_HugePages_Free')!.help, 'Memory information field HugePages_Free.');
});

test('a garbled /proc/meminfo fails only the meminfo collector', async () => {
  const root = makeTree({ 'proc/meminfo': 'MemTotal:  3742148 kB\nMemFree:\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['meminfo', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('meminfo'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_memory_MemTotal_bytes'), undefined);
});
