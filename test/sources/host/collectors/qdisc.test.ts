import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { parseQdiscFixture } from '../../../../src/sources/host/netlink/qdisc.ts';
import { setLogSink } from '../../../../src/log.ts';

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
  assert.deepEqual(only.byName.get('node_qdisc_bytes_total')!.samples.map((s) => s.labels['device']), ['wlan0']);
});

test('without fixtures the collector says it is unavailable and why, and reports success 0', async () => {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    const run = await runCollectors(['qdisc', 'loadavg'], treeFlags(makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' })));
    assert.equal(run.success.get('qdisc'), 0);
    assert.equal(run.success.get('loadavg'), 1);
  } finally {
    setLogSink(restore);
  }
  assert.ok(lines.some((l) => l.includes('level=warn') && l.includes('qdisc') && l.includes('netlink')), lines.join(''));
});

test('a garbled fixture fails only the qdisc collector', async () => {
  const root = makeTree({ 'q/results.json': '[{"IfaceName":"eth0",', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['qdisc', 'loadavg'], [...treeFlags(root), `--collector.qdisc.fixtures=${root}/q`]);
  assert.equal(run.success.get('qdisc'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
