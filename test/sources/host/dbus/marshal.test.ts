import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSignature, WireReader, WireWriter, type DBusValue } from '../../../../src/sources/host/dbus/marshal.ts';

function roundTrip(sig: string, values: DBusValue[]): { bytes: Buffer; back: DBusValue[] } {
  const w = new WireWriter();
  w.writeAll(sig, values);
  const bytes = Buffer.from(w.bytes());
  return { bytes, back: new WireReader(bytes, true).readAll(sig) };
}

test('signatures split into single complete types', () => {
  assert.deepEqual(splitSignature('sa(ssssssouso)a{sv}vt'), ['s', 'a(ssssssouso)', 'a{sv}', 'v', 't']);
  assert.throws(() => splitSignature('a(ss'), /unclosed/);
  assert.throws(() => splitSignature('z'), /unknown type code "z"/);
});

test("ListUnits' a(ssssssouso) survives writing and reading, each struct 8-aligned", () => {
  const unit = ['ssh.service', 'OpenBSD Secure Shell server', 'loaded', 'active', 'running', '', '/org/freedesktop/systemd1/unit/ssh_2eservice', 0, '', '/'];
  const other = ['a.timer', 'x', 'loaded', 'inactive', 'dead', '', '/org/freedesktop/systemd1/unit/a_2etimer', 12, 'start', '/org/freedesktop/systemd1/job/12'];
  const { bytes, back } = roundTrip('a(ssssssouso)', [[unit, other]]);
  assert.deepEqual(back, [[unit, other]]);
  // The array length counts from the first (8-aligned) struct, not from the padding.
  assert.equal(bytes.readUInt32LE(0), bytes.length - 8);
});

test('64-bit values keep every bit, alignment pads from the start, variants carry their type', () => {
  const { bytes, back } = roundTrip('ytvb', [7, 2n ** 64n - 1n, { signature: 'u', value: 42 }, true]);
  assert.deepEqual(back, [7, 2n ** 64n - 1n, { signature: 'u', value: 42 }, true]);
  assert.deepEqual([...bytes.subarray(0, 16)], [7, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
});

test('dictionaries read as [key, value] pairs', () => {
  const { back } = roundTrip('a{sv}', [
    [
      ['NRestarts', { signature: 'u', value: 3 }],
      ['Type', { signature: 's', value: 'notify' }],
    ],
  ]);
  assert.deepEqual(back, [
    [
      ['NRestarts', { signature: 'u', value: 3 }],
      ['Type', { signature: 's', value: 'notify' }],
    ],
  ]);
});

test('bad bytes are errors, never wrong values', () => {
  assert.throws(() => new WireReader(Buffer.from([5, 0, 0, 0, 0x61, 0x62]), true).read('s'), /runs past the end/);
  assert.throws(() => new WireReader(Buffer.from([1, 0, 0, 0, 0x61, 0x62]), true).read('s'), /not NUL-terminated/);
  assert.throws(() => new WireReader(Buffer.from([2, 0, 0, 0]), true).read('b'), /boolean value 2/);
  assert.throws(() => new WireReader(Buffer.from([2, 0x73, 0x73, 0, 0, 0, 0, 0]), true).read('v'), /not one complete type/);
  assert.throws(() => new WireReader(Buffer.from([100, 0, 0, 0, 1, 0, 0, 0]), true).read('au'), /runs past the end/);
});
