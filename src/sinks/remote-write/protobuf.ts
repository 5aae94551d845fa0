/**
 * Hand-encoded Prometheus remote write 1.0 WriteRequest (prompb):
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 *
 * Four messages are not worth a schema compiler: sizes are computed in a first
 * pass, then everything is written into one exactly sized buffer.
 */

export interface WireSample {
  value: number;
  timestampMs: number;
  /** Written as Prometheus' stale marker NaN (0x7ff0000000000002) whatever `value` says. */
  stale?: boolean;
}

export interface TimeSeries {
  /** [name, value] pairs, `__name__` included, sorted by name (the receiver expects it). */
  labels: ReadonlyArray<readonly [string, string]>;
  samples: readonly WireSample[];
}

/** The bits of Prometheus' StaleNaN; JavaScript cannot carry a NaN payload through a number reliably. */
const STALE_NAN_HIGH = 0x7ff00000;
const STALE_NAN_LOW = 0x00000002;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const tag = (field: number, wire: number): number => (field << 3) | wire;

const TAG_TIMESERIES = tag(1, WIRE_LEN);
const TAG_LABEL = tag(1, WIRE_LEN);
const TAG_SAMPLE = tag(2, WIRE_LEN);
const TAG_NAME = tag(1, WIRE_LEN);
const TAG_VALUE = tag(2, WIRE_LEN);
const TAG_DOUBLE = tag(1, WIRE_FIXED64);
const TAG_TIMESTAMP = tag(2, WIRE_VARINT);

/** UTF-8 length; label names and most values are ASCII, which a JS scan settles faster than a native call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return s.length;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** int64 varint: negative values take ten bytes (two's complement), as protobuf mandates. */
function int64Size(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

function sampleSize(s: WireSample): number {
  // value: tag + 8 bytes; timestamp: tag + varint (proto3 omits a zero timestamp).
  return 1 + 8 + (s.timestampMs === 0 ? 0 : 1 + int64Size(s.timestampMs));
}

function lenField(payload: number): number {
  return 1 + varintSize(payload) + payload;
}

class Writer {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    while (n >= 128) {
      this.buf[this.pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  int64(n: number): void {
    if (n >= 0) return this.varint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  string(s: string, bytes: number): void {
    this.varint(bytes);
    if (bytes === s.length) {
      // ASCII (byte length equals length): a plain loop beats a native call for short label strings.
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else {
      this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
    }
  }
}

/**
 * Sizes of the first pass, kept for the second: [series size, then per label
 * its size, name bytes, value bytes] per series. One array reused by every
 * call (the encoder is synchronous), grown when a request needs more (a
 * request is bounded by max_samples_per_send, so this stays small): this runs
 * every cycle, and per-call arrays were a large part of its garbage.
 */
let sizes = new Int32Array(4096);

function sizesFor(series: readonly TimeSeries[]): Int32Array {
  let needed = 0;
  for (let i = 0; i < series.length; i++) needed += 1 + 3 * series[i]!.labels.length;
  if (sizes.length < needed) sizes = new Int32Array(Math.max(needed, sizes.length * 2));
  return sizes;
}

/** Encodes the series into a WriteRequest; the result is the uncompressed protobuf body. */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const sz = sizesFor(series);
  // First pass: byte lengths of every string and of every nested message.
  let total = 0;
  let k = 0;
  for (let i = 0; i < series.length; i++) {
    const ts = series[i]!;
    const at = k++;
    let tsSize = 0;
    for (let j = 0; j < ts.labels.length; j++) {
      const label = ts.labels[j]!;
      const n = utf8Length(label[0]);
      const v = utf8Length(label[1]);
      const size = lenField(n) + lenField(v);
      sz[k++] = size;
      sz[k++] = n;
      sz[k++] = v;
      tsSize += lenField(size);
    }
    for (let j = 0; j < ts.samples.length; j++) tsSize += lenField(sampleSize(ts.samples[j]!));
    sz[at] = tsSize;
    total += lenField(tsSize);
  }

  const w = new Writer(total);
  k = 0;
  for (let i = 0; i < series.length; i++) {
    const ts = series[i]!;
    w.byte(TAG_TIMESERIES);
    w.varint(sz[k++]!);
    for (let j = 0; j < ts.labels.length; j++) {
      const label = ts.labels[j]!;
      w.byte(TAG_LABEL);
      w.varint(sz[k++]!);
      w.byte(TAG_NAME);
      w.string(label[0], sz[k++]!);
      w.byte(TAG_VALUE);
      w.string(label[1], sz[k++]!);
    }
    for (let j = 0; j < ts.samples.length; j++) {
      const s = ts.samples[j]!;
      w.byte(TAG_SAMPLE);
      w.varint(sampleSize(s));
      w.byte(TAG_DOUBLE);
      if (s.stale) {
        w.buf.writeUInt32LE(STALE_NAN_LOW, w.pos);
        w.buf.writeUInt32LE(STALE_NAN_HIGH, w.pos + 4);
      } else {
        w.buf.writeDoubleLE(s.value, w.pos);
      }
      w.pos += 8;
      if (s.timestampMs !== 0) {
        w.byte(TAG_TIMESTAMP);
        w.int64(s.timestampMs);
      }
    }
  }
  if (w.pos !== total) throw new Error(`WriteRequest encoder wrote ${w.pos} bytes, computed ${total}`);
  return w.buf;
}

/** Encoded size of one series inside a WriteRequest, for batching by bytes without encoding twice. */
export function encodedSeriesSize(ts: TimeSeries): number {
  let size = 0;
  for (let j = 0; j < ts.labels.length; j++) {
    const label = ts.labels[j]!;
    size += lenField(lenField(utf8Length(label[0])) + lenField(utf8Length(label[1])));
  }
  for (let j = 0; j < ts.samples.length; j++) size += lenField(sampleSize(ts.samples[j]!));
  return lenField(size);
}
