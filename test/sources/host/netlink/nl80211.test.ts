import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { encodeAttributes, u32Bytes, type NetlinkAttribute, type NetlinkRequest } from '../../../../src/sources/host/netlink/message.ts';
import { decodeSsid, nl80211Reader, parseStation } from '../../../../src/sources/host/netlink/nl80211.ts';
import { fixtureReader } from '../../../../src/sources/host/netlink/wifi.ts';
import { wifiFamilies } from '../../../../src/sources/host/collectors/wifi.ts';
import { NODE_EXPORTER_FIXTURES } from '../../../helpers/fixtures.ts';

const NL80211_ID = 0x1c;

/** A generic netlink message: header, genlmsghdr, attributes. */
function genlMessage(type: number, attributes: readonly NetlinkAttribute[]): Buffer {
  const body = Buffer.concat([Buffer.from([0, 1, 0, 0]), encodeAttributes(attributes)]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(type, 4);
  return Buffer.concat([header, body]);
}

const attr = (type: number, data: Buffer): NetlinkAttribute => ({ type, data });
const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);
const u16 = (v: number): Buffer => Buffer.from([v & 0xff, v >> 8]);
const nested = (...attributes: NetlinkAttribute[]): Buffer => encodeAttributes(attributes);

/** The attributes of a request's payload (after its genlmsghdr), by type. */
function requestAttributes(payload: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let i = 4; i + 4 <= payload.length; i += (payload.readUInt16LE(i) + 3) & ~3)
    out.set(payload.readUInt16LE(i + 2), payload.subarray(i + 4, i + payload.readUInt16LE(i)));
  return out;
}

/**
 * nl80211 as a kernel would answer for node_exporter's wifi fixtures: wlan0
 * (associated with "Example", two stations), wlan1 (nothing associated), and
 * an interface without a name (skipped).
 */
const fixtureKernel: NetlinkRequest = (protocol, type, _flags, payload) => {
  assert.equal(protocol, 16);
  if (type === 16) return [genlMessage(16, [attr(1, u16(NL80211_ID)), attr(3, u32Bytes(1))])];
  assert.equal(type, NL80211_ID);
  const ifindex = requestAttributes(payload).get(3)?.readUInt32LE(0);
  switch (payload[0]) {
    case 5:
      return [
        genlMessage(NL80211_ID, [
          attr(3, u32Bytes(3)),
          attr(4, Buffer.from('wlan0\0')),
          attr(5, u32Bytes(2)),
          attr(6, Buffer.from('020000000003', 'hex')),
          attr(38, u32Bytes(2412)),
        ]),
        genlMessage(NL80211_ID, [attr(3, u32Bytes(4)), attr(4, Buffer.from('wlan1\0')), attr(5, u32Bytes(3)), attr(38, u32Bytes(2412))]),
        genlMessage(NL80211_ID, [attr(5, u32Bytes(10))]),
      ];
    case 32: {
      if (ifindex !== 3) return [];
      const ies = Buffer.concat([Buffer.from([0, 7]), Buffer.from('Example'), Buffer.from([1, 2, 0x82, 0x84])]);
      return [
        // A BSS seen in a scan but not associated: no status, so not the interface's BSS.
        genlMessage(NL80211_ID, [attr(3, u32Bytes(3)), attr(47, nested(attr(1, Buffer.from('665544332211', 'hex'))))]),
        genlMessage(NL80211_ID, [attr(3, u32Bytes(3)), attr(47, nested(attr(1, Buffer.from('001122334455', 'hex')), attr(6, ies), attr(9, u32Bytes(1))))]),
      ];
    }
    case 17: {
      if (ifindex !== 3) return [];
      const station = (
        mac: string,
        connected: number,
        inactiveMs: number,
        rx: Buffer,
        tx: Buffer,
        signal: number,
        retries: number,
        failed: number,
        loss: number,
      ): Buffer =>
        genlMessage(NL80211_ID, [
          attr(3, u32Bytes(3)),
          attr(6, Buffer.from(mac, 'hex')),
          attr(
            21,
            nested(
              attr(16, u32Bytes(connected)),
              attr(1, u32Bytes(inactiveMs)),
              attr(14, rx),
              attr(8, tx),
              attr(7, u8(signal)),
              attr(11, u32Bytes(retries)),
              attr(12, u32Bytes(failed)),
              attr(18, u32Bytes(loss)),
            ),
          ),
        ]);
      return [
        // Bit rates in 100 kbit/s: the 32-bit attribute, and the 16-bit one alone.
        station('aabbccddeeff', 30, 400, nested(attr(5, u32Bytes(1280))), nested(attr(1, u16(1640))), -52, 10, 2, 1),
        station('010203040506', 60, 800, nested(attr(1, u16(1)), attr(5, u32Bytes(2560))), nested(attr(5, u32Bytes(3280))), -26, 20, 4, 2),
      ];
    }
  }
  throw new Error(`unexpected nl80211 command ${payload[0]}`);
};

test("constructed nl80211 replies read as node_exporter's wifi fixtures: the same families and values", async () => {
  const ours = await wifiFamilies(nl80211Reader(fixtureKernel)!);
  const fixtures = await wifiFamilies(fixtureReader(path.join(NODE_EXPORTER_FIXTURES, 'collector', 'fixtures', 'wifi')));
  assert.deepEqual(ours, fixtures);
  assert.equal(ours.find((f) => f.name === 'node_wifi_station_info')!.samples[0]!.labels['ssid'], 'Example');
});

test('no nl80211 family (ENOENT) means no reader; other errors propagate', () => {
  const failing =
    (code: string): NetlinkRequest =>
    () => {
      throw Object.assign(new Error('netlink request: failed'), { code });
    };
  assert.equal(nl80211Reader(failing('ENOENT')), undefined);
  assert.throws(() => nl80211Reader(failing('EPERM')), /failed/);
});

test('station byte counters prefer the 64-bit attributes; the signal is a signed byte', () => {
  const bytes64 = Buffer.alloc(8);
  bytes64.writeBigUInt64LE(5_000_000_000n);
  const s = parseStation([attr(21, nested(attr(23, bytes64), attr(2, u32Bytes(7)), attr(3, u32Bytes(9)), attr(7, u8(-90))))])!;
  assert.equal(s.receivedBytes, 5_000_000_000);
  assert.equal(s.transmittedBytes, 9);
  assert.equal(s.signal, -90);
  assert.equal(parseStation([attr(6, Buffer.alloc(6))]), undefined);
});

test('SSIDs decode as Go walks runes: each byte starting no valid character is one U+FFFD', () => {
  assert.equal(decodeSsid(Buffer.from('café')), 'café');
  assert.equal(decodeSsid(Buffer.from([0x61, 0xe2, 0x82, 0x62])), 'a\ufffd\ufffdb');
});
