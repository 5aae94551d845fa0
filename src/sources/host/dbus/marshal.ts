/**
 * D-Bus wire format: values of a type signature read from and written to
 * bytes, with the specification's alignment rules (each value starts at a
 * multiple of its type's alignment, counted from the start of the message;
 * the body starts 8-aligned, so counting from the body's start is the same).
 * Both byte orders are read; little-endian is written.
 */

/** A decoded value: integers up to 32 bits are numbers, 64-bit ones bigints; arrays and structs are arrays; `a{..}` is an array of [key, value]. */
export type DBusValue = number | bigint | string | boolean | Variant | DBusValue[];

export interface Variant {
  signature: string;
  value: DBusValue;
}

const ALIGNMENT: Record<string, number> = { y: 1, g: 1, v: 1, n: 2, q: 2, b: 4, i: 4, u: 4, h: 4, s: 4, o: 4, a: 4, x: 8, t: 8, d: 8, '(': 8, '{': 8 };

/** The end (exclusive) of the single complete type starting at `start` of `sig`. */
function completeTypeEnd(sig: string, start: number): number {
  const c = sig[start];
  if (c === undefined) throw new Error(`signature "${sig}" ends where a type was expected`);
  if (c === 'a') return completeTypeEnd(sig, start + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let i = start + 1;
    while (sig[i] !== close) {
      if (i >= sig.length) throw new Error(`signature "${sig}" has an unclosed ${c}`);
      i = completeTypeEnd(sig, i);
    }
    return i + 1;
  }
  if (!(c in ALIGNMENT)) throw new Error(`signature "${sig}" has the unknown type code ${JSON.stringify(c)}`);
  return start + 1;
}

/** A signature split into its single complete types: "ssu" → ["s", "s", "u"]. */
export function splitSignature(sig: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = completeTypeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

function memberTypes(container: string): string[] {
  return splitSignature(container.slice(1, -1));
}

export class WireReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly little: boolean;
  pos = 0;

  constructor(bytes: Uint8Array, little: boolean) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.little = little;
  }

  /** Reads the values of a whole signature (a message body). */
  readAll(sig: string): DBusValue[] {
    return splitSignature(sig).map((t) => this.read(t));
  }

  read(type: string): DBusValue {
    const code = type[0]!;
    this.align(ALIGNMENT[code] ?? 1);
    switch (code) {
      case 'y':
        return this.take(1, (p) => this.view.getUint8(p));
      case 'b': {
        const v = this.take(4, (p) => this.view.getUint32(p, this.little));
        if (v > 1) throw new Error(`boolean value ${v} at byte ${this.pos - 4}`);
        return v === 1;
      }
      case 'n':
        return this.take(2, (p) => this.view.getInt16(p, this.little));
      case 'q':
        return this.take(2, (p) => this.view.getUint16(p, this.little));
      case 'i':
        return this.take(4, (p) => this.view.getInt32(p, this.little));
      case 'u':
      case 'h':
        return this.take(4, (p) => this.view.getUint32(p, this.little));
      case 'x':
        return this.take(8, (p) => this.view.getBigInt64(p, this.little));
      case 't':
        return this.take(8, (p) => this.view.getBigUint64(p, this.little));
      case 'd':
        return this.take(8, (p) => this.view.getFloat64(p, this.little));
      case 's':
      case 'o':
        return this.string(this.take(4, (p) => this.view.getUint32(p, this.little)));
      case 'g':
        return this.string(this.take(1, (p) => this.view.getUint8(p)));
      case 'v': {
        const signature = this.string(this.take(1, (p) => this.view.getUint8(p)));
        if (completeTypeEnd(signature, 0) !== signature.length) throw new Error(`variant signature "${signature}" is not one complete type`);
        return { signature, value: this.read(signature) };
      }
      case 'a':
        return this.array(type.slice(1));
      case '(':
      case '{':
        return memberTypes(type).map((t) => this.read(t));
      default:
        throw new Error(`cannot read type code ${JSON.stringify(code)}`);
    }
  }

  private array(element: string): DBusValue[] {
    const length = this.take(4, (p) => this.view.getUint32(p, this.little));
    this.align(ALIGNMENT[element[0]!] ?? 1);
    const end = this.pos + length;
    if (end > this.bytes.length) throw new Error(`array of ${length} bytes at byte ${this.pos} runs past the end (${this.bytes.length})`);
    const items: DBusValue[] = [];
    while (this.pos < end) items.push(this.read(element));
    if (this.pos !== end) throw new Error(`array elements overran the array's length at byte ${this.pos}`);
    return items;
  }

  private string(length: number): string {
    const end = this.pos + length;
    if (end >= this.bytes.length) throw new Error(`string of ${length} bytes at byte ${this.pos} runs past the end (${this.bytes.length})`);
    if (this.bytes[end] !== 0) throw new Error(`string at byte ${this.pos} is not NUL-terminated`);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, length).toString('utf8');
    this.pos = end + 1;
    return text;
  }

  align(n: number): void {
    const padded = Math.ceil(this.pos / n) * n;
    if (padded > this.bytes.length) throw new Error(`padding at byte ${this.pos} runs past the end (${this.bytes.length})`);
    this.pos = padded;
  }

  private take<T>(size: number, get: (pos: number) => T): T {
    if (this.pos + size > this.bytes.length) throw new Error(`a ${size}-byte value at byte ${this.pos} runs past the end (${this.bytes.length})`);
    const v = get(this.pos);
    this.pos += size;
    return v;
  }
}

