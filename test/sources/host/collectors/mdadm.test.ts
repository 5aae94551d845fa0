import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText } from '../../../helpers/host.ts';
import { parseMdStat } from '../../../../src/sources/host/procfs/mdstat.ts';
import { parseRaidDisks, readMdraids } from '../../../../src/sources/host/sysfs/mdraid.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('mdadm matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('mdadm');
});

test('parseMdStat reads states, disk counts and sync progress', () => {
  const byName = new Map(parseMdStat(fixtureText('proc/mdstat')).map((m) => [m.name, m]));
  assert.equal(byName.size, 17);
  assert.deepEqual(byName.get('md6'), {
    name: 'md6',
    type: 'raid1',
    activityState: 'recovering',
    disksActive: 1,
    disksTotal: 2,
    disksFailed: 1,
    disksDown: 1,
    disksSpare: 1,
    blocksTotal: 195310144,
    blocksSynced: 16775552,
    blocksToBeSynced: 195310144,
  });
  assert.equal(byName.get('md11')!.type, 'raid1'); // after "(auto-read-only)"
  assert.equal(byName.get('md9')!.blocksSynced, 0); // resync=DELAYED
  assert.equal(byName.get('md7')!.activityState, 'active'); // bitmap line skipped
  assert.deepEqual([byName.get('md120')!.disksActive, byName.get('md120')!.disksTotal], [2, 2]); // linear: counts [n]
  assert.equal(byName.get('md219')!.type, 'unknown');
});

test('parseMdStat rejects a device without its status lines', () => {
  assert.throws(() => parseMdStat('Personalities : [raid1]\nmd0 : active raid1 sda[0]\n'), /too few lines/);
});

test('readMdraids reads raid_disks and degraded where the level has them', async () => {
  const raids = await readMdraids(FIXTURE_SYS);
  assert.deepEqual(
    raids.map((r) => [r.device, r.level, r.disks, r.degradedDisks]),
    [
      ['md0', 'raid0', 2, 0],
      ['md1', 'raid1', 2, 0],
      ['md10', 'raid10', 4, 0],
      ['md4', 'raid4', 3, 0],
      ['md5', 'raid5', 3, 1],
      ['md6', 'raid6', 4, 1],
    ],
  );
  assert.equal(raids[5]!.syncCompleted, 1569888 / 2093056);
  assert.equal(parseRaidDisks('11 (10)'), 11);
  assert.equal(parseRaidDisks('?'), undefined);
});

test('mdadm emits nothing without /proc/mdstat', async () => {
  const run = await runOnEmptyTree('mdadm');
  assert.equal(run.success.get('mdadm'), 0);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_md_')).length, 0);
});

test('a truncated /proc/mdstat fails only mdadm', async () => {
  const truncated = fixtureText('proc/mdstat').split('\n').slice(0, 4).join('\n');
  await assertFailsAlone('mdadm', { 'proc/mdstat': truncated });
});
