import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { parseQdiscFixture } from '../../../../src/sources/host/netlink/qdisc.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MetricFamily } from '../../../../src/model/family.ts';
import { REPO_ROOT } from '../../../helpers/fixtures.ts';
import { runProcess } from '../../../helpers/run.ts';
import { missingPeers } from '../../../helpers/servers.ts';
import { nativeAddonSkip } from '../native-skip.ts';

test('qdisc matches node_exporter on the fixtures (--collector.qdisc.fixtures)', async () => {
  await assertMatchesE2E('qdisc');
});

test('parseQdiscFixture matches keys case-insensitively and zero-fills absent fields, as Go json does', () => {
  assert.deepEqual(parseQdiscFixture('[{"ifacename":"eth0","Kind":"fq","Bytes":5,"Parent":3}]', 'x'), [
    { ifaceName: 'eth0', parent: 3, kind: 'fq', bytes: 5, packets: 0, drops: 0, requeues: 0, overlimits: 0, qlen: 0, backlog: 0 },
  ]);
  assert.throws(() => parseQdiscFixture('[{"Packets":-1}]', 'x'), /Packets/);
});

test('device-exclude filters devices; include with exclude is an error', async () => {
  const run = await runOnFixtures(['qdisc'], ['--collector.qdisc.device-exclude=eth']);
  assert.equal(run.success.get('qdisc'), 0, 'the e2e flags already give device-include');
  const root = makeTree({ 'q/results.json': '[{"IfaceName":"eth0","Kind":"fq"},{"IfaceName":"wlan0","Kind":"fq"}]' });
  const only = await runCollectors(['qdisc'], [`--collector.qdisc.fixtures=${root}/q`, '--collector.qdisc.device-exclude=eth']);
  assert.deepEqual(
    only.byName.get('node_qdisc_bytes_total')!.samples.map((s) => s.labels['device']),
    ['wlan0'],
  );
});

test('a garbled fixture fails only the qdisc collector', async () => {
  const root = makeTree({ 'q/results.json': '[{"IfaceName":"eth0",', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['qdisc', 'loadavg'], [...treeFlags(root), `--collector.qdisc.fixtures=${root}/q`]);
  assert.equal(run.success.get('qdisc'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

const NETNS_SETUP = [
  'ip link set lo up',
  // No IPv6: its neighbour discovery would send on v0 and v1 between the two reads.
  'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null || true',
  'ip link add v0 type veth peer name v1',
  'ip addr add 10.9.9.1/24 dev v0',
  'ip neigh add 10.9.9.2 lladdr 02:00:00:00:00:02 dev v0',
  'tc qdisc add dev v0 root handle 1: tbf rate 1mbit burst 32kbit latency 400ms',
  'tc qdisc add dev v1 root handle 1: htb default 10',
  'tc class add dev v1 parent 1: classid 1:10 htb rate 10mbit',
  'tc qdisc add dev v1 parent 1:10 handle 10: pfifo',
  'ip link set v0 up',
  'ip link set v1 up',
].join(' && ');

function liveSkip(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to make a network namespace (unshare --net)';
  for (const tool of ['ip', 'tc', 'unshare'])
    if (!['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(path.join(d, tool)))) return `${tool} is not installed (iproute2, util-linux)`;
  return nativeAddonSkip() ?? missingPeers('nodeExporter');
}

test('qdisc over rtnetlink agrees with the live node_exporter in a network namespace of its own', { skip: liveSkip() }, async () => {
  const script = path.join(REPO_ROOT, 'test', 'sources', 'host', 'qdisc-netns.ts');
  const run = await runProcess('unshare', ['--net', 'sh', '-c', `${NETNS_SETUP} && exec "${process.execPath}" --no-warnings "${script}"`], {
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
  });
  assert.equal(run.code, 0, run.stderr);
  const { theirs, ours } = JSON.parse(run.stdout) as { theirs: MetricFamily[]; ours: MetricFamily[] };
  assert.deepEqual(ours, theirs);
  const packets = ours.find((f) => f.name === 'node_qdisc_packets_total')!;
  assert.deepEqual(packets.samples.map((s) => `${s.labels['device']} ${s.labels['kind']}`).sort(), ['lo noqueue', 'v0 tbf', 'v1 htb']);
  assert.ok(packets.samples.find((s) => s.labels['device'] === 'v0')!.value >= 12);
});
