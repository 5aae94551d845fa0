import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNfsClientStats } from '../../../../src/sources/host/procfs/nfs.ts';

test('nfs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('nfs');
});

test('parseNfsClientStats reads network, rpc and procedure counters', () => {
  const stats = parseNfsClientStats(fixtureText('proc/net/rpc/nfs'));
  assert.deepEqual(stats.network, { netCount: 70, udpCount: 70, tcpCount: 69, tcpConnect: 45 });
  assert.deepEqual(stats.rpc, { rpcCount: 1218785755, retransmissions: 374636, authRefreshes: 1218815394 });
  assert.equal(stats.v2['Null'], 16);
  assert.equal(stats.v2['FsStat'], 82);
  assert.equal(stats.v3['GetAttr'], 1061909262);
  assert.equal(stats.v3['Commit'], 23729);
  // The fixture's proc4 line has 48 of the 59 counters a recent kernel gives: the rest read 0.
  assert.equal(stats.v4['GetDeviceInfo'], 1);
  assert.equal(stats.v4['LayoutGet'], 90);
  assert.equal(stats.v4['Clone'], 0);
  assert.equal(Object.keys(stats.v4).length, 59);
});

test('parseNfsClientStats rejects counts that disagree with the procN header', () => {
  assert.throws(() => parseNfsClientStats('proc2 18 1 2 3\n'), /proc2.*declares 18 counters, has 3/);
  assert.throws(() => parseNfsClientStats('proc3 3 1 2 3\n'), /proc3.*at least 22/);
});

test('parseNfsClientStats rejects unknown lines, short lines and garbled counters', () => {
  assert.throws(() => parseNfsClientStats('bogus 1 2\n'), /unknown line "bogus"/);
  assert.throws(() => parseNfsClientStats('net\n'), /invalid line/);
  assert.throws(() => parseNfsClientStats('net 70 x 69 45\n'), /net.*unsigned integer, got "x"/);
  assert.throws(() => parseNfsClientStats('rpc 1 2\n'), /rpc line: expected 3 values/);
});

test('without /proc/net/rpc/nfs the nfs collector emits nothing and reports failure, as node_exporter', async () => {
  const root = makeTree({ 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' });
  const run = await runCollectors(['nfs', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('nfs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.ok(![...run.byName.keys()].some((n) => n.startsWith('node_nfs_')));
});

test('a truncated /proc/net/rpc/nfs fails only the nfs collector', async () => {
  const truncated = fixtureText('proc/net/rpc/nfs').slice(0, 80);
  const root = makeTree({ 'proc/net/rpc/nfs': truncated, 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' });
  const run = await runCollectors(['nfs', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('nfs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_nfs_requests_total'), undefined);
});
