import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertMatchesE2E, makeTree } from '../../../helpers/host.ts';
import type { MetricFamily } from '../../../../src/model/family.ts';
import { formatDeviceUuid, readIoctlDevices } from '../../../../src/sources/host/collectors/btrfs.ts';
import { REPO_ROOT } from '../../../helpers/fixtures.ts';
import { runProcess } from '../../../helpers/run.ts';
import { missingPeers } from '../../../helpers/servers.ts';
import { nativeAddonSkip } from '../native-skip.ts';
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

test('the ioctl walk skips device ids without a device (ENODEV) and stops at num_devices', () => {
  const asked: number[] = [];
  const addon = {
    btrfsFsInfo: () => ({ maxId: 9, numDevices: 2, fsid: Buffer.from('0abb23a9579b43e6ad30227ef47fcb9d', 'hex') }),
    btrfsDevInfo: (_fd: number, id: number) => {
      asked.push(id);
      if (id !== 1 && id !== 3) throw Object.assign(new Error('BTRFS_IOC_DEV_INFO: No such device'), { code: 'ENODEV' });
      return { uuid: Buffer.alloc(16, id), bytesUsed: 10 * id, totalBytes: 100 * id, path: `/dev/loop${id}` };
    },
    btrfsDevStats: (_fd: number, id: number) => [id, 0, 0, 0, 1],
  };
  const { fsid, devices } = readIoctlDevices(addon, 7);
  assert.equal(fsid, '0abb23a9579b43e6ad30227ef47fcb9d');
  assert.deepEqual(asked, [0, 1, 2, 3]);
  assert.deepEqual(devices[1], { path: '/dev/loop3', uuid: '03030303-0303-0303-0303-030303030303', bytesUsed: 30, totalBytes: 300, errors: [3, 0, 0, 0, 1] });
  assert.equal(formatDeviceUuid(Buffer.alloc(16)), '<zero>');
  const failing = {
    ...addon,
    btrfsDevInfo: () => {
      throw Object.assign(new Error('BTRFS_IOC_DEV_INFO: Permission denied'), { code: 'EPERM' });
    },
  };
  assert.throws(() => readIoctlDevices(failing, 7), /Permission denied/);
});

function liveSkip(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for loop devices and mounts';
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\tbtrfs\n')) return 'the kernel has no btrfs';
  for (const tool of ['mkfs.btrfs', 'losetup', 'unshare'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (btrfs-progs, util-linux)`;
  return nativeAddonSkip() ?? missingPeers('nodeExporter');
}

test('btrfs per-device series agree with the live node_exporter on a two-device btrfs on loop devices', { skip: liveSkip() }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-btrfs-'));
  const loops: string[] = [];
  try {
    for (const name of ['a.img', 'b.img']) {
      const image = path.join(dir, name);
      writeFileSync(image, '');
      truncateSync(image, 300 * 1024 * 1024);
      const attach = await runProcess('losetup', ['--find', '--show', image], { timeoutMs: 60_000 });
      assert.equal(attach.code, 0, attach.stderr);
      loops.push(attach.stdout.trim());
    }
    const mkfs = await runProcess('mkfs.btrfs', ['-q', '-f', '-d', 'raid1', '-m', 'raid1', ...loops], { timeoutMs: 120_000 });
    assert.equal(mkfs.code, 0, mkfs.stderr);
    const mnt = path.join(dir, 'mnt');
    const script = path.join(REPO_ROOT, 'test', 'sources', 'host', 'btrfs-mount.ts');
    // A private mount namespace keeps the mount from every other process on the box (node_exporter 1.5.0 keeps
    // the mount points it inspects open, which would keep an unmount busy); the PID namespace makes this
    // namespace's mountinfo /proc/1/mountinfo, where both exporters look.
    const run = await runProcess(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--pid',
        '--fork',
        '--mount-proc',
        'sh',
        '-c',
        `mkdir "${mnt}" && mount -t btrfs ${loops[0]} "${mnt}" && exec "${process.execPath}" --no-warnings "${script}"`,
      ],
      { cwd: REPO_ROOT, timeoutMs: 120_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const { theirs, ours } = JSON.parse(run.stdout) as { theirs: MetricFamily[]; ours: MetricFamily[] };
    assert.deepEqual(ours, theirs);
    assert.deepEqual(
      ours.map((f) => f.name),
      ['node_btrfs_device_errors_total', 'node_btrfs_device_size_bytes', 'node_btrfs_device_unused_bytes'],
    );
    const sizes = ours.find((f) => f.name === 'node_btrfs_device_size_bytes')!.samples;
    assert.deepEqual(sizes.map((s) => s.labels['device']).sort(), loops.map((l) => path.basename(l)).sort());
    assert.ok(sizes.every((s) => /^[0-9a-f]{8}-/.test(s.labels['btrfs_dev_uuid'] ?? '') && s.value === 300 * 1024 * 1024));
  } finally {
    for (const loop of loops) await runProcess('losetup', ['--detach', loop], { timeoutMs: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  }
});
