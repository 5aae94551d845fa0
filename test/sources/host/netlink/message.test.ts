import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeString, encodeAttributes, parseAttributes, parseMessage } from '../../../../src/sources/host/netlink/message.ts';

test('attributes round-trip with 4-byte padding, and the nested flag is not part of the type', () => {
  const bytes = encodeAttributes([
    { type: 3, data: Buffer.from('eth0\0') },
    { type: 0x8007, data: Buffer.from([1, 2, 3, 4]) },
  ]);
  assert.equal(bytes.length, 12 + 8);
  assert.deepEqual(
    parseAttributes(bytes).map((a) => [a.type, [...a.data]]),
    [
      [3, [...Buffer.from('eth0\0')]],
      [7, [1, 2, 3, 4]],
    ],
  );
  assert.equal(attributeString(Buffer.from('eth0\0')), 'eth0');
});

test('lengths that run past the bytes are errors, not reads of the next message', () => {
  const bytes = encodeAttributes([{ type: 1, data: Buffer.alloc(8) }]);
  bytes.writeUInt16LE(40, 0);
  assert.throws(() => parseAttributes(bytes), /says 40 bytes, 12 remain/);
  const message = Buffer.alloc(16);
  message.writeUInt32LE(64, 0);
  assert.throws(() => parseMessage(message), /says 64 bytes but has 16/);
});
