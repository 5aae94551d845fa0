import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNfsServerStats } from '../../../../src/sources/host/procfs/nfs.ts';

test('nfsd matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('nfsd');
});

test('parseNfsServerStats reads every line of the fixture', () => {
  const s = parseNfsServerStats(fixtureText('proc/net/rpc/nfsd'));
  assert.deepEqual(s.replyCache, { hits: 0, misses: 6, noCache: 18622 });
  assert.deepEqual(s.io, { read: 157286400, write: 72864 });
  // th ends in a histogram of floats that is not parsed.
  assert.deepEqual(s.threads, { threads: 8, fullCount: 0 });
  assert.equal(s.readAheadCache.cacheSize, 32);
  assert.deepEqual(s.network, { netCount: 972, udpCount: 55, tcpCount: 917, tcpConnect: 1 });
  assert.deepEqual(s.rpc, { rpcCount: 18628, badCount: 3, badFormat: 1, badAuth: 2, badClient: 0 });
  assert.deepEqual(s.v4, { null: 2, compound: 10853 });
  assert.equal(s.v4Ops['Access'], 1098);
  assert.equal(s.v4Ops['GetAttr'], 8179);
  assert.equal(s.wdelegGetattr, 15);
});

test('parseNfsServerStats accepts a 39-operation proc4ops line (kernels before 2.6)', () => {
  const ops = Array.from({ length: 39 }, (_, i) => i + 1).join(' ');
  const s = parseNfsServerStats(`proc4ops 39 ${ops}\n`);
  assert.equal(s.v4Ops['Write'], 39);
  assert.equal(s.v4Ops['RelLockOwner'], 0);
  assert.throws(() => parseNfsServerStats('proc4ops 3 1 2 3\n'), /at least 39/);
});

test('parseNfsServerStats rejects garbled lines with the file named', () => {
  assert.throws(() => parseNfsServerStats('rc 0 6\n', '/x/nfsd'), /\/x\/nfsd: invalid rc line/);
  assert.throws(() => parseNfsServerStats('th 8\n'), /invalid line "th 8"/);
  assert.throws(() => parseNfsServerStats('proc4 3 1 2 3\n'), /invalid proc4 line/);
  assert.throws(() => parseNfsServerStats('io 1 -2\n'), /unsigned integer/);
});

test('without /proc/net/rpc/nfsd the nfsd collector emits nothing and reports failure, as node_exporter', async () => {
  const root = makeTree({ 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' });
  const run = await runCollectors(['nfsd', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('nfsd'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.ok(![...run.byName.keys()].some((n) => n.startsWith('node_nfsd_')));
});

test('a garbled /proc/net/rpc/nfsd fails only the nfsd collector', async () => {
  const garbled = fixtureText('proc/net/rpc/nfsd').replace('io 157286400 72864', 'io 157286400 7x864');
  const root = makeTree({ 'proc/net/rpc/nfsd': garbled, 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' });
  const run = await runCollectors(['nfsd', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('nfsd'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_nfsd_requests_total'), undefined);
});
