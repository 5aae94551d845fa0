import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { parseDiskstats } from '../../../../src/sources/host/procfs/diskstats.ts';
import { parseUdevData } from '../../../../src/sources/host/sysfs/udev-data.ts';
import { DEFAULT_DEVICE_EXCLUDE } from '../../../../src/sources/host/collectors/diskstats.ts';

test('diskstats matches node_exporter on the fixtures (udev info, device mapper, ATA, filesystem info)', async () => {
  await assertMatchesE2E('diskstats');
});

test('parseDiskstats keeps 11, 15 or 17 counters and skips short lines', () => {
  const stats = parseDiskstats(fixtureText('proc/diskstats'));
  const by = new Map(stats.map((s) => [s.device, s]));
  assert.equal(by.get('sda')!.counters.length, 11);
  assert.equal(by.get('sdb')!.counters.length, 15);
  assert.equal(by.get('sdc')!.counters.length, 17);
  assert.deepEqual(parseDiskstats('   8       0 sda 1 2 3\n'), []);
  assert.throws(() => parseDiskstats('   8       0 sda 1 2 x 4 5 6 7 8 9 10 11\n'), /field 6 is not a number/);
});

test("the default exclude is node_exporter's: partitions, ram, loop and fd go, whole disks stay", () => {
  const re = new RegExp(DEFAULT_DEVICE_EXCLUDE);
  for (const ignored of ['ram0', 'zram1', 'loop7', 'fd0', 'sda1', 'vda2', 'xvda1', 'hdb3', 'nvme0n1p2']) assert.ok(re.test(ignored), ignored);
  for (const kept of ['sda', 'nvme0n1', 'dm-0', 'mmcblk0', 'mmcblk0p1', 'md0', 'sr0']) assert.ok(!re.test(kept), kept);
});

test('parseUdevData reads only E: properties', () => {
  const p = parseUdevData('S:disk/by-id/x\nE:ID_MODEL=Disk\nE:ID_FS_VERSION=LVM2 001\nE:BROKEN\n');
  assert.deepEqual(
    [...p],
    [
      ['ID_MODEL', 'Disk'],
      ['ID_FS_VERSION', 'LVM2 001'],
    ],
  );
});

test('device-include replaces the default exclude; without udev data the info labels are empty', async () => {
  const run = await runOnFixtures(['diskstats'], ['--collector.diskstats.device-include=^sda1$', '--path.udev.data=/nonexistent']);
  assert.equal(run.success.get('diskstats'), 1);
  assert.deepEqual(
    run.byName.get('node_disk_info')!.samples.map((s) => [s.labels['device'], s.labels['model']]),
    [['sda1', '']],
  );
  const both = await runOnFixtures(['diskstats'], ['--collector.diskstats.device-include=^sda1$', '--collector.diskstats.device-exclude=^sdb$']);
  assert.equal(both.success.get('diskstats'), 0);
});

test('a garbled /proc/diskstats fails only the diskstats collector', async () => {
  const root = makeTree({ 'proc/diskstats': fixtureText('proc/diskstats').replace('sda 25354637', 'sda 2535x637'), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['diskstats', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('diskstats'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_disk_info'), undefined);
});
