/**
 * The queue's storage form of several cycles: what they are (series, their
 * timestamps and values) rather than the requests they become, so a week of
 * outage fits where a day and a half of ready-to-send requests did.
 *
 * A block stands alone (its own series dictionary), so dropping the oldest
 * chunks or losing a damaged record never makes a later block unreadable:
 *
 *   u8 codec (1: zstd) | compressed(
 *     u8 format | varint strings | strings (varint length, UTF-8)
 *     | varint series | per series: varint labels, (varint name, varint value) string indexes
 *     | varint cycles | per cycle:
 *         zigzag delta-of-delta of createdMs against the previous cycles (0 on a regular grid)
 *         | varint groups | per group (one per source, one set of requests each):
 *             zigzag (collectedAtMs - createdMs) | varint series
 *             | per series: zigzag (id - previous id - 1) | varint samples
 *               | per sample: varint (zigzag (timestampMs - collectedAtMs) * 2 + stale) | value unless stale )
 *
 * A value is stored against the same series' previous value in the block:
 * 0 when its bits are unchanged; 1 + zigzag delta (varint) when both are
 * integers (counters); otherwise the XOR of the two doubles' bits as
 * 2 + 8 * leading zero bytes + trailing zero bytes, then the bytes between.
 * Stale markers are a flag, so their NaN payload survives whatever JavaScript
 * does with NaN bits.
 */
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { TimeSeries, WireSample } from './protobuf.ts';
import { seriesKey, type LabelPairs } from './series.ts';

/** The series of one source in one cycle: they become requests of their own. */
export interface CycleGroup {
  collectedAtMs: number;
  series: TimeSeries[];
}

export interface Cycle {
  /** When the cycle was collected; the age bound counts from here. */
  createdMs: number;
  groups: CycleGroup[];
}

