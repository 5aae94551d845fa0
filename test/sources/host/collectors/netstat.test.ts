import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseNetStats, parseSnmp6 } from '../../../../src/sources/host/procfs/netstat.ts';

test('netstat matches node_exporter on the fixtures with the default fields', async () => {
  await assertMatchesE2E('netstat');
});

test('parseNetStats pairs header and value lines', () => {
  const s = parseNetStats('Tcp: ActiveOpens PassiveOpens\nTcp: 3556 230\nUdp: InDatagrams\nUdp: 7\n');
  assert.equal(s.get('Tcp')!.get('PassiveOpens'), '230');
  assert.equal(s.get('Udp')!.get('InDatagrams'), '7');
  assert.throws(() => parseNetStats('Tcp: ActiveOpens PassiveOpens\nTcp: 3556\n'), /2 names but 1 values/);
});

test('parseSnmp6 splits the protocol at the first 6', () => {
  const s = parseSnmp6(fixtureText('proc/net/snmp6'));
  assert.equal(s.get('Ip6')!.get('InReceives'), '7');
  assert.ok(s.get('Udp6')!.has('InDatagrams'));
});

test('--collector.netstat.fields selects other fields', async () => {
  const run = await runCollectors(['netstat'], ['--path.procfs=collector/fixtures/proc', '--collector.netstat.fields=^Ip_DefaultTTL$']);
  assert.deepEqual(
    run.families.filter((f) => f.name.startsWith('node_netstat_')).map((f) => f.name),
    ['node_netstat_Ip_DefaultTTL'],
  );
});

test('a truncated /proc/net/snmp fails only the netstat collector', async () => {
  const snmp = fixtureText('proc/net/snmp');
  const root = makeTree({
    'proc/net/netstat': fixtureText('proc/net/netstat'),
    'proc/net/snmp': snmp.slice(0, snmp.indexOf('\n', snmp.indexOf('\n') + 1) - 5),
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['netstat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('netstat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});
