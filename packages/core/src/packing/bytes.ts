/**
 * A compact byte format for the packed items of the Panes, Windows and Latest tables: unsigned
 * integers as LEB128 varints (7 bits a byte, so 0..127 take one byte and an epoch-ms time six),
 * signed ones zigzag-mapped first, strings as a varint length and their bytes. DynamoDB bills
 * writes by the started KB of the item, so a tick's worth of state costs what it takes here:
 * a price in cents is 2-3 bytes instead of a 5-7 byte number attribute with its name.
 *
 * Exact for every unsigned safe integer and signed ones below 2^52: the arithmetic avoids JavaScript's 32-bit
 * bitwise operators. A small format of our own, like the KPL reader beside the tick decoder:
 * three message shapes do not justify a schema compiler. Reading past the end, or a varint
 * longer than a safe integer, throws PackedFormatError.
 */

export class PackedFormatError extends Error {
  constructor(message: string) {
    super(`malformed packed data: ${message}`);
    this.name = "PackedFormatError";
  }
}

const TWO_7 = 128;
/** The value of each lower-case hex digit, by its character code. */
const HEX_VALUE = new Uint8Array(128);
for (let d = 0; d < 16; d++) HEX_VALUE["0123456789abcdef".charCodeAt(d)] = d;
/** Signed values are zigzag-mapped to twice their size: this keeps the result a safe integer. */
export const MAX_SIGNED = 2 ** 52 - 1;

export class ByteWriter {
  private buf: Uint8Array;
  private n = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }

  private room(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + bytes));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** A non-negative safe integer. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not an unsigned safe integer: ${value}`);
    this.room(8);
    let v = value;
    while (v >= TWO_7) {
      this.buf[this.n++] = (v % TWO_7) + TWO_7;
      v = Math.floor(v / TWO_7);
    }
    this.buf[this.n++] = v;
    return this;
  }

  /** An integer with |value| < 2^52 (zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). */
  int(value: number): this {
    if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_SIGNED) throw new RangeError(`not a signed integer below 2^52: ${value}`);
    return this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** A string of code points below 256 (instrument ids, shard ids): length, then one byte each. */
  latin1(value: string): this {
    this.uint(value.length);
    this.room(value.length);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) throw new RangeError(`not a one-byte string: ${JSON.stringify(value)}`);
      this.buf[this.n++] = c;
    }
    return this;
  }

  /** A non-negative decimal integer of any length (a Kinesis sequence number), as its binary varint. */
  decimal(value: string): this {
    if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new RangeError(`not a decimal integer: ${JSON.stringify(value)}`);
    // Through the native hex conversion, then 4 bits at a time in plain numbers: a quarter of
    // the time of shifting a BigInt 7 bits at a time (a new BigInt per step), and this runs
    // once per value of every Latest log entry.
    const hex = BigInt(value).toString(16);
    this.room(Math.ceil((hex.length * 4) / 7) + 1);
    const start = this.n;
    let acc = 0;
    let bits = 0;
    for (let i = hex.length - 1; i >= 0; i--) {
      acc |= HEX_VALUE[hex.charCodeAt(i)]! << bits;
      bits += 4;
      if (bits >= 7) {
        this.buf[this.n++] = acc & 127;
        acc >>>= 7;
        bits -= 7;
      }
    }
    if (bits > 0) this.buf[this.n++] = acc;
    // Groups of leading zero bits are not written (the first hex digit has up to three).
    while (this.n - start > 1 && this.buf[this.n - 1] === 0) this.n--;
    for (let i = start; i < this.n - 1; i++) this.buf[i]! |= TWO_7;
    return this;
  }

  get length(): number {
    return this.n;
  }

  /** The bytes written (a copy). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export class ByteReader {
  private i = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.i >= this.buf.length;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.i >= this.buf.length) throw new PackedFormatError("varint runs past the end");
      const b = this.buf[this.i++]!;
      value += (b % TWO_7) * scale;
      if (b < TWO_7) break;
      scale *= TWO_7;
      if (scale > Number.MAX_SAFE_INTEGER) throw new PackedFormatError("varint too long");
    }
    if (!Number.isSafeInteger(value)) throw new PackedFormatError("varint beyond a safe integer");
    return value;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  decimal(): string {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (this.i >= this.buf.length) throw new PackedFormatError("varint runs past the end");
      const b = this.buf[this.i++]!;
      value |= BigInt(b % TWO_7) << shift;
      if (b < TWO_7) return value.toString();
      shift += 7n;
    }
  }

  latin1(): string {
    const length = this.uint();
    if (this.i + length > this.buf.length) throw new PackedFormatError("string runs past the end");
    let s = "";
    for (let k = 0; k < length; k++) s += String.fromCharCode(this.buf[this.i++]!);
    return s;
  }
}
