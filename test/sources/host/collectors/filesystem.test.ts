import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { createLogger } from '../../../../src/log.ts';
import type { MetricFamily } from '../../../../src/model/family.ts';
import type { CollectorContext, HostPaths } from '../../../../src/sources/host/machinery/collector.ts';
import { createFilesystemCollector, filesystem, HANG_PRONE_FS_TYPES } from '../../../../src/sources/host/collectors/filesystem.ts';
import {
  Lanes,
  MOUNT_TIMEOUT_ERROR,
  StuckMounts,
  THREADPOOL_STATFS_LANES,
  THREADPOOL_STUCK_LIMIT,
  threadpoolStatfs,
  type StatfsFn,
  type StatfsResult,
} from '../../../../src/sources/host/machinery/filesystem-statfs.ts';
import { StatfsWorkerPool } from '../../../../src/sources/host/machinery/statfs-worker-pool.ts';
import { OptionValues, type OptionValue } from '../../../../src/config/option-values.ts';
import { FIXTURE_PATHS } from '../../../helpers/fixtures.ts';
import { fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { waitFor } from '../../../helpers/wait.ts';
import { gatedWorkers } from '../gated-statfs-workers.ts';

const FAKE: StatfsResult = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 50, ffree: 20 };

function context(paths: HostPaths, overrides: Record<string, OptionValue> = {}): CollectorContext {
  return { paths, options: new OptionValues(filesystem.options, new Map(Object.entries(overrides))), log: createLogger({ test: 'filesystem' }) };
}

function samplesOf(families: MetricFamily[], name: string): Array<[string, number, string]> {
  const f = families.find((x) => x.name === name);
  return (f?.samples ?? []).map((s) => [s.labels['mountpoint']!, s.value, s.labels['device_error']!]);
}

/** A statfs whose answers the test controls: `hang` holds calls for a mount point until released. */
function controllableStatfs(rootfs: string) {
  const calls = new Map<string, number>();
  const hung = new Map<string, Array<(r: StatfsResult) => void>>();
  const hanging = new Set<string>();
  const statfs: StatfsFn = (p) => {
    const mp = p.slice(rootfs.length) || '/';
    calls.set(mp, (calls.get(mp) ?? 0) + 1);
    if (hanging.has(mp)) return new Promise((resolve) => hung.set(mp, [...(hung.get(mp) ?? []), resolve]));
    if (mp === '/boot') return Promise.reject(Object.assign(new Error(`EACCES: permission denied, statfs '${p}'`), { code: 'EACCES' }));
    return Promise.resolve(FAKE);
  };
  const release = (mp: string): void => {
    hanging.delete(mp);
    for (const r of hung.get(mp) ?? []) r(FAKE);
    hung.delete(mp);
  };
  /** Calls made and not answered yet. */
  const pending = (): number => [...hung.values()].reduce((n, rs) => n + rs.length, 0);
  return { statfs, calls, hang: (mp: string) => hanging.add(mp), release, pending };
}

