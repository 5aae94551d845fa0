/**
 * Netlink's wire format (netlink(7)): message headers and the type-length-
 * value attributes every netlink family carries, in the host's byte order
 * (little-endian on the architectures edgepush ships for). The native addon
 * only sends a request and returns the replies' bytes; reading them is here.
 */

export const NLM_F_DUMP = 0x300;
const HEADER_BYTES = 16;
const ATTRIBUTE_HEADER_BYTES = 4;
/** The nested and byte-order flags share the type field; neither is part of the type. */
const ATTRIBUTE_TYPE_MASK = 0x3fff;

/** Sends one request and returns the reply messages, headers included (NativeAddon.netlinkRequest). */
export type NetlinkRequest = (protocol: number, type: number, flags: number, payload: Buffer) => Buffer[];

export interface NetlinkMessage {
  type: number;
  /** The bytes after the 16-byte header. */
  body: Buffer;
}

export interface NetlinkAttribute {
  type: number;
  data: Buffer;
}

const align4 = (n: number): number => (n + 3) & ~3;

export function parseMessage(bytes: Buffer): NetlinkMessage {
  if (bytes.length < HEADER_BYTES) throw new Error(`netlink message of ${bytes.length} bytes is shorter than its header`);
  const length = bytes.readUInt32LE(0);
  if (length < HEADER_BYTES || length > bytes.length) throw new Error(`netlink message says ${length} bytes but has ${bytes.length}`);
  return { type: bytes.readUInt16LE(4), body: bytes.subarray(HEADER_BYTES, length) };
}

/** The attributes of `bytes` in order; a length running past the end is an error, as Go's netlink.UnmarshalAttributes. */
export function parseAttributes(bytes: Buffer): NetlinkAttribute[] {
  const out: NetlinkAttribute[] = [];
  let offset = 0;
  while (offset + ATTRIBUTE_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt16LE(offset);
    if (length < ATTRIBUTE_HEADER_BYTES || offset + length > bytes.length)
      throw new Error(`netlink attribute at byte ${offset} says ${length} bytes, ${bytes.length - offset} remain`);
    out.push({ type: bytes.readUInt16LE(offset + 2) & ATTRIBUTE_TYPE_MASK, data: bytes.subarray(offset + ATTRIBUTE_HEADER_BYTES, offset + length) });
    offset += align4(length);
  }
  return out;
}

/** Encodes attributes for a request (each padded to 4 bytes). */
export function encodeAttributes(attributes: readonly NetlinkAttribute[]): Buffer {
  const parts = attributes.map((a) => {
    const part = Buffer.alloc(align4(ATTRIBUTE_HEADER_BYTES + a.data.length));
    part.writeUInt16LE(ATTRIBUTE_HEADER_BYTES + a.data.length, 0);
    part.writeUInt16LE(a.type, 2);
    a.data.copy(part, ATTRIBUTE_HEADER_BYTES);
    return part;
  });
  return Buffer.concat(parts);
}

export function u32Bytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** A string attribute: its bytes up to the first NUL. */
export function attributeString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end === -1 ? data.length : end);
}

/** Fixed-size reads that name the attribute when it is too short. */
export function attributeUint(data: Buffer, bytes: 1 | 2 | 4 | 8, what: string): number {
  if (data.length < bytes) throw new Error(`netlink attribute ${what} has ${data.length} bytes, needs ${bytes}`);
  if (bytes === 1) return data.readUInt8(0);
  if (bytes === 2) return data.readUInt16LE(0);
  if (bytes === 4) return data.readUInt32LE(0);
  return Number(data.readBigUInt64LE(0));
}
