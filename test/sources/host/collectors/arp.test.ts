import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseArp } from '../../../../src/sources/host/procfs/arp.ts';

test('arp matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('arp');
});

test('parseArp reads every entry and skips the header', () => {
  const entries = parseArp(fixtureText('proc/net/arp'));
  assert.equal(entries.length, 7);
  assert.deepEqual(entries[0], { ip: '192.168.1.1', hwAddress: 'cc:aa:dd:ee:aa:bb', flags: 2, device: 'eth0' });
});

test('the netlink default reads /proc/net/arp too, and device-include filters', async () => {
  const root = makeTree({ 'proc/net/arp': fixtureText('proc/net/arp') });
  const run = await runCollectors(['arp'], [...treeFlags(root), '--collector.arp.device-include=^eth1$']);
  assert.equal(run.success.get('arp'), 1);
  assert.deepEqual(
    run.byName.get('node_arp_entries')!.samples.map((s) => [s.labels['device'], s.value]),
    [['eth1', 3]],
  );
});

test('a garbled /proc/net/arp fails only the arp collector', async () => {
  const root = makeTree({ 'proc/net/arp': fixtureText('proc/net/arp') + '10.0.0.9 0x1 0x2 zz:zz *\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['arp', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('arp'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_arp_entries'), undefined);
});
