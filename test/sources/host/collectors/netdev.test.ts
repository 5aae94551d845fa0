import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNetDev } from '../../../../src/sources/host/procfs/netdev.ts';
import { readLinkStatistics } from '../../../../src/sources/host/sysfs/net-statistics.ts';
import { addressScope, legacyCounters } from '../../../../src/sources/host/collectors/netdev.ts';

const PROC_NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   27378      91    0    0    0     0          0         0    27378      91    0    0    0     0       0          0
  eth0:494109882   14821    1    2    3     4          5         6   949428   11298    7    8    9    10      11         12
`;

// e2e-output.txt holds node_exporter's netlink view of the live "lo" (netlink ignores --path.sysfs), so this
// compares against this machine's loopback, whose error counters are 0 as on node_exporter's build host.
test('netdev (netlink default) matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('netdev');
});

test('parseNetDev reads the 16 counters per device', () => {
  const devs = parseNetDev(PROC_NET_DEV);
  assert.deepEqual([...devs.keys()], ['lo', 'eth0']);
  assert.equal(devs.get('eth0')!.get('receive_bytes'), 494109882);
  assert.equal(devs.get('eth0')!.get('transmit_compressed'), 12);
});

test('--no-collector.netdev.netlink reads /proc/net/dev with include/exclude', async () => {
  const root = makeTree({ 'proc/net/dev': PROC_NET_DEV });
  const run = await runCollectors(['netdev'], [...treeFlags(root), '--no-collector.netdev.netlink', '--collector.netdev.device-exclude=^lo$']);
  assert.equal(run.success.get('netdev'), 1);
  const colls = run.byName.get('node_network_transmit_colls_total')!;
  assert.deepEqual(
    colls.samples.map((s) => [s.labels['device'], s.value]),
    [['eth0', 10]],
  );
  assert.equal(run.byName.get('node_network_receive_errs_total')!.help, 'Network device statistic receive_errs.');
});

test('sysfs link statistics fold into the legacy names like netlink ones', async () => {
  const stats: Record<string, string> = {
    rx_dropped: '1',
    rx_missed_errors: '2',
    rx_frame_errors: '3',
    rx_crc_errors: '4',
    tx_carrier_errors: '5',
    tx_window_errors: '6',
    multicast: '7',
  };
  const root = makeTree(Object.fromEntries(Object.entries(stats).map(([k, v]) => [`sys/class/net/eth9/statistics/${k}`, `${v}\n`])));
  const raw = (await readLinkStatistics(`${root}/sys`)).get('eth9')!;
  assert.equal(raw.get('receive_nohandler'), 0);
  const legacy = legacyCounters(raw);
  assert.equal(legacy.get('receive_drop'), 3);
  assert.equal(legacy.get('receive_frame'), 7);
  assert.equal(legacy.get('transmit_carrier'), 11);
  assert.equal(legacy.get('receive_multicast'), 7);
  assert.equal(legacy.has('receive_missed_errors'), false);
});

test('addressScope follows Go net.IP classes', () => {
  assert.equal(addressScope('127.0.0.1', 'IPv4'), 'link-local');
  assert.equal(addressScope('10.1.2.3', 'IPv4'), 'global');
  assert.equal(addressScope('fe80::1', 'IPv6'), 'link-local');
  assert.equal(addressScope('ff01::1', 'IPv6'), 'interface-local');
  assert.equal(addressScope('2001:db8::1', 'IPv6'), 'global');
});

test('--collector.netdev.address-info lists the loopback address', async () => {
  const run = await runCollectors(['netdev'], ['--collector.netdev.address-info', '--collector.netdev.device-include=^lo$']);
  const info = run.byName.get('node_network_address_info')!;
  assert.ok(info.samples.some((s) => s.labels['address'] === '127.0.0.1' && s.labels['netmask'] === '8' && s.labels['scope'] === 'link-local'));
});

test('a garbled /proc/net/dev fails only the netdev collector', async () => {
  const root = makeTree({ 'proc/net/dev': PROC_NET_DEV.replace('494109882', 'x94109882'), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['netdev', 'loadavg'], [...treeFlags(root), '--no-collector.netdev.netlink']);
  assert.equal(run.success.get('netdev'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
