import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText } from '../../../helpers/host.ts';
import { parseMountStats } from '../../../../src/sources/host/procfs/mountstats.ts';
import { parseMountInfo, parseMountInfoLine } from '../../../../src/sources/host/procfs/mountinfo.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('mountstats matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('mountstats');
});

test('parseMountStats reads plain mounts and NFS blocks (bytes, events, xprt, per-op)', () => {
  const mounts = parseMountStats(fixtureText('proc/10/mountstats'));
  assert.deepEqual(
    mounts.map((m) => [m.device, m.mountPoint, m.fsType, m.nfs !== undefined]),
    [
      ['rootfs', '/', 'rootfs', false],
      ['sysfs', '/sys', 'sysfs', false],
      ['proc', '/proc', 'proc', false],
      ['/dev/sda1', '/', 'ext4', false],
      ['192.168.1.1:/srv/test', '/mnt/nfs/test', 'nfs4', true],
      ['192.168.1.1:/srv/test', '/mnt/nfs/test-dupe', 'nfs4', true],
      ['192.168.1.1:/srv/test', '/mnt/nfs/test-dupe', 'nfs', true],
    ],
  );
  const nfs4 = mounts[4]!.nfs!;
  assert.equal(nfs4.statVersion, '1.1');
  assert.equal(nfs4.ageSeconds, 13968);
  assert.equal(nfs4.opts.get('proto'), 'tcp');
  assert.equal(nfs4.opts.get('hard'), '');
  assert.deepEqual(nfs4.bytes, {
    read: 1207640230,
    write: 0,
    directRead: 0,
    directWrite: 0,
    readTotal: 1210214218,
    writeTotal: 0,
    readPages: 295483,
    writePages: 0,
  });
  assert.equal(nfs4.events.vfsReadPages, 331);
  assert.equal(nfs4.events.pnfsWrite, 0);
  assert.deepEqual(nfs4.transports, [
    {
      protocol: 'tcp',
      port: 832,
      bind: 0,
      connect: 1,
      connectIdleTime: 0,
      idleTimeSeconds: 11n,
      sends: 6428,
      receives: 6428,
      badTransactionIds: 0,
      cumulativeActiveRequests: 12154,
      cumulativeBacklog: 0,
      maximumRpcSlotsUsed: 24,
      cumulativeSendingQueue: 26,
      cumulativePendingQueue: 5726,
    },
  ]);
  assert.deepEqual(
    nfs4.operations.map((o) => o.operation),
    ['NULL', 'READ', 'WRITE'],
  );
  assert.equal(nfs4.operations[1]!.responseMilliseconds, 79386n);
  // udp has no connect fields: its values shift onto tcp's layout.
  const udp = mounts[6]!.nfs!.transports[0]!;
  assert.deepEqual(
    [udp.port, udp.bind, udp.connect, udp.idleTimeSeconds, udp.sends, udp.receives, udp.cumulativePendingQueue],
    [832, 0, 0, 0n, 6428, 6428, 5726],
  );
  // A cumulative time above 2^53 keeps every digit.
  assert.equal(mounts[6]!.nfs!.operations[3]!.queueMilliseconds, 18446743919241604546n);
});

test('parseMountStats: rdma transports take tcp layout without slot fields; statvers 1.0 udp has 7 fields', () => {
  const rdma = Array.from({ length: 20 }, (_, i) => String(i + 1)).join(' ');
  const text = [
    'device s:/a mounted on /a with fstype nfs statvers=1.1',
    `\txprt:\trdma ${rdma}`,
    '\tper-op statistics',
    '',
    'device s:/b mounted on /b with fstype nfs statvers=1.0',
    '\txprt:\tudp 1 2 3 4 5 6 7',
    '\tper-op statistics',
    '',
  ].join('\n');
  const [a, b] = parseMountStats(text);
  const t = a!.nfs!.transports[0]!;
  assert.deepEqual([t.port, t.cumulativeBacklog, t.maximumRpcSlotsUsed, t.cumulativePendingQueue], [1, 10, 0, 0]);
  const u = b!.nfs!.transports[0]!;
  assert.deepEqual([u.bind, u.sends, u.cumulativeBacklog, u.maximumRpcSlotsUsed], [2, 3, 7, 0]);
});

test('parseMountStats rejects what procfs rejects', () => {
  const nfs = (body: string): string => `device s:/a mounted on /a with fstype nfs statvers=1.1\n${body}\n`;
  assert.throws(() => parseMountStats(nfs('\tbytes:\t1 2 3')), /bytes: expected 8 fields, got 3/);
  assert.throws(() => parseMountStats(nfs('\tevents:\t1 2')), /events: expected 27 fields/);
  assert.throws(() => parseMountStats(nfs('\txprt:\ttcp 1 2 3')), /xprt tcp: expected 13 fields/);
  assert.throws(() => parseMountStats(nfs('\txprt:\tsctp 1 2 3')), /unknown protocol "sctp"/);
  assert.throws(() => parseMountStats(nfs('\tage:\tsoon')), /age: expected seconds/);
  assert.throws(() => parseMountStats(nfs('\tper-op statistics\n\tREAD: 1 2 3')), /per-op line/);
  assert.throws(() => parseMountStats(nfs('\tper-op statistics\n\tREAD: 1 2 3 4 5 6 7 x')), /unsigned 64-bit integer, got "x"/);
  assert.throws(() => parseMountStats(nfs('\tbytes:\t1 2 3 4 5 6 7 18446744073709551616')), /unsigned 64-bit/);
  assert.throws(() => parseMountStats('device x mounted at / with fstype ext4\n'), /malformed device line/);
  assert.throws(() => parseMountStats('device x mounted on / with fstype ext4 statvers=1.1\n'), /fstype "ext4" cannot be parsed/);
});

test('parseMountInfo splits on single spaces and reads the superblock options', () => {
  const infos = parseMountInfo(fixtureText('proc/10/mountinfo'));
  assert.equal(infos.length, 7);
  assert.equal(infos[0]!.mountPoint, '', 'a doubled space is an empty field, as in procfs');
  assert.equal(infos[4]!.fsType, 'nfs4');
  assert.equal(infos[4]!.source, '192.168.1.1:/srv/test');
  assert.equal(infos[4]!.superOptions.get('addr'), '192.168.1.1');
  assert.throws(() => parseMountInfoLine('1 2 0:5 / /x rw shared:8 rootfs rootfs rw'), /separator/);
  assert.throws(() => parseMountInfoLine('x 2 0:5 / /x rw shared:8 - rootfs rootfs rw'), /mount ID/);
});

test('mountstats without NFS mounts emits nothing and succeeds', async () => {
  const run = await runOnEmptyTree('mountstats', {
    'proc/self/mountstats': 'device sysfs mounted on /sys with fstype sysfs\n',
    'proc/self/mountinfo': '16 21 0:16 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n',
  });
  assert.equal(run.success.get('mountstats'), 1);
  assert.equal(run.families.filter((f) => f.name.startsWith('node_mountstats_')).length, 0);
});

test('a truncated mountstats or garbled mountinfo fails only mountstats', async () => {
  const stats = fixtureText('proc/10/mountstats');
  const info = fixtureText('proc/10/mountinfo');
  const truncated = stats.slice(0, stats.indexOf('bytes:') + 20);
  await assertFailsAlone('mountstats', { 'proc/self/mountstats': truncated, 'proc/self/mountinfo': info });
  await assertFailsAlone('mountstats', { 'proc/self/mountstats': stats, 'proc/self/mountinfo': info.replace(' - ', ' ') });
  await assertFailsAlone('mountstats', { 'proc/self/mountinfo': info });
});
