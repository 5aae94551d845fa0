import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon } from '../../../../src/sources/host/machinery/native.ts';
import { encodeAttributes } from '../../../../src/sources/host/netlink/message.ts';
import { parseLinkStats64 } from '../../../../src/sources/host/netlink/rtnetlink.ts';
import { readLinkStatistics, readLinkStatisticsNetlink } from '../../../../src/sources/host/sysfs/net-statistics.ts';
import { linkStatisticsVia } from '../../../../src/sources/host/collectors/netdev.ts';
import { createLogger } from '../../../../src/log.ts';
import { nativeAddonSkip } from '../native-skip.ts';

/** An RTM_NEWLINK message: header, struct ifinfomsg for `index`, then the attributes. */
function linkMessage(index: number, attributes: Array<{ type: number; data: Buffer }>): Buffer {
  const ifinfomsg = Buffer.alloc(16);
  ifinfomsg.writeInt32LE(index, 4);
  const body = Buffer.concat([ifinfomsg, encodeAttributes(attributes)]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(16, 4); // RTM_NEWLINK
  return Buffer.concat([header, body]);
}

const name = (n: string) => ({ type: 3, data: Buffer.from(`${n}\0`) });
/** IFLA_STATS64 with `count` u64 fields: field i is i + 1, the third (rx_bytes) above 2^32. */
function stats64(count: number): { type: number; data: Buffer } {
  const data = Buffer.alloc(8 * count);
  for (let i = 0; i < count; i++) data.writeBigUInt64LE(BigInt(i + 1), 8 * i);
  data.writeBigUInt64LE(5_000_000_000n, 16);
  return { type: 23, data };
}

test('IFLA_STATS64 reads as rtnl_link_stats64 in field order, by interface name; a link without it is left out', () => {
  const stats = parseLinkStats64([linkMessage(2, [name('eth0'), stats64(24)]), linkMessage(3, [name('nostats')]), linkMessage(4, [stats64(24)])]);
  assert.deepEqual([...stats.keys()], ['eth0']);
  const eth0 = stats.get('eth0')!;
  assert.equal(eth0.length, 24);
  assert.deepEqual(eth0.slice(0, 4), [1, 2, 5_000_000_000, 4]);
  assert.equal(eth0[23], 24);
});

test("netlink counters take node_exporter's names, and a field an older kernel does not send is 0", () => {
  const request = () => [linkMessage(2, [name('old0'), stats64(23)])];
  const counters = readLinkStatisticsNetlink(request).get('old0')!;
  assert.equal(counters.get('receive_packets'), 1);
  assert.equal(counters.get('transmit_packets'), 2);
  assert.equal(counters.get('receive_bytes'), 5_000_000_000);
  assert.equal(counters.get('transmit_compressed'), 23);
  assert.equal(counters.get('receive_nohandler'), 0);
  assert.equal(counters.size, 24);
});

test("the running kernel's links over netlink: the same links and counters as /sys/class/net/*/statistics", { skip: nativeAddonSkip() }, async () => {
  // Counters only grow: read sysfs, netlink, sysfs again, and each netlink value lies between the two.
  const before = await readLinkStatistics('/sys');
  const netlink = readLinkStatisticsNetlink(nativeAddon().netlinkRequest);
  const after = await readLinkStatistics('/sys');
  const lasting = [...before.keys()].filter((d) => after.has(d));
  assert.ok(lasting.includes('lo'));
  for (const device of lasting) {
    const counters = netlink.get(device);
    assert.ok(counters, `${device} over netlink`);
    for (const [key, low] of before.get(device)!) {
      const value = counters.get(key)!;
      assert.ok(value >= low && value <= after.get(device)!.get(key)!, `${device} ${key}: ${value} not within ${low}..${after.get(device)!.get(key)}`);
    }
  }
});

test('where netlink is refused (a seccomp-filtered container), the counters come from sysfs', async () => {
  const refused = (): Buffer[] => {
    throw Object.assign(new Error('netlink socket: Operation not permitted'), { code: 'EPERM' });
  };
  const stats = await linkStatisticsVia(refused, createLogger());
  assert.ok(stats.get('lo')?.has('receive_bytes'), 'lo read from /sys/class/net/lo/statistics');
  assert.deepEqual([...stats.keys()].sort(), [...(await readLinkStatistics('/sys')).keys()].sort());
});