const CODEC_ZSTD = 1;
const FORMAT = 1;
/** Bounds for counts read from a block, so garbage that passed the checksum cannot allocate without limit. */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the low and high 32-bit halves of a double in `u32` (the platform's byte order). */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Signed to unsigned, small magnitudes small; arithmetic rather than bit operations, as timestamps exceed 32 bits. */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

class ByteWriter {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned, up to 2^53. */
  varint(n: number): void {
    this.room(8);
    while (n >= 128) {
      this.buf[this.pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  zigzag(n: number): void {
    this.varint(zigzag(n));
  }

  string(s: string): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.room(bytes);
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class ByteReader {
  pos = 0;
  private readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('compact block: truncated');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
      if (scale > 2 ** 56) throw new Error('compact block: varint too long');
    }
  }

  zigzag(): number {
    return unzigzag(this.varint());
  }

  /** A count that must not exceed what the remaining bytes could describe. */
  count(): number {
    const n = this.varint();
    if (n > this.buf.length - this.pos + 1) throw new Error(`compact block: count ${n} beyond the block`);
    return n;
  }

  string(): string {
    const n = this.count();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Per-series previous value (its bits as two 32-bit halves, and the number), indexed by series id. */
class ValueState {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private prev: Float64Array;

  constructor(series: number) {
    this.hi = new Uint32Array(series);
    this.lo = new Uint32Array(series);
    this.prev = new Float64Array(series);
  }

  /** Makes room for ids below `series` (the encoder learns series as it goes). */
  grow(series: number): void {
    if (series <= this.hi.length) return;
    const size = Math.max(series, this.hi.length * 2);
    const grown = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.hi = grown(this.hi);
    this.lo = grown(this.lo);
    const prev = new Float64Array(size);
    prev.set(this.prev);
    this.prev = prev;
  }

  write(w: ByteWriter, id: number, value: number): void {
    f64[0] = value;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    const pHi = this.hi[id]!;
    const pLo = this.lo[id]!;
    const prev = this.prev[id]!;
    this.hi[id] = hi;
    this.lo[id] = lo;
    this.prev[id] = value;
    if (hi === pHi && lo === pLo) return w.byte(0);
    const delta = value - prev;
    // Integers both (but not -0, which an integer delta cannot restore) and an exact difference: a counter.
    if (Number.isSafeInteger(value) && Number.isSafeInteger(prev) && Number.isSafeInteger(delta) && !Object.is(value, -0)) {
      w.byte(1);
      return w.zigzag(delta);
    }
    // The XOR as 8 little-endian bytes, byte 0 the lowest: only those between the zero bytes at both ends are written.
    const xLo = (lo ^ pLo) >>> 0;
    const xHi = (hi ^ pHi) >>> 0;
    let trail = 0;
    while (trail < 8 && xorByte(xLo, xHi, trail) === 0) trail++;
    let lead = 0;
    while (xorByte(xLo, xHi, 7 - lead) === 0) lead++;
    w.byte(2 + lead * 8 + trail);
    for (let i = trail; i < 8 - lead; i++) w.byte(xorByte(xLo, xHi, i));
  }

  read(r: ByteReader, id: number): number {
    const code = r.byte();
    let value: number;
    if (code === 0) {
      u32[HI] = this.hi[id]!;
      u32[LO] = this.lo[id]!;
      value = f64[0]!;
    } else if (code === 1) {
      value = this.prev[id]! + r.zigzag();
      f64[0] = value;
    } else {
      const lead = Math.floor((code - 2) / 8);
      const trail = (code - 2) % 8;
      if (lead + trail >= 8) throw new Error(`compact block: bad value code ${code}`);
      let xLo = 0;
      let xHi = 0;
      for (let i = trail; i < 8 - lead; i++) {
        if (i < 4) xLo += r.byte() * 2 ** (8 * i);
        else xHi += r.byte() * 2 ** (8 * (i - 4));
      }
      u32[LO] = (this.lo[id]! ^ xLo) >>> 0;
      u32[HI] = (this.hi[id]! ^ xHi) >>> 0;
      value = f64[0]!;
    }
    this.hi[id] = u32[HI]!;
    this.lo[id] = u32[LO]!;
    this.prev[id] = value;
    return value;
  }
}

function xorByte(lo: number, hi: number, i: number): number {
  return i < 4 ? (lo >>> (8 * i)) & 255 : (hi >>> (8 * (i - 4))) & 255;
}

function assertInteger(ms: number, what: string): number {
  if (!Number.isSafeInteger(ms)) throw new Error(`compact block: ${what} ${ms} is not an integer millisecond timestamp`);
  return ms;
}

/** Encodes cycles, oldest first, into one block. */
export function encodeBlock(cycles: readonly Cycle[]): Buffer {
  const strings = new Map<string, number>();
  const seriesIds = new Map<string, number>();
  const dictionary = new ByteWriter();
  let seriesCount = 0;
  const stringId = (s: string): number => {
    let id = strings.get(s);
    if (id === undefined) strings.set(s, (id = strings.size));
    return id;
  };
  // Label arrays shared across cycles (the staleness tracker hands the same one on) skip building the key.
  const byArray = new Map<LabelPairs, number>();
  const seriesId = (labels: LabelPairs): number => {
    const known = byArray.get(labels);
    if (known !== undefined) return known;
    const key = seriesKey(labels);
    let id = seriesIds.get(key);
    byArray.set(labels, id ?? seriesCount);
    if (id === undefined) {
      seriesIds.set(key, (id = seriesCount++));
      dictionary.varint(labels.length);
      for (const [name, value] of labels) {
        dictionary.varint(stringId(name));
        dictionary.varint(stringId(value));
      }
    }
    return id;
  };

  const body = new ByteWriter();
  const values = new ValueState(1024);
  body.varint(cycles.length);
  let prevMs = 0;
  let prevDelta = 0;
  for (const cycle of cycles) {
    const delta = assertInteger(cycle.createdMs, 'cycle time') - prevMs;
    body.zigzag(delta - prevDelta);
    prevDelta = delta;
    prevMs = cycle.createdMs;
    body.varint(cycle.groups.length);
    for (const group of cycle.groups) {
      body.zigzag(assertInteger(group.collectedAtMs, 'collection time') - cycle.createdMs);
      body.varint(group.series.length);
      let prevId = -1;
      for (const ts of group.series) {
        const id = seriesId(ts.labels as LabelPairs);
        values.grow(seriesCount);
        body.zigzag(id - prevId - 1);
        prevId = id;
        body.varint(ts.samples.length);
        for (const s of ts.samples) {
          body.varint(zigzag(assertInteger(s.timestampMs, 'sample timestamp') - group.collectedAtMs) * 2 + (s.stale ? 1 : 0));
          if (!s.stale) values.write(body, id, s.value);
        }
      }
    }
  }

  const head = new ByteWriter();
  head.byte(FORMAT);
  head.varint(strings.size);
  for (const s of strings.keys()) head.string(s);
  head.varint(seriesCount);
  const raw = Buffer.concat([head.bytes(), dictionary.bytes(), body.bytes()]);
  const compressed = zstdCompressSync(raw);
  const out = Buffer.allocUnsafe(1 + compressed.length);
  out[0] = CODEC_ZSTD;
  compressed.copy(out, 1);
  return out;
}

/** Decodes a block back into its cycles; throws on anything malformed (the caller counts it as corrupt). */
export function decodeBlock(block: Buffer): Cycle[] {
  if (block.length < 1 || block[0] !== CODEC_ZSTD) throw new Error(`compact block: unknown codec ${block[0]}`);
  const r = new ByteReader(zstdDecompressSync(block.subarray(1), { maxOutputLength: MAX_DECOMPRESSED_BYTES }));
  if (r.byte() !== FORMAT) throw new Error('compact block: unknown format');
  const strings: string[] = [];
  for (let n = r.count(); n > 0; n--) strings.push(r.string());
  const str = (): string => {
    const s = strings[r.varint()];
    if (s === undefined) throw new Error('compact block: string index out of range');
    return s;
  };
  const dictionary: LabelPairs[] = [];
  for (let n = r.count(); n > 0; n--) {
    const labels: LabelPairs = [];
    for (let k = r.count(); k > 0; k--) labels.push([str(), str()]);
    dictionary.push(labels);
  }

  const values = new ValueState(dictionary.length);
  const cycles: Cycle[] = [];
  let prevMs = 0;
  let prevDelta = 0;
  for (let c = r.count(); c > 0; c--) {
    const delta = prevDelta + r.zigzag();
    const createdMs = prevMs + delta;
    prevDelta = delta;
    prevMs = createdMs;
    const groups: CycleGroup[] = [];
    for (let g = r.count(); g > 0; g--) {
      const collectedAtMs = createdMs + r.zigzag();
      const series: TimeSeries[] = [];
      let prevId = -1;
      for (let n = r.count(); n > 0; n--) {
        const id = prevId + 1 + r.zigzag();
        prevId = id;
        const labels = dictionary[id];
        if (labels === undefined) throw new Error('compact block: series id out of range');
        const samples: WireSample[] = [];
        for (let k = r.count(); k > 0; k--) {
          const code = r.varint();
          const stale = code % 2 === 1;
          const timestampMs = collectedAtMs + unzigzag(Math.floor(code / 2));
          samples.push(stale ? { value: Number.NaN, timestampMs, stale: true } : { value: values.read(r, id), timestampMs });
        }
        series.push({ labels, samples });
      }
      groups.push({ collectedAtMs, series });
    }
    cycles.push({ createdMs, groups });
  }
  if (!r.done) throw new Error('compact block: trailing bytes');
  return cycles;
}
