import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { readNetClass } from '../../../../src/sources/host/sysfs/net-class.ts';
import { tryParseGoInt } from '../../../../src/sources/host/kernel-files/parse.ts';

test('netclass matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('netclass');
});

test('readNetClass reads the attributes of every interface, following class/net symlinks', async () => {
  const ifaces = await readNetClass(FIXTURE_SYS);
  assert.deepEqual(
    ifaces.map((i) => i.name),
    ['bond0', 'dmz', 'eth0', 'int'],
  );
  const eth0 = ifaces.find((i) => i.name === 'eth0')!;
  assert.equal(eth0.numbers.speed, 1000);
  assert.equal(eth0.numbers.flags, 0x1303);
  assert.equal(eth0.text.operstate, 'up');
});

test("on the live /sys, an attribute the kernel refuses to read (EINVAL for a virtual link's speed...) skips only itself", async () => {
  const ATTRS = ['address', 'operstate', 'mtu', 'ifindex', 'type', 'tx_queue_len'] as const;
  // What the kernel gives for each readable attribute, read on its own; undefined where it refuses or the interface went away.
  const direct = (name: string, attr: string): string | undefined => {
    try {
      return readFileSync(path.join('/sys/class/net', name, attr), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const names = readdirSync('/sys/class/net');
  const before = new Map<string, Array<string | undefined>>(names.map((n) => [n, ATTRS.map((a) => direct(n, a))]));
  const ifaces = await readNetClass('/sys');
  for (const iface of ifaces) {
    const first = before.get(iface.name);
    if (!first) continue; // an interface that came up since (a container started)
    for (const [i, attr] of ATTRS.entries()) {
      const text: string | undefined = first[i];
      // Only what was readable and did not change meanwhile (a link going up on a busy box) is compared.
      if (text === undefined || direct(iface.name, attr) !== text) continue;
      const ours = attr === 'address' || attr === 'operstate' ? iface.text[attr] : iface.numbers[attr];
      assert.equal(String(ours), attr === 'address' || attr === 'operstate' ? text : String(Number(text)), `${iface.name}/${attr}`);
    }
  }
});

test('tryParseGoInt takes the bases of Go ParseInt(s, 0, 64)', () => {
  assert.equal(tryParseGoInt('0x1303'), 4867);
  assert.equal(tryParseGoInt('-1'), -1);
  assert.equal(tryParseGoInt('010'), 8);
  assert.equal(tryParseGoInt('1500'), 1500);
  assert.equal(tryParseGoInt('15x'), undefined);
});

function iface(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const attrs: Record<string, string> = { operstate: 'down\n', flags: '0x1002\n', mtu: '1500\n', speed: '-1\n', address: 'aa:bb:cc:dd:ee:ff\n', ...extra };
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`sys/class/net/${name}/${k}`, v]));
}

test('an invalid speed is exported by default and dropped with ignore-invalid-speed; a garbled attribute is skipped like procfs does', async () => {
  const root = makeTree({ ...iface('veth0', { mtu: 'garbage\n' }) });
  const plain = await runCollectors(['netclass'], treeFlags(root));
  assert.equal(plain.success.get('netclass'), 1);
  assert.equal(plain.byName.get('node_network_speed_bytes')!.samples[0]!.value, -125000);
  assert.equal(plain.byName.get('node_network_mtu_bytes'), undefined);
  assert.equal(plain.byName.get('node_network_info')!.samples[0]!.labels['adminstate'], 'down');
  const strict = await runCollectors(['netclass'], [...treeFlags(root), '--collector.netclass.ignore-invalid-speed']);
  assert.equal(strict.byName.get('node_network_speed_bytes'), undefined);
});

test('a broken interface entry fails only the netclass collector', async () => {
  const root = makeTree({ ...iface('eth1'), 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  symlinkSync('../../devices/virtual/net/gone', path.join(root, 'sys/class/net/eth2'));
  const run = await runCollectors(['netclass', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('netclass'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_network_up'), undefined);
});
