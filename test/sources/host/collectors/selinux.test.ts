import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { findSelinuxfs, parseEnforce, readSelinuxState, selinuxConfigValue, type SelinuxfsCheck } from '../../../../src/sources/host/sysfs/selinux.ts';

// e2e-output.txt has no selinux families (node_exporter's e2e run disables it), so these small trees are the reference.

/** Stands in for the statfs magic check: only the given directory counts as a writable selinuxfs. */
const selinuxfsAt =
  (dir: string): SelinuxfsCheck =>
  async (mnt) =>
    path.resolve(mnt) === path.resolve(dir);

function selinuxTree(files: Record<string, string> = {}): { root: string; paths: { sysfs: string; procfs: string; rootfs: string } } {
  const root = makeTree({
    'sys/fs/selinux/enforce': '1',
    'proc/self/attr/current': 'system_u:system_r:init_t:s0\0',
    'etc/selinux/config': '# comment\nSELINUX="permissive"\nSELINUXTYPE=targeted\n',
    ...files,
  });
  return { root, paths: { sysfs: `${root}/sys`, procfs: `${root}/proc`, rootfs: root } };
}

test('selinux reports disabled, with success, on a box without selinuxfs', async () => {
  const run = await runCollectors(['selinux'], treeFlags(makeTree({})));
  assert.equal(run.success.get('selinux'), 1);
  assert.equal(run.text.includes('node_selinux_enabled 0\n'), true);
  assert.equal(run.byName.has('node_selinux_current_mode'), false);
});

test('readSelinuxState reads the configured and current modes when selinuxfs is mounted', async () => {
  const { root, paths } = selinuxTree();
  assert.deepEqual(await readSelinuxState(paths, selinuxfsAt(`${root}/sys/fs/selinux`)), { enabled: true, configMode: 0, currentMode: 1 });
});

test('a process labelled "kernel" means SELinux is disabled', async () => {
  const { root, paths } = selinuxTree({ 'proc/self/attr/current': 'kernel\0' });
  assert.deepEqual(await readSelinuxState(paths, selinuxfsAt(`${root}/sys/fs/selinux`)), { enabled: false });
});

test('selinuxfs elsewhere is found through /proc/self/mountinfo when /proc/filesystems lists it', async () => {
  const { root, paths } = selinuxTree({ 'proc/filesystems': 'nodev\tsysfs\nnodev\tselinuxfs\n' });
  const elsewhere = `${root}/other`;
  writeFileSync(`${root}/proc/self/mountinfo`, `22 1 0:21 / ${elsewhere} rw,relatime shared:7 - selinuxfs selinuxfs rw\n`);
  assert.equal(await findSelinuxfs(paths, selinuxfsAt(elsewhere)), elsewhere);
});

test('garbled enforce and config files give go-selinux values, not failures', async () => {
  assert.equal(parseEnforce('1\n'), -1);
  assert.equal(parseEnforce(undefined), -1);
  assert.equal(parseEnforce('0'), 0);
  assert.equal(selinuxConfigValue('SELINUX=enforcing\n', 'SELINUX'), 'enforcing');
  assert.equal(selinuxConfigValue('; SELINUX=enforcing\n', 'SELINUX'), '');
  const { root, paths } = selinuxTree({ 'sys/fs/selinux/enforce': 'garbage', 'etc/selinux/config': 'SELINUX\n' });
  assert.deepEqual(await readSelinuxState(paths, selinuxfsAt(`${root}/sys/fs/selinux`)), { enabled: true, configMode: -1, currentMode: -1 });
});
