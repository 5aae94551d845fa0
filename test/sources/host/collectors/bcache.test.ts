import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, runOnFixtures } from '../../../helpers/host.ts';
import { dehumanize, dehumanizeSigned, parsePseudoFloat, readBcacheStats } from '../../../../src/sources/host/sysfs/bcache.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('bcache matches node_exporter on the fixtures (with --collector.bcache.priorityStats)', async () => {
  await assertMatchesE2E('bcache');
});

test('without priorityStats the priority families are not read nor emitted', async () => {
  const run = await runOnFixtures(['bcache'], ['--no-collector.bcache.priorityStats']);
  assert.equal(run.success.get('bcache'), 1);
  assert.equal(run.byName.has('node_bcache_priority_stats_unused_percent'), false);
  assert.ok(run.byName.has('node_bcache_written_bytes_total'));
});

test('dehumanize reads bch_hprint values', () => {
  assert.equal(parsePseudoFloat('1.1'), 1 + 1 / 10.24);
  assert.equal(dehumanize('1.1M'), 1150976);
  assert.equal(dehumanize('20.4G'), 21894266880);
  assert.equal(dehumanize('512'), 512);
  assert.equal(dehumanizeSigned('-427.5k'), -437748);
  assert.throws(() => dehumanize(''), /zero-length/);
  assert.throws(() => dehumanize('x.1k'), /invalid number/);
});

test('readBcacheStats follows the bdev and cache links of a cache set', async () => {
  const [set] = await readBcacheStats(FIXTURE_SYS, true);
  assert.equal(set!.name, 'deaddd54-c735-46d5-868e-f331c5fd7c74');
  assert.deepEqual(
    set!.bdevs.map((b) => [b.name, b.total.cacheHits, b.writeback.rate]),
    [['bdev0', 546, 1150976]],
  );
  assert.deepEqual(
    set!.caches.map((c) => [c.name, c.metadataWritten, c.priority]),
    [['cache0', 512, { unusedPercent: 99, metadataPercent: 0 }]],
  );
});

test('bcache succeeds with nothing without /sys/fs/bcache', async () => {
  const run = await runOnEmptyTree('bcache');
  assert.equal(run.success.get('bcache'), 1);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_bcache_')).length, 0);
});

test('a garbled bcache value fails only bcache', async () => {
  await assertFailsAlone('bcache', { 'sys/fs/bcache/aaaa-bbbb/tree_depth': 'deep\n' });
});
