import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseText } from '../../../../src/model/text-parser.ts';
import type { MetricFamily } from '../../../../src/model/family.ts';
import { nativeAddon } from '../../../../src/sources/host/machinery/native.ts';
import { nl80211Reader } from '../../../../src/sources/host/netlink/nl80211.ts';
import { missingPeers, startNodeExporter } from '../../../helpers/servers.ts';
import { nativeAddonSkip } from '../native-skip.ts';
import { formatMac } from '../../../../src/sources/host/netlink/wifi.ts';

test('wifi matches node_exporter on the fixtures (--collector.wifi.fixtures)', async () => {
  await assertMatchesE2E('wifi');
});

test('MAC addresses are base64 []byte in the fixtures and print as net.HardwareAddr', () => {
  assert.equal(formatMac(Buffer.from('qrvM3e7/', 'base64')), 'aa:bb:cc:dd:ee:ff');
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

/** Why the live comparison cannot run here, or undefined; loads mac80211_hwsim (two radios) where the kernel has no nl80211 yet. */
function liveSkip(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to load mac80211_hwsim';
  const missing = nativeAddonSkip() ?? missingPeers('nodeExporter');
  if (missing) return missing;
  const hasNl80211 = (): boolean => nl80211Reader(nativeAddon().netlinkRequest) !== undefined;
  if (hasNl80211()) return undefined;
  const modprobe = spawnSync('modprobe', ['mac80211_hwsim', 'radios=2'], { encoding: 'utf8' });
  if (modprobe.error || modprobe.status !== 0)
    return `the kernel has no nl80211 and mac80211_hwsim cannot be loaded (modprobe: ${modprobe.error?.message ?? modprobe.stderr.trim()})`;
  return hasNl80211() ? undefined : 'mac80211_hwsim loaded, yet the kernel has no nl80211';
}

test('wifi over nl80211 agrees with the live node_exporter (mac80211_hwsim radios)', { skip: liveSkip() }, async () => {
  const node = await startNodeExporter(['--collector.disable-defaults', '--collector.wifi']);
  try {
    const theirs = parseText(await (await fetch(node.url + '/metrics')).text()).filter((f) => f.name.startsWith('node_wifi_'));
    const run = await runCollectors(['wifi']);
    assert.equal(run.success.get('wifi'), 1);
    const ours = [...run.byName.values()].filter((f) => f.name.startsWith('node_wifi_'));
    const shape = (families: MetricFamily[]): string[] =>
      families.flatMap((f) => f.samples.map((s) => `${f.name} ${f.help} ${f.type} ${JSON.stringify(Object.entries(s.labels).sort())}`)).sort();
    assert.deepEqual(shape(ours), shape(theirs));
    // Counters move between two reads; the frequencies do not.
    const frequencies = (families: MetricFamily[]): string[] => shape(families.filter((f) => f.name === 'node_wifi_interface_frequency_hertz'));
    assert.deepEqual(frequencies(ours), frequencies(theirs));
  } finally {
    await node.stop();
  }
});
