import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseVmstat } from '../../../../src/sources/host/procfs/vmstat.ts';

test('vmstat matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('vmstat');
});

test('parseVmstat reads name/value pairs in order', () => {
  assert.deepEqual(parseVmstat('nr_free_pages 50\npgfault 7\n'), [
    { name: 'nr_free_pages', value: 50 },
    { name: 'pgfault', value: 7 },
  ]);
  assert.throws(() => parseVmstat('pgfault\n'), /no value/);
});

test('--collector.vmstat.fields selects the fields (default: oom_kill, pgpg*, pswp*, pg*fault)', async () => {
  const root = makeTree({ 'proc/vmstat': 'nr_free_pages 50\npgfault 7\npgmajfault 1\noom_kill 0\n' });
  const byDefault = await runCollectors(['vmstat'], treeFlags(root));
  assert.deepEqual([...byDefault.byName.keys()].filter((n) => n.startsWith('node_vmstat_')).sort(), [
    'node_vmstat_oom_kill',
    'node_vmstat_pgfault',
    'node_vmstat_pgmajfault',
  ]);
  assert.equal(byDefault.byName.get('node_vmstat_pgfault')!.type, 'untyped');
  const custom = await runCollectors(['vmstat'], [...treeFlags(root), '--collector.vmstat.fields=^nr_']);
  assert.deepEqual(
    [...custom.byName.keys()].filter((n) => n.startsWith('node_vmstat_')),
    ['node_vmstat_nr_free_pages'],
  );
});

test('a garbled /proc/vmstat fails only the vmstat collector, even in a field that is filtered out', async () => {
  const root = makeTree({ 'proc/vmstat': 'pgfault 7\nnr_dirty ??\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['vmstat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('vmstat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_vmstat_pgfault'), undefined);
});
