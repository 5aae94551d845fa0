import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { formatMac } from '../../../../src/sources/host/netlink/wifi.ts';
import { setLogSink } from '../../../../src/log.ts';

test('wifi matches node_exporter on the fixtures (--collector.wifi.fixtures)', async () => {
  await assertMatchesE2E('wifi');
});

test('MAC addresses are base64 []byte in the fixtures and print as net.HardwareAddr', () => {
  assert.equal(formatMac(Buffer.from('qrvM3e7/', 'base64')), 'aa:bb:cc:dd:ee:ff');
});

test('without fixtures the collector says it is unavailable and why, and reports success 0', async () => {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    const run = await runCollectors(['wifi', 'loadavg'], treeFlags(makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' })));
    assert.equal(run.success.get('wifi'), 0);
    assert.equal(run.success.get('loadavg'), 1);
  } finally {
    setLogSink(restore);
  }
  assert.ok(lines.some((l) => l.includes('level=warn') && l.includes('wifi') && l.includes('nl80211')), lines.join(''));
});

test('a garbled station file fails only the wifi collector', async () => {
  const root = makeTree({
    'w/interfaces.json': '[{"name":"wlan0","frequency":2412}]',
    'w/wlan0/stationinfo.json': '[{"hardwareaddr":"not base64!","signal":1}]',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['wifi', 'loadavg'], [...treeFlags(root), `--collector.wifi.fixtures=${root}/w`]);
  assert.equal(run.success.get('wifi'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