/** Builds little-endian D-Bus bytes. */
export class WireWriter {
  private buf = Buffer.alloc(256);
  length = 0;

  writeAll(sig: string, values: readonly DBusValue[]): void {
    const types = splitSignature(sig);
    if (types.length !== values.length) throw new Error(`signature "${sig}" has ${types.length} types for ${values.length} values`);
    types.forEach((t, i) => this.write(t, values[i]!));
  }

  write(type: string, value: DBusValue): void {
    const code = type[0]!;
    this.align(ALIGNMENT[code] ?? 1);
    switch (code) {
      case 'y':
        return this.put(1, (b, p) => b.writeUInt8(expectNumber(value, type), p));
      case 'b':
        return this.put(4, (b, p) => b.writeUInt32LE(value === true ? 1 : 0, p));
      case 'n':
        return this.put(2, (b, p) => b.writeInt16LE(expectNumber(value, type), p));
      case 'q':
        return this.put(2, (b, p) => b.writeUInt16LE(expectNumber(value, type), p));
      case 'i':
        return this.put(4, (b, p) => b.writeInt32LE(expectNumber(value, type), p));
      case 'u':
      case 'h':
        return this.put(4, (b, p) => b.writeUInt32LE(expectNumber(value, type), p));
      case 'x':
        return this.put(8, (b, p) => b.writeBigInt64LE(BigInt(value as bigint), p));
      case 't':
        return this.put(8, (b, p) => b.writeBigUInt64LE(BigInt(value as bigint), p));
      case 'd':
        return this.put(8, (b, p) => b.writeDoubleLE(expectNumber(value, type), p));
      case 's':
      case 'o':
        return this.string(expectString(value, type), 4);
      case 'g':
        return this.string(expectString(value, type), 1);
      case 'v': {
        const v = value as Variant;
        this.string(v.signature, 1);
        return this.write(v.signature, v.value);
      }
      case 'a': {
        const lengthAt = this.length;
        this.put(4, () => undefined);
        const element = type.slice(1);
        this.align(ALIGNMENT[element[0]!] ?? 1);
        const start = this.length;
        for (const item of value as DBusValue[]) this.write(element, item);
        this.buf.writeUInt32LE(this.length - start, lengthAt);
        return;
      }
      case '(':
      case '{': {
        const types = memberTypes(type);
        const fields = value as DBusValue[];
        if (fields.length !== types.length) throw new Error(`${type} needs ${types.length} fields, got ${fields.length}`);
        types.forEach((t, i) => this.write(t, fields[i]!));
        return;
      }
      default:
        throw new Error(`cannot write type code ${JSON.stringify(code)}`);
    }
  }

  align(n: number): void {
    const padded = Math.ceil(this.length / n) * n;
    this.put(padded - this.length, () => undefined);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  private string(text: string, lengthSize: 1 | 4): void {
    const data = Buffer.from(text, 'utf8');
    if (lengthSize === 1) this.put(1, (b, p) => b.writeUInt8(data.length, p));
    else this.put(4, (b, p) => b.writeUInt32LE(data.length, p));
    this.put(data.length + 1, (b, p) => data.copy(b, p));
  }

  private put(size: number, set: (buf: Buffer, pos: number) => void): void {
    if (this.length + size > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + size));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    // Buffer.alloc zero-fills, so padding and string terminators are already 0.
    set(this.buf, this.length);
    this.length += size;
  }
}

function expectNumber(value: DBusValue, type: string): number {
  if (typeof value !== 'number') throw new Error(`type ${type} needs a number, got ${typeof value}`);
  return value;
}

function expectString(value: DBusValue, type: string): string {
  if (typeof value !== 'string') throw new Error(`type ${type} needs a string, got ${typeof value}`);
  return value;
}
