import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseXfsStats, readXfsSysStats } from '../../../../src/sources/host/procfs/xfs.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';

const LOADAVG = { 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' };

test('xfs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('xfs');
});

test('readXfsSysStats reads one entry per filesystem under /sys/fs/xfs', async () => {
  const all = await readXfsSysStats(FIXTURE_SYS);
  assert.deepEqual(
    all.map((s) => s.name),
    ['sda1'],
  );
  const s = all[0]!;
  assert.deepEqual(s.extentAllocation, { extentsAllocated: 1, blocksAllocated: 872, extentsFreed: 0, blocksFreed: 0 });
  assert.deepEqual(s.blockMapping, {
    reads: 61,
    writes: 29,
    unmaps: 1,
    extentListInsertions: 1,
    extentListDeletions: 1,
    extentListLookups: 91,
    extentListCompares: 0,
  });
  // "rw 28 0": the kernel prints write calls first.
  assert.deepEqual(s.readWrite, { write: 28, read: 0 });
  assert.deepEqual(s.categories.get('xpc'), [3571712, 3568056, 0]);
});

test('parseXfsStats accepts old 7-counter vnodes lines, the two-word gc xpc and 64-bit xpc counters', () => {
  const s = parseXfsStats('vnodes 1 2 3 4 5 6 7\ngc xpc 12345678901\nxpc 9999999999 0 0\n', 'dm-0');
  assert.equal(s.vnode.remove, 7);
  assert.equal(s.vnode.free, 0);
  assert.deepEqual(s.categories.get('gc xpc'), [12345678901]);
  assert.equal(s.extentAllocation.extentsAllocated, 0);
});

test('parseXfsStats rejects wrong counter counts, 32-bit overflow and garbage', () => {
  assert.throws(() => parseXfsStats('extent_alloc 1 2 3\n', 'd', '/s/stats'), /\/s\/stats: incorrect number of values for XFS extent_alloc stats: 3/);
  assert.throws(() => parseXfsStats('rw 4294967296 0\n', 'd'), /out of 32-bit range/);
  assert.throws(() => parseXfsStats('dir 1 2 x 4\n', 'd'), /dir: expected an unsigned integer, got "x"/);
});

test('a host without XFS emits no xfs family and the collector still succeeds, as node_exporter', async () => {
  const run = await runCollectors(['xfs'], treeFlags(makeTree(LOADAVG)));
  assert.equal(run.success.get('xfs'), 1);
  assert.ok(![...run.byName.keys()].some((n) => n.startsWith('node_xfs_')));
});

test('a truncated xfs stats file fails only the xfs collector', async () => {
  const stats = fixtureText('sys/fs/xfs/sda1/stats/stats');
  const truncated = stats.slice(0, stats.indexOf('blk_map') + 'blk_map 61 29 1'.length);
  const root = makeTree({ 'sys/fs/xfs/sda1/stats/stats': truncated, ...LOADAVG });
  const run = await runCollectors(['xfs', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('xfs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_xfs_read_calls_total'), undefined);
});
