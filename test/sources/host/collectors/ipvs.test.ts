import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { formatIPv6, parseIpPort, parseIpvsBackends, parseIpvsStats } from '../../../../src/sources/host/procfs/ipvs.ts';
import { parseBackendLabels } from '../../../../src/sources/host/collectors/ipvs.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('ipvs matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('ipvs');
});

test('parseIpvsStats reads the hexadecimal totals', () => {
  assert.deepEqual(parseIpvsStats(fixtureText('proc/net/ip_vs_stats')), {
    connections: 0x16aa370,
    incomingPackets: 0xe33656e5,
    outgoingPackets: 0,
    incomingBytes: 0x51d8c8883ab3,
    outgoingBytes: 0,
  });
});

test('parseIpvsBackends attaches real servers to their virtual service', () => {
  const backends = parseIpvsBackends(fixtureText('proc/net/ip_vs'));
  assert.equal(backends.length, 10);
  assert.deepEqual(backends[0], {
    localAddress: '192.168.0.22',
    localPort: 3306,
    localMark: '',
    remoteAddress: '192.168.82.22',
    remotePort: 3306,
    proto: 'TCP',
    weight: 100,
    activeConn: 248,
    inactConn: 2,
  });
  assert.equal(backends[8]!.localMark, '10001000');
  assert.equal(backends[8]!.localAddress, '');
});

test('IPv6 addresses are printed as Go prints them', () => {
  assert.deepEqual(parseIpPort('[2620:0000:0000:0000:0000:0000:0000:0001]:0050'), ['2620::1', 80]);
  assert.equal(formatIPv6('0000:0000:0000:0000:0000:ffff:c0a8:0001'), '192.168.0.1');
  assert.equal(formatIPv6('2001:0db8:0000:0001:0000:0000:0000:0001'), '2001:db8:0:1::1');
  assert.equal(formatIPv6('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
});

test('--collector.ipvs.backend-labels sums backends sharing the kept labels', async () => {
  const root = makeTree({ 'proc/net/ip_vs_stats': fixtureText('proc/net/ip_vs_stats'), 'proc/net/ip_vs': fixtureText('proc/net/ip_vs') });
  const run = await runCollectors(['ipvs'], [...treeFlags(root), '--collector.ipvs.backend-labels=proto']);
  assert.match(run.text, /node_ipvs_backend_connections_active\{proto="FWM"\} 385\n/);
  assert.match(run.text, /node_ipvs_backend_connections_active\{proto="TCP"\} 3741\n/);
  assert.throws(() => parseBackendLabels('proto,nope'), /unknown IPVS backend labels: "nope"/);
});

test('ipvs emits nothing without /proc/net/ip_vs_stats', async () => {
  const run = await runOnEmptyTree('ipvs');
  assert.equal(run.success.get('ipvs'), 0);
});

test('a garbled ip_vs fails only ipvs', async () => {
  await assertFailsAlone('ipvs', { 'proc/net/ip_vs_stats': fixtureText('proc/net/ip_vs_stats'), 'proc/net/ip_vs': 'TCP  C0A8001Z:0CEA wlc\n' });
});
