import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQdiscMessage, readQdiscs } from '../../../../src/sources/host/netlink/qdisc.ts';
import { encodeAttributes, u32Bytes } from '../../../../src/sources/host/netlink/message.ts';

/** Recorded from a kernel 6.18 RTM_GETQDISC dump: v0 (index 3), root tbf (handle 1:), 180 bytes in 2 packets. */
const RECORDED_TBF = Buffer.from(
  'bc000000240002000100000031160000000000000300000000000100ffffffff0300000008000100746266002c00020028000100000100000000000048e8010000000000000000000000000050d3000000d007000000000005000c00000000003000070014000100b40000000000000002000000000000001800030000000000000000000000000000000000000000002c000300b4000000000000000200000000000000000000000000000000000000000000000000000000000000',
  'hex',
);

test('a recorded RTM_NEWQDISC message reads as the qdisc library reads it: root parent as 0, kind, counters', () => {
  assert.deepEqual(parseQdiscMessage(RECORDED_TBF, new Map([[3, 'v0']])), {
    ifaceName: 'v0',
    parent: 0,
    kind: 'tbf',
    bytes: 180,
    packets: 2,
    drops: 0,
    requeues: 0,
    overlimits: 0,
    qlen: 0,
    backlog: 0,
  });
  assert.throws(() => parseQdiscMessage(RECORDED_TBF, new Map()), /interface index 3/);
});

/** An RTM_NEWQDISC message for ifindex 2, parent 1:10, whose TCA_STATS2 and legacy TCA_STATS disagree. */
function qdiscMessage(): Buffer {
  const tcmsg = Buffer.alloc(20);
  tcmsg.writeInt32LE(2, 4);
  tcmsg.writeUInt32LE(0x10010, 12);
  const basic = Buffer.alloc(16);
  basic.writeBigUInt64LE(5000n, 0);
  basic.writeUInt32LE(50, 8);
  const queue = Buffer.concat([1, 100, 3, 4, 5].map(u32Bytes));
  const legacy = Buffer.alloc(40);
  legacy.writeBigUInt64LE(6000n, 0);
  [60, 7, 8, 0, 0, 9, 900].forEach((v, i) => legacy.writeUInt32LE(v, 8 + 4 * i));
  const attributes = encodeAttributes([
    { type: 1, data: Buffer.from('pfifo\0') },
    {
      type: 7,
      data: encodeAttributes([
        { type: 1, data: basic },
        { type: 3, data: queue },
      ]),
    },
    { type: 3, data: legacy },
  ]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + 20 + attributes.length, 0);
  header.writeUInt16LE(36, 4);
  return Buffer.concat([header, tcmsg, attributes]);
}

test('the legacy TCA_STATS after TCA_STATS2 stands, requeues come from TCA_STATS2 only, a non-root parent is kept', () => {
  assert.deepEqual(parseQdiscMessage(qdiscMessage(), new Map([[2, 'eth0']])), {
    ifaceName: 'eth0',
    parent: 0x10010,
    kind: 'pfifo',
    bytes: 6000,
    packets: 60,
    drops: 7,
    requeues: 4,
    overlimits: 8,
    qlen: 9,
    backlog: 900,
  });
});

test('readQdiscs names interfaces from an RTM_GETLINK dump and reads the RTM_GETQDISC dump', () => {
  const link = Buffer.alloc(16);
  link.writeInt32LE(2, 4);
  const linkAttributes = encodeAttributes([{ type: 3, data: Buffer.from('eth0\0') }]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(32 + linkAttributes.length, 0);
  header.writeUInt16LE(16, 4);
  const requests: number[] = [];
  const qdiscs = readQdiscs((protocol, type, flags) => {
    requests.push(type);
    assert.equal(protocol, 0);
    assert.equal(flags, 0x300);
    return type === 18 ? [Buffer.concat([header, link, linkAttributes])] : [qdiscMessage()];
  });
  assert.deepEqual(requests, [18, 38]);
  assert.deepEqual(
    qdiscs.map((q) => [q.ifaceName, q.kind]),
    [['eth0', 'pfifo']],
  );
});