/** A tree whose init mountinfo lists `mounts` ([mount point, fs type]), each an existing directory under the tree. */
function mountTree(mounts: ReadonlyArray<readonly [string, string]>): { root: string; paths: HostPaths } {
  const lines = mounts.map(([mp, type], i) => `${30 + i} 1 0:${40 + i} / ${mp} rw,relatime shared:1 - ${type} dev${i} rw\n`);
  const files: Record<string, string> = { 'proc/1/mountinfo': lines.join('') };
  for (const [mp] of mounts) files[`${mp.slice(1)}/.mount`.replace(/^\//, '')] = '';
  const root = makeTree(files);
  return { root, paths: { ...FIXTURE_PATHS, procfs: `${root}/proc`, rootfs: root } };
}

/** statfs that records which mount points it was asked for. */
function recording(statfs: StatfsFn, rootfs: string): { statfs: StatfsFn; seen: string[] } {
  const seen: string[] = [];
  return { seen, statfs: (p, t) => (seen.push(p.slice(rootfs.length) || '/'), statfs(p, t)) };
}

test("mounts come from <procfs>/1/mountinfo with node_exporter's default pseudo-filesystem and mount point excludes", async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const families = await createFilesystemCollector(context(FIXTURE_PATHS), { statfs: fake.statfs, stuck: new StuckMounts() }).collect();
  const mounts = samplesOf(families, 'node_filesystem_device_error')
    .map(([mp]) => mp)
    .sort();
  assert.deepEqual(mounts, [
    '/',
    '/boot',
    '/run',
    '/run/lock',
    '/run/user/1000',
    '/run/user/1000/gvfs',
    '/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore]\tbafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk',
    '/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore] bafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk',
  ]);
  assert.deepEqual(
    samplesOf(families, 'node_filesystem_size_bytes').find(([mp]) => mp === '/'),
    ['/', 4096 * 1000, ''],
  );
  assert.deepEqual(
    samplesOf(families, 'node_filesystem_avail_bytes').find(([mp]) => mp === '/'),
    ['/', 4096 * 300, ''],
  );
  // A statfs error is reported in the device_error label with Go's errno text, and only error/readonly are emitted.
  assert.deepEqual(
    samplesOf(families, 'node_filesystem_device_error').find(([mp]) => mp === '/boot'),
    ['/boot', 1, 'permission denied'],
  );
  assert.equal(
    samplesOf(families, 'node_filesystem_size_bytes').find(([mp]) => mp === '/boot'),
    undefined,
  );
  const info = families.find((f) => f.name === 'node_filesystem_mount_info')!.samples.find((s) => s.labels['mountpoint'] === '/')!;
  assert.deepEqual(info.labels, { device: '/dev/dm-2', major: '259', minor: '2', mountpoint: '/' });
});

test('a hung statfs is abandoned after mount-timeout, reported as device_error, and not called again while stuck', async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const stuck = new StuckMounts();
  const collector = createFilesystemCollector(context(FIXTURE_PATHS, { 'collector.filesystem.mount-timeout': '2s' }), { statfs: fake.statfs, stuck });
  fake.hang('/run/user/1000/gvfs');

  // The hung call never answers until released: that collect() returns at all shows it gave up on it.
  const first = await collector.collect();
  assert.deepEqual(
    samplesOf(first, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'),
    ['/run/user/1000/gvfs', 1, MOUNT_TIMEOUT_ERROR],
  );
  assert.equal(
    samplesOf(first, 'node_filesystem_size_bytes').find(([mp]) => mp === '/run/user/1000/gvfs'),
    undefined,
  );
  assert.ok(
    samplesOf(first, 'node_filesystem_size_bytes').some(([mp]) => mp === '/'),
    'other mounts are still measured',
  );

  const again = Date.now();
  const second = await collector.collect();
  // Under the mount timeout: a stuck mount is not waited for again.
  assert.ok(Date.now() - again < 2000, 'a known stuck mount costs no waiting');
  assert.equal(fake.calls.get('/run/user/1000/gvfs'), 1, 'no second statfs on a stuck mount');
  assert.deepEqual(
    samplesOf(second, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'),
    ['/run/user/1000/gvfs', 1, MOUNT_TIMEOUT_ERROR],
  );

  fake.release('/run/user/1000/gvfs');
  await new Promise((r) => setImmediate(r));
  assert.equal(stuck.size, 0, 'the mount recovers when its call returns');
  const third = await collector.collect();
  assert.equal(fake.calls.get('/run/user/1000/gvfs'), 2);
  assert.deepEqual(
    samplesOf(third, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'),
    ['/run/user/1000/gvfs', 0, ''],
  );
});

test('include filters replace the default excludes; include with a changed exclude is an error', async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const onlySys = await createFilesystemCollector(
    context(FIXTURE_PATHS, { 'collector.filesystem.mount-points-include': '^/sys/fs/cgroup$', 'collector.filesystem.fs-types-include': '^tmpfs$' }),
    { statfs: fake.statfs, stuck: new StuckMounts() },
  ).collect();
  assert.deepEqual(
    samplesOf(onlySys, 'node_filesystem_device_error').map(([mp]) => mp),
    ['/sys/fs/cgroup'],
  );
  assert.deepEqual(
    samplesOf(onlySys, 'node_filesystem_readonly').map(([, v]) => v),
    [1],
  );
  await assert.rejects(
    createFilesystemCollector(context(FIXTURE_PATHS, { 'collector.filesystem.fs-types-include': 'ext4', 'collector.filesystem.fs-types-exclude': 'xfs' }), {
      statfs: fake.statfs,
    }).collect(),
    /mutually exclusive/,
  );
});

test('without <procfs>/1/mountinfo the collector falls back to self/mountinfo', async () => {
  const root = makeTree({ 'proc/self/mountinfo': '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/dm-2 rw\n' });
  const fake = controllableStatfs(root);
  const families = await createFilesystemCollector(context({ ...FIXTURE_PATHS, procfs: `${root}/proc`, rootfs: root }), {
    statfs: fake.statfs,
    stuck: new StuckMounts(),
  }).collect();
  assert.deepEqual(samplesOf(families, 'node_filesystem_size_bytes'), [['/', 4096000, '']]);
});

test('on this machine the root filesystem size matches statfs(2)', async () => {
  const run = await runCollectors(['filesystem'], ['--path.procfs=/proc', '--path.sysfs=/sys', '--path.rootfs=/']);
  assert.equal(run.success.get('filesystem'), 1);
  const root = run.byName.get('node_filesystem_size_bytes')?.samples.find((s) => s.labels['mountpoint'] === '/');
  assert.ok(root, 'the root filesystem is reported');
  const s = statfsSync('/');
  assert.equal(root.value, s.blocks * s.bsize);
  assert.equal(root.labels['device_error'], '');
});

test('a garbled mountinfo fails only the filesystem collector', async () => {
  const root = makeTree({
    'proc/1/mountinfo': fixtureText('proc/1/mountinfo').replace('29 1 259:2 / / rw,relatime shared:1 - ext4', '29 1 259:2 / / rw,relatime shared:1 ext4'),
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['filesystem', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('filesystem'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_filesystem_device_error'), undefined);
});

test('network, cluster, FUSE and automount filesystem types are the hang-prone ones; disk and memory filesystems are not', () => {
  for (const t of [
    'nfs',
    'nfs4',
    'cifs',
    'smb3',
    'ceph',
    'glusterfs',
    '9p',
    'lustre',
    'gpfs',
    'beegfs',
    'davfs',
    'afs',
    'autofs',
    'fuse',
    'fuseblk',
    'fuse.sshfs',
    'fuse.gvfsd-fuse',
  ])
    assert.ok(HANG_PRONE_FS_TYPES.test(t), t);
  for (const t of ['ext4', 'xfs', 'btrfs', 'tmpfs', 'overlay', 'vfat', 'zfs', 'ramfs', 'nfsd', 'fusectl', 'ext2']) assert.ok(!HANG_PRONE_FS_TYPES.test(t), t);
});

test('a box with only local filesystems never starts a statfs worker', async () => {
  const { root, paths } = mountTree([
    ['/', 'ext4'],
    ['/data', 'xfs'],
    ['/srv', 'btrfs'],
    ['/run', 'tmpfs'],
    ['/boot/efi', 'vfat'],
  ]);
  const pool = new StatfsWorkerPool();
  try {
    const families = await createFilesystemCollector(context(paths), {
      isolatedStatfs: pool.statfs,
      stuck: new StuckMounts(),
      threadpoolLanes: new Lanes(THREADPOOL_STATFS_LANES),
    }).collect();
    assert.deepEqual(
      samplesOf(families, 'node_filesystem_device_error').map(([mp, v]) => [mp, v]),
      [
        ['/', 0],
        ['/data', 0],
        ['/srv', 0],
        ['/run', 0],
        ['/boot/efi', 0],
      ],
    );
    const s = statfsSync(`${root}/data`);
    assert.deepEqual(
      samplesOf(families, 'node_filesystem_size_bytes').find(([mp]) => mp === '/data'),
      ['/data', s.blocks * s.bsize, ''],
    );
    assert.equal(pool.workersCreated, 0);
  } finally {
    await pool.close();
  }
});

test('several healthy network and FUSE mounts share one statfs worker; local mounts stay on the threadpool', async () => {
  const { root, paths } = mountTree([
    ['/', 'ext4'],
    ['/mnt/nfs', 'nfs4'],
    ['/mnt/smb', 'cifs'],
    ['/mnt/ssh', 'fuse.sshfs'],
    ['/mnt/ntfs', 'fuseblk'],
    ['/mnt/ceph', 'ceph'],
  ]);
  const pool = new StatfsWorkerPool();
  const local = recording(threadpoolStatfs, root);
  try {
    const families = await createFilesystemCollector(context(paths), {
      threadpoolStatfs: local.statfs,
      isolatedStatfs: pool.statfs,
      stuck: new StuckMounts(),
      threadpoolLanes: new Lanes(THREADPOOL_STATFS_LANES),
    }).collect();
    assert.deepEqual(
      samplesOf(families, 'node_filesystem_device_error').map(([mp, v]) => [mp, v]),
      [
        ['/', 0],
        ['/mnt/nfs', 0],
        ['/mnt/smb', 0],
        ['/mnt/ssh', 0],
        ['/mnt/ntfs', 0],
        ['/mnt/ceph', 0],
      ],
    );
    const s = statfsSync(`${root}/mnt/ssh`);
    assert.deepEqual(
      samplesOf(families, 'node_filesystem_files').find(([mp]) => mp === '/mnt/ssh'),
      ['/mnt/ssh', s.files, ''],
    );
    assert.deepEqual(local.seen, ['/']);
    assert.equal(pool.workersCreated, 1);
  } finally {
    await pool.close();
  }
});

test('a hung network mount costs one worker: the other mounts are served by a fresh one, however long it takes to start; the hung one is not called again until it answers', async () => {
  const { root, paths } = mountTree([
    ['/mnt/hang', 'nfs'],
    ['/mnt/a', 'nfs'],
    ['/mnt/b', 'cifs'],
    ['/mnt/c', 'fuse.sshfs'],
  ]);
  // The replacement worker finishes starting only after the hung call's mount timeout, as an isolate
  // can on a busy box: the mounts queued for it must not be charged for that wait.
  const w = gatedWorkers({ slowStartFrom: 1 });
  const pool = new StatfsWorkerPool({ spawnWorker: w.spawnWorker });
  const isolated = recording(pool.statfs, root);
  const stuck = new StuckMounts();
  // Generous: once started, a healthy call answers in well under a quarter of it (the stall threshold) even on a loaded machine.
  const collector = createFilesystemCollector(context(paths, { 'collector.filesystem.mount-timeout': '4s' }), {
    isolatedStatfs: isolated.statfs,
    stuck,
    threadpoolLanes: new Lanes(THREADPOOL_STATFS_LANES),
  });
  const errors = (families: MetricFamily[]): Array<[string, string]> => samplesOf(families, 'node_filesystem_device_error').map(([mp, , e]) => [mp, e]);
  try {
    const collecting = collector.collect();
    await waitFor('the hung mount to time out', () => stuck.has('/mnt/hang'));
    w.finishStarts();
    const first = await collecting;
    assert.deepEqual(errors(first), [
      ['/mnt/hang', MOUNT_TIMEOUT_ERROR],
      ['/mnt/a', ''],
      ['/mnt/b', ''],
      ['/mnt/c', ''],
    ]);
    assert.deepEqual(
      samplesOf(first, 'node_filesystem_size_bytes').find(([mp]) => mp === '/mnt/a'),
      ['/mnt/a', `${root}/mnt/a`.length, ''],
    );
    assert.equal(pool.workersStuck, 1);
    await waitFor('one worker serving beside the stuck one', () => w.alive() === 2);

    const second = await collector.collect();
    assert.deepEqual(errors(second), [
      ['/mnt/hang', MOUNT_TIMEOUT_ERROR],
      ['/mnt/a', ''],
      ['/mnt/b', ''],
      ['/mnt/c', ''],
    ]);
    assert.equal(isolated.seen.filter((mp) => mp === '/mnt/hang').length, 1, 'a stuck mount is not called again');
    await waitFor('a stuck mount to cost no further worker', () => w.alive() === 2);

    w.release();
    await waitFor('the hung mount to recover', () => stuck.size === 0);
    const third = await collector.collect();
    assert.deepEqual(errors(third), [
      ['/mnt/hang', ''],
      ['/mnt/a', ''],
      ['/mnt/b', ''],
      ['/mnt/c', ''],
    ]);
    assert.equal(isolated.seen.filter((mp) => mp === '/mnt/hang').length, 2);
    await waitFor('the recovered worker to end, one worker left', () => w.alive() === 1);
  } finally {
    w.release();
    w.finishStarts();
    await pool.close();
  }
});

test(`once ${THREADPOOL_STUCK_LIMIT} threadpool statfs calls are stuck, local mounts go to worker threads too, and at most ${THREADPOOL_STATFS_LANES} run on the threadpool at once`, async () => {
  const mounts = [
    ['/h1', 'ext4'],
    ['/h2', 'xfs'],
    ['/h3', 'ext4'],
    ['/h4', 'btrfs'],
    ['/ok', 'tmpfs'],
  ] as const;
  const { root, paths } = mountTree(mounts);
  const local = controllableStatfs(root);
  let mostPending = 0;
  const threadpool: StatfsFn = (p) => {
    const call = local.statfs(p);
    mostPending = Math.max(mostPending, local.pending());
    return call;
  };
  const isolated = controllableStatfs(root);
  const stuck = new StuckMounts();
  const collector = createFilesystemCollector(context(paths, { 'collector.filesystem.mount-timeout': '150ms' }), {
    threadpoolStatfs: threadpool,
    isolatedStatfs: isolated.statfs,
    stuck,
    threadpoolLanes: new Lanes(THREADPOOL_STATFS_LANES),
  });
  for (const [mp] of mounts.slice(0, 4)) local.hang(mp);

  const first = await collector.collect();
  // /h1 and /h2 hang on both lanes; when /h1 times out, one stuck call is under the limit, so /h3 may take its lane;
  // once /h2 times out too, /h4 and /ok go to a worker.
  assert.deepEqual([...local.calls.keys()].slice(0, 2), ['/h1', '/h2']);
  assert.ok(!local.calls.has('/h4') && !local.calls.has('/ok'), `threadpool calls: ${[...local.calls.keys()]}`);
  assert.ok(mostPending <= THREADPOOL_STUCK_LIMIT - 1 + THREADPOOL_STATFS_LANES && mostPending < 4, `at most 3 of libuv's 4 threads hung, got ${mostPending}`);
  assert.ok(stuck.onThreadpool >= THREADPOOL_STUCK_LIMIT);
  assert.ok(isolated.calls.has('/h4') && isolated.calls.has('/ok'));
  assert.deepEqual(
    samplesOf(first, 'node_filesystem_device_error').map(([mp, v]) => [mp, v]),
    [
      ['/h1', 1],
      ['/h2', 1],
      ['/h3', local.calls.has('/h3') ? 1 : 0],
      ['/h4', 0],
      ['/ok', 0],
    ],
  );

  for (const [mp] of mounts) local.release(mp);
  await waitFor('the threadpool calls to return', () => stuck.size === 0);
  const localBefore = new Map(local.calls);
  const isolatedBefore = [...isolated.calls.values()].reduce((a, b) => a + b, 0);
  const second = await collector.collect();
  assert.deepEqual(
    samplesOf(second, 'node_filesystem_device_error').map(([mp, v]) => [mp, v]),
    mounts.map(([mp]) => [mp, 0]),
  );
  assert.deepEqual(
    mounts.map(([mp]) => (local.calls.get(mp) ?? 0) - (localBefore.get(mp) ?? 0)),
    [1, 1, 1, 1, 1],
    'with no stuck calls left, every local mount is back on the threadpool',
  );
  assert.equal(
    [...isolated.calls.values()].reduce((a, b) => a + b, 0),
    isolatedBefore,
  );
});
