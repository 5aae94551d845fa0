import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { createLogger } from '../../../src/log.ts';
import type { MetricFamily } from '../../../src/model/family.ts';
import type { CollectorContext, HostPaths } from '../../../src/sources/host/collector.ts';
import { createFilesystemCollector, filesystem } from '../../../src/sources/host/filesystem.ts';
import { StuckMounts, MOUNT_TIMEOUT_ERROR, type StatfsFn, type StatfsResult } from '../../../src/sources/host/filesystem-statfs.ts';
import { OptionValues, type OptionValue } from '../../../src/sources/host/options.ts';
import { FIXTURE_PATHS } from '../../helpers/fixtures.ts';
import { fixtureText, makeTree, runCollectors, treeFlags } from '../../helpers/host.ts';

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
  return { statfs, calls, hang: (mp: string) => hanging.add(mp), release };
}

test('mounts come from <procfs>/1/mountinfo with node_exporter\'s default pseudo-filesystem and mount point excludes', async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const families = await createFilesystemCollector(context(FIXTURE_PATHS), { statfs: fake.statfs, stuck: new StuckMounts() }).collect();
  const mounts = samplesOf(families, 'node_filesystem_device_error').map(([mp]) => mp).sort();
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
  assert.deepEqual(samplesOf(families, 'node_filesystem_size_bytes').find(([mp]) => mp === '/'), ['/', 4096 * 1000, '']);
  assert.deepEqual(samplesOf(families, 'node_filesystem_avail_bytes').find(([mp]) => mp === '/'), ['/', 4096 * 300, '']);
  // A statfs error is reported in the device_error label with Go's errno text, and only error/readonly are emitted.
  assert.deepEqual(samplesOf(families, 'node_filesystem_device_error').find(([mp]) => mp === '/boot'), ['/boot', 1, 'permission denied']);
  assert.equal(samplesOf(families, 'node_filesystem_size_bytes').find(([mp]) => mp === '/boot'), undefined);
  const info = families.find((f) => f.name === 'node_filesystem_mount_info')!.samples.find((s) => s.labels['mountpoint'] === '/')!;
  assert.deepEqual(info.labels, { device: '/dev/dm-2', major: '259', minor: '2', mountpoint: '/' });
});

test('a hung statfs is abandoned after mount-timeout, reported as device_error, and not called again while stuck', async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const stuck = new StuckMounts();
  const collector = createFilesystemCollector(context(FIXTURE_PATHS, { 'collector.filesystem.mount-timeout': '150ms' }), { statfs: fake.statfs, stuck });
  fake.hang('/run/user/1000/gvfs');

  const started = Date.now();
  const first = await collector.collect();
  assert.ok(Date.now() - started < 2000, 'the collection must not wait for the hung mount');
  assert.deepEqual(samplesOf(first, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'), ['/run/user/1000/gvfs', 1, MOUNT_TIMEOUT_ERROR]);
  assert.equal(samplesOf(first, 'node_filesystem_size_bytes').find(([mp]) => mp === '/run/user/1000/gvfs'), undefined);
  assert.ok(samplesOf(first, 'node_filesystem_size_bytes').some(([mp]) => mp === '/'), 'other mounts are still measured');

  const again = Date.now();
  const second = await collector.collect();
  assert.ok(Date.now() - again < 100, 'a known stuck mount costs no waiting');
  assert.equal(fake.calls.get('/run/user/1000/gvfs'), 1, 'no second statfs on a stuck mount');
  assert.deepEqual(samplesOf(second, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'), ['/run/user/1000/gvfs', 1, MOUNT_TIMEOUT_ERROR]);

  fake.release('/run/user/1000/gvfs');
  await new Promise((r) => setImmediate(r));
  assert.equal(stuck.size, 0, 'the mount recovers when its call returns');
  const third = await collector.collect();
  assert.equal(fake.calls.get('/run/user/1000/gvfs'), 2);
  assert.deepEqual(samplesOf(third, 'node_filesystem_device_error').find(([mp]) => mp === '/run/user/1000/gvfs'), ['/run/user/1000/gvfs', 0, '']);
});

test('include filters replace the default excludes; include with a changed exclude is an error', async () => {
  const fake = controllableStatfs(FIXTURE_PATHS.rootfs);
  const onlySys = await createFilesystemCollector(context(FIXTURE_PATHS, { 'collector.filesystem.mount-points-include': '^/sys/fs/cgroup$', 'collector.filesystem.fs-types-include': '^tmpfs$' }), { statfs: fake.statfs, stuck: new StuckMounts() }).collect();
  assert.deepEqual(samplesOf(onlySys, 'node_filesystem_device_error').map(([mp]) => mp), ['/sys/fs/cgroup']);
  assert.deepEqual(samplesOf(onlySys, 'node_filesystem_readonly').map(([, v]) => v), [1]);
  await assert.rejects(
    createFilesystemCollector(context(FIXTURE_PATHS, { 'collector.filesystem.fs-types-include': 'ext4', 'collector.filesystem.fs-types-exclude': 'xfs' }), { statfs: fake.statfs }).collect(),
    /mutually exclusive/,
  );
});

test('without <procfs>/1/mountinfo the collector falls back to self/mountinfo', async () => {
  const root = makeTree({ 'proc/self/mountinfo': '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/dm-2 rw\n' });
  const fake = controllableStatfs(root);
  const families = await createFilesystemCollector(context({ ...FIXTURE_PATHS, procfs: `${root}/proc`, rootfs: root }), { statfs: fake.statfs, stuck: new StuckMounts() }).collect();
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
  const root = makeTree({ 'proc/1/mountinfo': fixtureText('proc/1/mountinfo').replace('29 1 259:2 / / rw,relatime shared:1 - ext4', '29 1 259:2 / / rw,relatime shared:1 ext4'), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['filesystem', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('filesystem'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_filesystem_device_error'), undefined);
});
