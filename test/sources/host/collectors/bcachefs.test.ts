import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import {
  parseBtreeWriteStats,
  parseCompressionStats,
  parseCounterFile,
  parseHumanBytes,
  parseIoDone,
  parseIoErrors,
  readBcachefsStats,
} from '../../../../src/sources/host/sysfs/bcachefs.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('bcachefs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('bcachefs');
});

test('readBcachefsStats reads a filesystem with its counters and devices', async () => {
  const [fs] = await readBcachefsStats(FIXTURE_SYS);
  assert.equal(fs!.uuid, 'deadbeef-1234-5678-9012-abcdefabcdef');
  assert.equal(fs!.counters.get('accounting_key_to_wb_slowpath'), 44105502);
  assert.deepEqual([...fs!.devices.keys()], ['10', '4', '6', '7', '8']);
  assert.equal(fs!.devices.get('10')!.ioDone.get('write')!.get('user'), 252377698304);
  // biome-ignore lint/correctness/noPrecisionLoss: a counter beyond 2^53 in the fixture, compared as the float node_exporter exports
  assert.equal(fs!.errors.get('extent_io_opts_not_set'), 11299659571772285102);
});

test('the sysfs text formats parse as procfs parses them', () => {
  assert.equal(parseHumanBytes('48.9G'), Math.trunc(48.9 * 2 ** 30));
  assert.equal(parseHumanBytes('1.26k'), 1290);
  assert.equal(parseHumanBytes('720'), 720);
  assert.throws(() => parseHumanBytes(''), /empty/);
  assert.deepEqual(
    [...parseCompressionStats('type compressed uncompressed\nlz4: 1k 2k 3k\nshort 1\n')],
    [['lz4', { compressedBytes: 1024, uncompressedBytes: 2048 }]],
  );
  assert.deepEqual([...parseBtreeWriteStats(' nr size\ninitial: 3 100k\n', 'w')], [['initial', { count: 3, sizeBytes: 102400 }]]);
  assert.equal(parseCounterFile('since mount: 1\nsince filesystem creation: 2k\n', 'c'), 2048);
  assert.throws(() => parseCounterFile('total 5\n', 'c'), /not recognized/);
  assert.deepEqual(
    [...parseIoDone('read:\nsb : 1\nwrite:\nsb : 2\n', 'd').entries()].map(([op, m]) => [op, [...m]]),
    [
      ['read', [['sb', 1]]],
      ['write', [['sb', 2]]],
    ],
  );
  assert.deepEqual([...parseIoErrors('IO errors since filesystem creation\n  read: 3\nIO errors since 1 y ago\n  read: 1\n', 'e')], [['read', 3]]);
});

test('bcachefs emits nothing without /sys/fs/bcachefs, or with no filesystem', async () => {
  assert.equal((await runOnEmptyTree('bcachefs')).success.get('bcachefs'), 0);
  const root = makeTree({ 'sys/fs/bcachefs/not-a-dir': '' });
  const run = await runCollectors(['bcachefs'], treeFlags(root));
  assert.equal(run.success.get('bcachefs'), 0);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_bcachefs_')).length, 0);
});

test('a garbled bcachefs counter file fails only bcachefs', async () => {
  await assertFailsAlone('bcachefs', { 'sys/fs/bcachefs/aaaa-bbbb/counters/io_read': 'since mount: lots\n' });
});
