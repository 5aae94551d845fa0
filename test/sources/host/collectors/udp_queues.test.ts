import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseUdpSockets } from '../../../../src/sources/host/procfs/net-udp.ts';

test('udp_queues matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('udp_queues');
});

test('parseUdpSockets sums the hex queues of every socket', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (q: string): string => `   0: 00000000:0016 00000000:0000 07 ${q} 00:00000000 00000000     0        0 2740 2 ffff88003d3af3c0 3\n`;
  assert.deepEqual(parseUdpSockets(header + line('00000015:00000001') + line('00000010:000000ff')), { txQueue: 0x25, rxQueue: 0x100, sockets: 2, drops: 6 });
  assert.deepEqual(parseUdpSockets(header), { txQueue: 0, rxQueue: 0, sockets: 0, drops: 0 });
});

test('both IP versions are reported when udp6 exists', async () => {
  const udp = fixtureText('proc/net/udp');
  const root = makeTree({
    'proc/net/udp': udp,
    'proc/net/udp6': udp.replace('00000000:0016 00000000:0000', '00000000000000000000000000000000:0016 00000000000000000000000000000000:0000'),
  });
  const run = await runCollectors(['udp_queues'], treeFlags(root));
  assert.equal(run.byName.get('node_udp_queues')!.samples.length, 4);
});

test('no udp files at all is "no data", not an error', async () => {
  const root = makeTree({});
  const run = await runCollectors(['udp_queues'], treeFlags(root));
  assert.equal(run.success.get('udp_queues'), 0);
  assert.equal(run.byName.get('node_udp_queues'), undefined);
});

test('a garbled /proc/net/udp fails only the udp_queues collector', async () => {
  const root = makeTree({ 'proc/net/udp': fixtureText('proc/net/udp').replace('00000015:00000000', '0000xx15'), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['udp_queues', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('udp_queues'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
