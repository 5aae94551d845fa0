import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseConntrackStat } from '../../../../src/sources/host/procfs/conntrack.ts';

test('conntrack matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('conntrack');
});

test('parseConntrackStat sums the per-CPU hex counters, search_restart only on 17-column kernels', () => {
  const s = parseConntrackStat(fixtureText('proc/net/stat/nf_conntrack'));
  assert.equal(s.ignore, 0x588a + 0x56a4 + 0x58d4 + 0x5688);
  assert.equal(s.invalid, 3 + 2 + 1 + 0x2f);
  assert.equal(s.searchRestart, 7);
  const old = parseConntrackStat('header\n' + Array(16).fill('00000001').join(' ') + '\n');
  assert.equal(old.searchRestart, 0);
  assert.equal(old.found, 1);
  assert.throws(() => parseConntrackStat('header\n00000001 00000002\n'), /16 or 17 fields/);
});

test('without nf_conntrack loaded the collector reports no data', async () => {
  const run = await runCollectors(['conntrack'], treeFlags(makeTree({})));
  assert.equal(run.success.get('conntrack'), 0);
  assert.equal(run.byName.get('node_nf_conntrack_entries'), undefined);
});

test('a garbled nf_conntrack stat file fails only the conntrack collector', async () => {
  const root = makeTree({
    'proc/sys/net/netfilter/nf_conntrack_count': '123\n',
    'proc/sys/net/netfilter/nf_conntrack_max': '65536\n',
    'proc/net/stat/nf_conntrack': 'entries searched\n00000021 zz\n',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['conntrack', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('conntrack'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_nf_conntrack_entries'), undefined);
});
