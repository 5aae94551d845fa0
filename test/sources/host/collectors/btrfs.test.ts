import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree } from '../../../helpers/host.ts';
import { layoutRatio, readBtrfsStats } from '../../../../src/sources/host/sysfs/btrfs.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('btrfs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('btrfs');
});

test('readBtrfsStats reads allocation, devices and commit stats', async () => {
  const [a, b] = await readBtrfsStats(FIXTURE_SYS);
  assert.equal(a!.uuid, '0abb23a9-579b-43e6-ad30-227ef47fcb9d');
  assert.equal(a!.label, 'fixture');
  assert.deepEqual([...a!.devices.keys()], ['loop25', 'loop26']);
  assert.deepEqual([a!.commits, a!.lastCommitMs, a!.maxCommitMs, a!.totalCommitMs], [258051, 1000, 51462, 47836090]);
  assert.deepEqual(a!.data.layouts.get('raid0'), { totalBytes: 2147483648, usedBytes: 808189952, ratio: 1 });
  assert.equal(b!.commits, 0); // no commit_stats before Linux 6.0
  assert.equal(b!.data.layouts.get('raid5')!.ratio, 4 / 3);
});

test('layoutRatio follows the RAID profile', () => {
  assert.equal(layoutRatio('dup', 2), 2);
  assert.equal(layoutRatio('raid1c3', 3), 3);
  assert.equal(layoutRatio('raid6', 4), 2);
  assert.equal(layoutRatio('weird', 4), 0);
});

test('a filesystem without metadata_uuid takes the directory name, and unparsable numbers read as 0', async () => {
  const fs = 'sys/fs/btrfs/1111-2222';
  const root = makeTree({
    [`${fs}/label`]: 'x\n',
    [`${fs}/devices/sda/size`]: 'lots\n',
    [`${fs}/features/f`]: '',
    [`${fs}/allocation/data/single/total_bytes`]: '10\n',
    [`${fs}/allocation/metadata/dup/total_bytes`]: '4\n',
    [`${fs}/allocation/system/dup/used_bytes`]: '1\n',
  });
  const [s] = await readBtrfsStats(`${root}/sys`);
  assert.equal(s!.uuid, '1111-2222');
  assert.equal(s!.devices.get('sda'), 0);
  assert.equal(s!.data.layouts.get('single')!.totalBytes, 10);
});

test('btrfs succeeds with nothing without /sys/fs/btrfs', async () => {
  const run = await runOnEmptyTree('btrfs');
  assert.equal(run.success.get('btrfs'), 1);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_btrfs_')).length, 0);
});

test('a garbled commit_stats fails only btrfs', async () => {
  const fs = 'sys/fs/btrfs/1111-2222';
  await assertFailsAlone('btrfs', {
    [`${fs}/devices/sda/size`]: '8\n',
    [`${fs}/features/f`]: '',
    [`${fs}/allocation/data/single/total_bytes`]: '10\n',
    [`${fs}/allocation/metadata/dup/total_bytes`]: '4\n',
    [`${fs}/allocation/system/dup/used_bytes`]: '1\n',
    [`${fs}/commit_stats`]: 'commits 12 extra\n',
  });
});
