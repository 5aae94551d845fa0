import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseSockstat } from '../../../../src/sources/host/procfs/sockstat.ts';
import { pageSizeFromAuxv } from '../../../../src/sources/host/procfs/pagesize.ts';

test('sockstat matches node_exporter on the fixtures (IPv4 and IPv6)', async () => {
  await assertMatchesE2E('sockstat');
});

test('parseSockstat keeps only the keys each protocol has', () => {
  const s = parseSockstat(fixtureText('proc/net/sockstat'));
  assert.equal(s.used, 229);
  assert.deepEqual(s.protocols[0], { protocol: 'TCP', inuse: 4, orphan: 0, tw: 4, alloc: 17, mem: 1 });
  assert.deepEqual(
    s.protocols.find((p) => p.protocol === 'FRAG'),
    { protocol: 'FRAG', inuse: 0, memory: 0 },
  );
  assert.equal(parseSockstat(fixtureText('proc/net/sockstat6')).used, undefined);
});

test('pageSizeFromAuxv finds AT_PAGESZ', () => {
  const auxv = Buffer.alloc(48);
  auxv.writeBigUInt64LE(33n, 0);
  auxv.writeBigUInt64LE(6n, 16);
  auxv.writeBigUInt64LE(65536n, 24);
  assert.equal(pageSizeFromAuxv(auxv), 65536);
  assert.equal(pageSizeFromAuxv(Buffer.alloc(16)), undefined);
});

test('without sockstat6 only IPv4 families are emitted', async () => {
  const root = makeTree({ 'proc/net/sockstat': fixtureText('proc/net/sockstat') });
  const run = await runCollectors(['sockstat'], treeFlags(root));
  assert.equal(run.success.get('sockstat'), 1);
  assert.equal(run.byName.get('node_sockstat_TCP6_inuse'), undefined);
  assert.equal(run.byName.get('node_sockstat_TCP_inuse')!.samples[0]!.value, 4);
});

test('a garbled /proc/net/sockstat fails only the sockstat collector', async () => {
  const root = makeTree({ 'proc/net/sockstat': 'sockets: used 229\nTCP: inuse\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['sockstat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('sockstat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_sockstat_sockets_used'), undefined);
});
