/**
 * D-Bus messages: the fixed header, the header fields and the body, as the
 * specification lays them out.
 */
import { WireReader, WireWriter, type DBusValue } from './marshal.ts';

export const MessageType = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;

/** Header field codes and the type each carries. */
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8, unixFds: 9 } as const;
const FIELD_TYPE: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g', 9: 'u' };

/** The fixed part: endianness, type, flags, version, body length, serial, header field array length. */
const FIXED_HEADER = 16;
/** The specification's limit on a whole message. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export interface MethodCall {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: readonly DBusValue[];
}

export interface Message {
  type: number;
  serial: number;
  replySerial?: number;
  errorName?: string;
  path?: string;
  interface?: string;
  member?: string;
  signature: string;
  body: DBusValue[];
}

/** What a message to write carries; header fields left undefined are not written. */
export interface OutgoingMessage {
  type: number;
  flags?: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  signature?: string;
  body?: readonly DBusValue[];
}

/** The header fields in libdbus' order, so a method call is byte for byte what dbus-send writes. */
const FIELD_ORDER = [
  [FIELD.path, 'path'],
  [FIELD.interface, 'interface'],
  [FIELD.member, 'member'],
  [FIELD.errorName, 'errorName'],
  [FIELD.replySerial, 'replySerial'],
  [FIELD.destination, 'destination'],
] as const;

export function encodeMessage(message: OutgoingMessage, serial: number): Buffer {
  const signature = message.signature ?? '';
  const body = new WireWriter();
  body.writeAll(signature, message.body ?? []);
  const fields: DBusValue[] = [];
  for (const [code, key] of FIELD_ORDER) {
    const value = message[key];
    if (value !== undefined) fields.push([code, { signature: FIELD_TYPE[code]!, value }]);
  }
  if (signature !== '') fields.push([FIELD.signature, { signature: 'g', value: signature }]);
  const out = new WireWriter();
  out.writeAll('yyyyuua(yv)', ['l'.charCodeAt(0), message.type, message.flags ?? 0, 1, body.length, serial, fields]);
  out.align(8);
  return Buffer.concat([out.bytes(), body.bytes()]);
}

export function encodeMethodCall(call: MethodCall, serial: number): Buffer {
  return encodeMessage({ type: MessageType.methodCall, ...call }, serial);
}

/** Bytes the message starting at `bytes[0]` takes in all, or undefined while its fixed header is incomplete. */
export function messageLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < FIXED_HEADER) return undefined;
  const little = endianness(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, FIXED_HEADER);
  const bodyLength = view.getUint32(4, little);
  const fieldsLength = view.getUint32(12, little);
  const total = Math.ceil((FIXED_HEADER + fieldsLength) / 8) * 8 + bodyLength;
  if (total > MAX_MESSAGE_BYTES) throw new Error(`a message of ${total} bytes exceeds the D-Bus limit of ${MAX_MESSAGE_BYTES}`);
  return total;
}

function endianness(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x6c) return true; // 'l'
  if (bytes[0] === 0x42) return false; // 'B'
  throw new Error(`not a D-Bus message: endianness byte 0x${(bytes[0] ?? 0).toString(16)}`);
}

/** Reads one whole message (exactly messageLength bytes). */
export function decodeMessage(bytes: Uint8Array): Message {
  const little = endianness(bytes);
  const r = new WireReader(bytes, little);
  const [, type, , version, bodyLength, serial, fields] = r.readAll('yyyyuua(yv)') as [
    number,
    number,
    number,
    number,
    number,
    number,
    Array<[number, { signature: string; value: DBusValue }]>,
  ];
  if (version !== 1) throw new Error(`D-Bus protocol version ${version}, expected 1`);
  const header: Partial<Record<number, DBusValue>> = {};
  for (const [code, variant] of fields) {
    const want = FIELD_TYPE[code];
    // Unknown fields must be ignored (specification); known ones must have their type.
    if (want === undefined) continue;
    if (variant.signature !== want) throw new Error(`header field ${code} has type ${variant.signature}, expected ${want}`);
    header[code] = variant.value;
  }
  r.align(8);
  const bodyStart = r.pos;
  if (bodyStart + bodyLength !== bytes.length)
    throw new Error(`message body of ${bodyLength} bytes does not end the message (${bytes.length - bodyStart} left)`);
  const signature = (header[FIELD.signature] as string | undefined) ?? '';
  const bodyReader = new WireReader(bytes.subarray(bodyStart), little);
  const body = bodyReader.readAll(signature);
  if (bodyReader.pos !== bodyLength) throw new Error(`message body has ${bodyLength - bodyReader.pos} bytes after its signature "${signature}"`);
  return {
    type,
    serial,
    replySerial: header[FIELD.replySerial] as number | undefined,
    errorName: header[FIELD.errorName] as string | undefined,
    path: header[FIELD.path] as string | undefined,
    interface: header[FIELD.interface] as string | undefined,
    member: header[FIELD.member] as string | undefined,
    signature,
    body,
  };
}
