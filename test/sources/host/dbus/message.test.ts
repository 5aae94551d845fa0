import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, encodeMethodCall, messageLength, MessageType } from '../../../../src/sources/host/dbus/message.ts';
import { GET_FEATURES_CALL, GET_FEATURES_REPLY, HELLO_REPLY_AND_SIGNAL, LIST_UNITS_CALL, SERVICE_UNKNOWN_ERROR } from './recorded.ts';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

test('a method call is byte for byte what dbus-send writes, with and without arguments', () => {
  const get = encodeMethodCall(
    {
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Get',
      signature: 'ss',
      body: ['org.freedesktop.DBus', 'Features'],
    },
    2,
  );
  assert.equal(get.toString('hex'), GET_FEATURES_CALL);
  const list = encodeMethodCall(
    { destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'ListUnits' },
    2,
  );
  assert.equal(list.toString('hex'), LIST_UNITS_CALL);
});

test("dbus-daemon's reply is read: serials, header fields and a variant body", () => {
  const bytes = hex(GET_FEATURES_REPLY);
  assert.equal(messageLength(bytes), bytes.length);
  const m = decodeMessage(bytes);
  assert.equal(m.type, MessageType.methodReturn);
  assert.equal(m.serial, 3);
  assert.equal(m.replySerial, 2);
  assert.equal(m.signature, 'v');
  assert.deepEqual(m.body, [{ signature: 'as', value: ['ActivatableServicesChanged', 'HeaderFiltering'] }]);
});

test('an error reply gives its name and message', () => {
  const m = decodeMessage(hex(SERVICE_UNKNOWN_ERROR));
  assert.equal(m.type, MessageType.error);
  assert.equal(m.replySerial, 2);
  assert.equal(m.errorName, 'org.freedesktop.DBus.Error.ServiceUnknown');
  assert.deepEqual(m.body, ['The name org.freedesktop.systemd1 was not provided by any .service files']);
});

test('two messages in one read are framed by their lengths', () => {
  const bytes = hex(HELLO_REPLY_AND_SIGNAL);
  const first = messageLength(bytes)!;
  const reply = decodeMessage(bytes.subarray(0, first));
  assert.equal(reply.type, MessageType.methodReturn);
  assert.deepEqual(reply.body, [':1.1']);
  const rest = bytes.subarray(first);
  assert.equal(messageLength(rest), rest.length);
  const signal = decodeMessage(rest);
  assert.equal(signal.type, MessageType.signal);
  assert.equal(signal.member, 'NameAcquired');
  assert.equal(messageLength(bytes.subarray(0, 15)), undefined, 'an incomplete fixed header has no length yet');
});

test('a big-endian message is read too', () => {
  // The same reply as systemd on a big-endian host would write it: built here by swapping every numeric field.
  const little = decodeMessage(hex(GET_FEATURES_REPLY));
  const be = Buffer.from(encodeMessage({ type: MessageType.methodReturn, replySerial: 7, signature: 'ut', body: [0x01020304, 2n ** 64n - 1n] }, 9));
  // Rewrite as 'B': header numbers and the body's u and t reversed in place.
  be[0] = 0x42;
  for (const [at, size] of [
    [4, 4],
    [8, 4],
    [12, 4],
  ] as const)
    be.subarray(at, at + size).reverse();
  const bodyAt = be.length - 16;
  be.subarray(bodyAt, bodyAt + 4).reverse();
  be.subarray(bodyAt + 8, bodyAt + 16).reverse();
  // Header field array: reply serial value (u) sits after its code, signature and padding.
  const fieldsLength = be.readUInt32BE(12);
  for (let i = 16; i < 16 + fieldsLength; i += 8) if (be[i] === 5) be.subarray(i + 4, i + 8).reverse();
  const m = decodeMessage(be);
  assert.equal(m.replySerial, 7);
  assert.equal(m.serial, 9);
  assert.deepEqual(m.body, [0x01020304, 2n ** 64n - 1n]);
  assert.equal(little.serial, 3);
});

test('garbled messages are errors that say where', () => {
  const bytes = hex(GET_FEATURES_REPLY);
  assert.throws(() => decodeMessage(bytes.subarray(0, bytes.length - 1)), /runs past the end|does not end the message/);
  const bad = Buffer.from(bytes);
  bad[0] = 0x78;
  assert.throws(() => messageLength(bad), /not a D-Bus message: endianness byte 0x78/);
  const huge = Buffer.from(bytes);
  huge.writeUInt32LE(0xfffffff0, 4);
  assert.throws(() => messageLength(huge), /exceeds the D-Bus limit/);
});
