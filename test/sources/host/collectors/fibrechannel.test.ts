import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readFcHosts } from '../../../../src/sources/host/sysfs/fibrechannel.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('fibrechannel matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('fibrechannel');
});

test('readFcHosts strips 0x from names and ids and keeps counters exact', async () => {
  const [host0, host1] = await readFcHosts(FIXTURE_SYS);
  assert.equal(host0!.attributes.port_name, '1000e0071bce95f2');
  assert.equal(host0!.attributes.port_id, '000002');
  assert.deepEqual(Object.keys(host1!.attributes).sort(), ['port_state', 'speed']);
  assert.equal(host1!.counters.error_frames, 0x13n);
  assert.equal(host1!.counters.fcp_packet_aborts, 2n ** 64n - 1n); // all ones: not implemented, left out by the collector
});

test('a host whose port state is Unknown reports zero counters', async () => {
  const root = makeTree({ 'sys/class/fc_host/host9/port_state': 'Unknown\n', 'sys/class/fc_host/host9/statistics/rx_frames': '0x30\n' });
  const run = await runCollectors(['fibrechannel'], treeFlags(root));
  assert.match(run.text, /node_fibrechannel_rx_frames_total\{fc_host="host9"\} 0\n/);
  assert.match(run.text, /node_fibrechannel_nos_total\{fc_host="host9"\} 0\n/);
});

test('fibrechannel emits nothing without /sys/class/fc_host', async () => {
  const run = await runOnEmptyTree('fibrechannel');
  assert.equal(run.success.get('fibrechannel'), 0);
});

test('a garbled fc_host counter fails only fibrechannel', async () => {
  await assertFailsAlone('fibrechannel', { 'sys/class/fc_host/host0/port_state': 'Online\n', 'sys/class/fc_host/host0/statistics/rx_frames': '0xZZ\n' });
});
