/**
 * Snappy block format (not the framed/stream format): what remote write 1.0
 * mandates with `Content-Encoding: snappy`.
 */
import snappyjs from 'snappyjs';

export function snappyCompress(data: Uint8Array): Buffer {
  return Buffer.from(snappyjs.compress(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
}

/** `maxLength` bounds the declared uncompressed size so a garbled header cannot make us allocate gigabytes. */
export function snappyUncompress(data: Uint8Array, maxLength = 64 * 1024 * 1024): Buffer {
  return Buffer.from(snappyjs.uncompress(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), maxLength));
}
