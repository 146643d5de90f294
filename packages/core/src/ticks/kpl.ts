import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import { MAX_RECORD_BYTES } from "./result.js";

/**
 * KPL aggregated records (packages/core/src/ticks/kpl.ts): the format the Kinesis Producer
 * Library and the kinesis-aggregation libraries put many user records into one Kinesis record
 * with. Lives beside the tick decoder because the consumers' record framing (`kinesis/batch.ts`)
 * opens aggregates before decoding their ticks; the producer encodes with the same module.
 *
 *   bytes 0..3   magic F3 89 9A C2
 *   protobuf     AggregatedRecord { repeated string partition_key_table = 1;
 *                                   repeated string explicit_hash_key_table = 2;
 *                                   repeated Record records = 3; }
 *                Record { required uint64 partition_key_index = 1;
 *                         optional uint64 explicit_hash_key_index = 2;
 *                         required bytes data = 3; repeated Tag tags = 4; }
 *                Tag { required string key = 1; optional string value = 2; }
 *   last 16      MD5 digest of the protobuf bytes
 *
 * The protobuf reader and writer cover these three messages only; a general protobuf library
 * would cost a dependency and a code generator for three messages, and this reader is the
 * consumers' hot path (no allocation per field, data returned as views into the record).
 *
 * Decoding never throws. What makes the whole aggregate bad (one reason for the whole record):
 * a wrong magic number after a partial match, a record shorter than magic plus digest, malformed
 * protobuf (truncated varint, a length past the end, an unsupported wire type, a known field
 * with the wrong wire type), more than {@link MAX_SUB_RECORDS} sub-records, none at all, or an
 * MD5 mismatch. What makes one sub-record bad (its siblings stay good): a missing required
 * field, a partition key or explicit hash key index outside its table, a table entry that breaks
 * the Kinesis limits (a partition key of 1 to 256 characters, an explicit hash key a decimal
 * below 2^128) or is not UTF-8, a tag without a key.
 */

export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const DIGEST_BYTES = 16;
const OVERHEAD = KPL_MAGIC.length + DIGEST_BYTES;
/**
 * Most sub-records in one aggregate. No tick fits in fewer than 16 bytes, so a real 1 MiB
 * aggregate of ticks stays far below; the cap bounds the work a hostile record can cause.
 */
export const MAX_SUB_RECORDS = 65_536;
/** Kinesis partition keys are 1 to 256 characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;
const MAX_HASH_KEY = (1n << 128n) - 1n;

/** One user record to put into an aggregate. */
export interface AggregateInput {
  partitionKey: string;
  data: Uint8Array;
  /** Decimal 128-bit integer, as Kinesis takes it; routes the whole aggregate when first. */
  explicitHashKey?: string;
}

/** One sub-record as decoded: its data (a view into the record), or why it is bad. */
export type SubRecord =
  | { ok: true; partitionKey: string; explicitHashKey: string | null; data: Uint8Array }
  | { ok: false; reason: string; data: Uint8Array };

/** A decoded aggregate: its sub-records in order, or why the whole record is bad. */
export type AggregateResult = { ok: true; records: SubRecord[] } | { ok: false; reason: string };

/** True when the record carries the KPL magic number. */
export function isAggregated(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xf3 && bytes[1] === 0x89 && bytes[2] === 0x9a && bytes[3] === 0xc2;
}

/**
 * True when the record (or its bytes [start, end), without a view per call) starts like an
 * aggregate: the first three magic bytes. F3 89 9A opens a four-byte UTF-8 sequence of an
 * unassigned plane, so no tick text starts so; such a record with a wrong fourth byte is a
 * damaged aggregate, not text.
 */
export function looksAggregated(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  return end - start >= 3 && bytes[start] === 0xf3 && bytes[start + 1] === 0x89 && bytes[start + 2] === 0x9a;
}

// ---------------------------------------------------------------------------------------------
// Reader

/**
 * The sub-records of an aggregate as offsets into the record, for loops that want no object per
 * sub-record: sub-record i spans [starts[i], ends[i]) and is good when
 * {@link subRecordProblem} is null. Reused between calls of {@link parseAggregate}; copy what
 * must outlive the next call.
 */
export interface AggregateLayout {
  count: number;
  starts: number[];
  ends: number[];
  /** What is wrong with the sub-record itself (fields, indexes), or null. */
  reasons: (string | null)[];
  pkIndex: number[];
  /** -1 when absent. */
  ehkIndex: number[];
  pkStarts: number[];
  pkEnds: number[];
  ehkStarts: number[];
  ehkEnds: number[];
  /** Table entries' problems (tableEntryProblem), each filled when a sub-record first uses it. */
  pkProblems: (string | null | undefined)[];
  ehkProblems: (string | null | undefined)[];
}

/** An empty layout for {@link parseAggregate} to fill (and refill: keep one per loop). */
export function createAggregateLayout(): AggregateLayout {
  return {
    count: 0,
    starts: [],
    ends: [],
    reasons: [],
    pkIndex: [],
    ehkIndex: [],
    pkStarts: [],
    pkEnds: [],
    ehkStarts: [],
    ehkEnds: [],
    pkProblems: [],
    ehkProblems: [],
  };
}

const layout = createAggregateLayout();

class Malformed {
  constructor(readonly reason: string) {}
}

// Varint reader state: the position after the last varint read.
let pos = 0;

/** Reads a varint at `pos` below `end`. Values above 2^53 lose precision; they only fail bounds. */
function varint(buf: Uint8Array, end: number): number {
  let b = pos < end ? buf[pos++]! : -1;
  if (b < 0) throw new Malformed("truncated varint");
  if (b < 0x80) return b;
  let value = b & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 10; i++) {
    b = pos < end ? buf[pos++]! : -1;
    if (b < 0) throw new Malformed("truncated varint");
    if (i === 9 && b > 1) throw new Malformed("varint longer than 64 bits");
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 0x80;
  }
  throw new Malformed("varint longer than 64 bits");
}

/** Reads a length prefix at `pos` and returns the end of the field's bytes. */
function lengthEnd(buf: Uint8Array, end: number, what: string): number {
  const length = varint(buf, end);
  if (length > end - pos) throw new Malformed(`${what} runs past the end (truncated)`);
  return pos + length;
}

function skip(buf: Uint8Array, end: number, wireType: number, field: number): void {
  switch (wireType) {
    case 0:
      varint(buf, end);
      return;
    case 1:
    case 5: {
      const size = wireType === 1 ? 8 : 4;
      if (end - pos < size) throw new Malformed(`field ${field} runs past the end (truncated)`);
      pos += size;
      return;
    }
    case 2:
      pos = lengthEnd(buf, end, `field ${field}`);
      return;
    default:
      throw new Malformed(`field ${field} has unsupported wire type ${wireType}`);
  }
}

// The wire type of the key that the last readKey read.
let keyWireType = 0;

/** Reads a field key at `pos`: returns its field number and leaves its wire type in `keyWireType`. */
function readKey(buf: Uint8Array, end: number, zeroField: string): number {
  const key = varint(buf, end);
  const field = Math.floor(key / 8);
  keyWireType = key % 8;
  if (field === 0) throw new Malformed(zeroField);
  return field;
}

function wrongType(message: string, field: number, wireType: number): Malformed {
  return new Malformed(`${message} field ${field} has wire type ${wireType}`);
}

/** Reads one `Record` in [start, end) into slot i of the layout. */
function readRecord(buf: Uint8Array, start: number, end: number, i: number, out: AggregateLayout): void {
  pos = start;
  let pk = -1;
  let ehk = -1;
  let dataStart = -1;
  let dataEnd = -1;
  let reason: string | null = null;
  while (pos < end) {
    const field = readKey(buf, end, "record holds field number 0");
    if (field === 1 || field === 2) {
      if (keyWireType !== 0) throw wrongType("record", field, keyWireType);
      const value = varint(buf, end);
      if (field === 1) pk = value;
      else ehk = value;
    } else if (field === 3) {
      if (keyWireType !== 2) throw wrongType("record", field, keyWireType);
      dataEnd = lengthEnd(buf, end, "record data");
      dataStart = pos;
      pos = dataEnd;
    } else if (field === 4) {
      if (keyWireType !== 2) throw wrongType("record", field, keyWireType);
      const tagEnd = lengthEnd(buf, end, "record tag");
      if (!readTag(buf, tagEnd)) reason ??= "tag without a key";
      pos = tagEnd;
    } else {
      skip(buf, end, keyWireType, field);
    }
  }
  if (pk < 0) reason = "missing required field partition_key_index";
  else if (dataStart < 0) reason = "missing required field data";
  else if (pk >= out.pkStarts.length) reason = `partition key index ${pk} outside the table of ${out.pkStarts.length}`;
  else if (ehk >= out.ehkStarts.length) reason = `explicit hash key index ${ehk} outside the table of ${out.ehkStarts.length}`;
  out.starts[i] = dataStart < 0 ? start : dataStart;
  out.ends[i] = dataStart < 0 ? start : dataEnd;
  out.reasons[i] = reason;
  out.pkIndex[i] = pk;
  out.ehkIndex[i] = ehk;
}

/** Reads a `Tag` in [pos, end); false when it lacks its required key. */
function readTag(buf: Uint8Array, end: number): boolean {
  let key = false;
  while (pos < end) {
    const field = readKey(buf, end, "tag holds field number 0");
    if (field === 1 || field === 2) {
      if (keyWireType !== 2) throw wrongType("tag", field, keyWireType);
      pos = lengthEnd(buf, end, "tag string");
      if (field === 1) key = true;
    } else {
      skip(buf, end, keyWireType, field);
    }
  }
  return key;
}

/**
 * Reads an aggregate into the shared {@link AggregateLayout}: null when it is good (its
 * sub-records may still be bad one by one), else the reason the whole record is bad. Checks
 * sub-record semantics (indexes, tables) but leaves table strings undecoded: see
 * {@link subRecordProblem}. Never throws.
 */
export function parseAggregate(bytes: Uint8Array, out: AggregateLayout = layout): string | null {
  out.count = 0;
  out.pkStarts.length = out.pkEnds.length = out.ehkStarts.length = out.ehkEnds.length = 0;
  out.pkProblems.length = out.ehkProblems.length = 0;
  if (!isAggregated(bytes)) {
    if (looksAggregated(bytes)) {
      if (bytes.length < 4) return `bad KPL aggregate: truncated (${bytes.length} bytes, shorter than magic and digest)`;
      return `bad KPL aggregate: wrong magic number ${Buffer.from(bytes.subarray(0, 4)).toString("hex")}`;
    }
    return "not a KPL aggregate: no magic number";
  }
  if (bytes.length < OVERHEAD) return `bad KPL aggregate: truncated (${bytes.length} bytes, shorter than magic and digest)`;
  if (bytes.length > MAX_RECORD_BYTES) return `bad KPL aggregate: too large: ${bytes.length} bytes (at most ${MAX_RECORD_BYTES})`;
  const end = bytes.length - DIGEST_BYTES;
  try {
    // Records may precede the tables in the bytes: collect their ranges, read them after.
    const recordStarts: number[] = [];
    const recordEnds: number[] = [];
    pos = KPL_MAGIC.length;
    while (pos < end) {
      const field = readKey(bytes, end, "field number 0");
      if (field >= 1 && field <= 3) {
        if (keyWireType !== 2) throw wrongType("aggregate", field, keyWireType);
        const fieldEnd = lengthEnd(bytes, end, field === 3 ? "record" : "table entry");
        if (field === 1) {
          out.pkStarts.push(pos);
          out.pkEnds.push(fieldEnd);
        } else if (field === 2) {
          out.ehkStarts.push(pos);
          out.ehkEnds.push(fieldEnd);
        } else {
          if (recordStarts.length === MAX_SUB_RECORDS) {
            throw new Malformed(`too many sub-records (more than ${MAX_SUB_RECORDS})`);
          }
          recordStarts.push(pos);
          recordEnds.push(fieldEnd);
        }
        pos = fieldEnd;
      } else {
        skip(bytes, end, keyWireType, field);
      }
    }
    if (recordStarts.length === 0) return "bad KPL aggregate: holds no sub-records";
    const n = recordStarts.length;
    for (let i = 0; i < n; i++) readRecord(bytes, recordStarts[i]!, recordEnds[i]!, i, out);
    out.count = n;
  } catch (error) {
    out.count = 0;
    if (error instanceof Malformed) return `bad KPL aggregate: malformed protobuf: ${error.reason}`;
    return "bad KPL aggregate: undecodable";
  }
  // Checked last: a truncated or damaged protobuf names its own defect first; the digest
  // catches every change that still parses.
  const digest = createHash("md5").update(bytes.subarray(KPL_MAGIC.length, end)).digest();
  for (let i = 0; i < DIGEST_BYTES; i++) {
    if (digest[i] !== bytes[end + i]) {
      out.count = 0;
      return "bad KPL aggregate: MD5 digest mismatch";
    }
  }
  return null;
}

/**
 * Why sub-record i of the aggregate last parsed into `out` is bad, or null: its own reason (see
 * {@link AggregateLayout}), else its partition key's, else its explicit hash key's. A table
 * entry is checked once per aggregate, when a sub-record first uses it.
 */
export function subRecordProblem(bytes: Uint8Array, out: AggregateLayout, i: number): string | null {
  const own = out.reasons[i]!;
  if (own !== null) return own;
  const pk = out.pkIndex[i]!;
  let p = out.pkProblems[pk];
  if (p === undefined) p = out.pkProblems[pk] = tableEntryProblem(bytes, out.pkStarts[pk]!, out.pkEnds[pk]!, "partition");
  const ehk = out.ehkIndex[i]!;
  if (p !== null || ehk < 0) return p;
  let h = out.ehkProblems[ehk];
  if (h === undefined) h = out.ehkProblems[ehk] = tableEntryProblem(bytes, out.ehkStarts[ehk]!, out.ehkEnds[ehk]!, "hash");
  return h;
}

/** Why a table string (a partition key or explicit hash key) is unusable, or null. */
function tableEntryProblem(bytes: Uint8Array, start: number, end: number, kind: "partition" | "hash"): string | null {
  const view = bytes.subarray(start, end);
  if (!isUtf8(view)) return `${kind === "partition" ? "partition key" : "explicit hash key"} not valid UTF-8`;
  if (kind === "partition") {
    if (end === start) return "empty partition key";
    // Cheap bound first: a string has at most as many UTF-16 units as UTF-8 bytes.
    if (end - start > MAX_PARTITION_KEY_LENGTH && utf8(bytes, start, end).length > MAX_PARTITION_KEY_LENGTH) {
      return `partition key longer than ${MAX_PARTITION_KEY_LENGTH} characters`;
    }
    return null;
  }
  return validHashKey(utf8(bytes, start, end)) ? null : "explicit hash key not a decimal below 2^128";
}

function utf8(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
}

function validHashKey(key: string): boolean {
  return /^[0-9]{1,39}$/.test(key) && BigInt(key) <= MAX_HASH_KEY;
}

/** Decodes an aggregate into its sub-records. Never throws. */
export function decodeAggregated(bytes: Uint8Array): AggregateResult {
  const out = layout;
  const problem = parseAggregate(bytes, out);
  if (problem !== null) return { ok: false, reason: problem };
  const records: SubRecord[] = new Array(out.count);
  for (let i = 0; i < out.count; i++) {
    const data = bytes.subarray(out.starts[i]!, out.ends[i]!);
    const pk = out.pkIndex[i]!;
    const ehk = out.ehkIndex[i]!;
    const reason = subRecordProblem(bytes, out, i);
    records[i] =
      reason !== null
        ? { ok: false, reason, data }
        : {
            ok: true,
            partitionKey: utf8(bytes, out.pkStarts[pk]!, out.pkEnds[pk]!),
            explicitHashKey: ehk >= 0 ? utf8(bytes, out.ehkStarts[ehk]!, out.ehkEnds[ehk]!) : null,
            data,
          };
  }
  return { ok: true, records };
}

// ---------------------------------------------------------------------------------------------
// Writer

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[at++] = value;
  return at;
}

/** Field 1 or 2 of AggregatedRecord for a string of `length` bytes. */
function tableEntrySize(length: number): number {
  return 1 + varintSize(length) + length;
}

function recordInnerSize(pk: number, ehk: number, dataLength: number): number {
  return 1 + varintSize(pk) + (ehk >= 0 ? 1 + varintSize(ehk) : 0) + 1 + varintSize(dataLength) + dataLength;
}

function recordSize(pk: number, ehk: number, dataLength: number): number {
  const inner = recordInnerSize(pk, ehk, dataLength);
  return 1 + varintSize(inner) + inner;
}

function checkInput(sub: AggregateInput): void {
  const { partitionKey, explicitHashKey, data } = sub;
  if (typeof partitionKey !== "string" || partitionKey.length === 0 || partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
    throw new RangeError(`partition key must be 1 to ${MAX_PARTITION_KEY_LENGTH} characters`);
  }
  if (Buffer.from(partitionKey, "utf8").toString("utf8") !== partitionKey) {
    throw new RangeError("partition key must be valid Unicode (no lone surrogates)");
  }
  if (explicitHashKey !== undefined && !validHashKey(explicitHashKey)) {
    throw new RangeError("explicit hash key must be a decimal below 2^128");
  }
  if (!(data instanceof Uint8Array)) throw new TypeError("data must be bytes");
}

/**
 * Packs user records into aggregates one at a time, knowing the encoded size before each add,
 * so a producer can fill records up to a size limit (the Kinesis 1 MiB, or KPL's 50 KiB).
 */
export class AggregateBuilder {
  private subs: AggregateInput[] = [];
  private pks = new Map<string, number>();
  private ehks = new Map<string, number>();
  private bodyBytes = 0;

  /** Sub-records added since the last build. */
  get length(): number {
    return this.subs.length;
  }

  /** Encoded size of the aggregate built now, magic and digest included. */
  get byteLength(): number {
    return OVERHEAD + this.bodyBytes;
  }

  /** Encoded size after adding `sub`. Throws on a sub-record that no aggregate may hold. */
  sizeWith(sub: AggregateInput): number {
    checkInput(sub);
    return this.byteLength + this.growth(sub);
  }

  /** Adds `sub`; throws when the aggregate would break the Kinesis or sub-record limits. */
  add(sub: AggregateInput): void {
    const size = this.sizeWith(sub);
    if (size > MAX_RECORD_BYTES) throw new RangeError(`aggregate would be ${size} bytes (at most ${MAX_RECORD_BYTES})`);
    if (this.subs.length === MAX_SUB_RECORDS) throw new RangeError(`at most ${MAX_SUB_RECORDS} sub-records`);
    this.bodyBytes = size - OVERHEAD;
    if (!this.pks.has(sub.partitionKey)) this.pks.set(sub.partitionKey, this.pks.size);
    if (sub.explicitHashKey !== undefined && !this.ehks.has(sub.explicitHashKey)) {
      this.ehks.set(sub.explicitHashKey, this.ehks.size);
    }
    this.subs.push(sub);
  }

  /** The aggregate of everything added; the builder starts over empty. */
  build(): Buffer {
    const out = encodeAggregated(this.subs);
    this.subs = [];
    this.pks.clear();
    this.ehks.clear();
    this.bodyBytes = 0;
    return out;
  }

  private growth(sub: AggregateInput): number {
    let bytes = 0;
    let pk = this.pks.get(sub.partitionKey);
    if (pk === undefined) {
      pk = this.pks.size;
      bytes += tableEntrySize(Buffer.byteLength(sub.partitionKey, "utf8"));
    }
    let ehk = -1;
    if (sub.explicitHashKey !== undefined) {
      const known = this.ehks.get(sub.explicitHashKey);
      ehk = known ?? this.ehks.size;
      if (known === undefined) bytes += tableEntrySize(sub.explicitHashKey.length);
    }
    return bytes + recordSize(pk, ehk, sub.data.length);
  }
}

/**
 * Encodes user records as one KPL aggregate (tables in first-use order, records in input
 * order). Throws a RangeError for no records, more than {@link MAX_SUB_RECORDS}, a result over
 * the 1 MiB record limit, or a key outside the Kinesis limits.
 */
export function encodeAggregated(subRecords: readonly AggregateInput[]): Buffer {
  if (subRecords.length === 0) throw new RangeError("an aggregate needs at least one sub-record");
  if (subRecords.length > MAX_SUB_RECORDS) throw new RangeError(`at most ${MAX_SUB_RECORDS} sub-records`);
  const pks = new Map<string, number>();
  const ehks = new Map<string, number>();
  const pkBytes: Buffer[] = [];
  const ehkBytes: Buffer[] = [];
  const pkOf = new Array<number>(subRecords.length);
  const ehkOf = new Array<number>(subRecords.length);
  let body = 0;
  for (let i = 0; i < subRecords.length; i++) {
    const sub = subRecords[i]!;
    checkInput(sub);
    let pk = pks.get(sub.partitionKey);
    if (pk === undefined) {
      pk = pks.size;
      pks.set(sub.partitionKey, pk);
      const bytes = Buffer.from(sub.partitionKey, "utf8");
      pkBytes.push(bytes);
      body += tableEntrySize(bytes.length);
    }
    let ehk = -1;
    if (sub.explicitHashKey !== undefined) {
      const known = ehks.get(sub.explicitHashKey);
      ehk = known ?? ehks.size;
      if (known === undefined) {
        ehks.set(sub.explicitHashKey, ehk);
        const bytes = Buffer.from(sub.explicitHashKey, "latin1");
        ehkBytes.push(bytes);
        body += tableEntrySize(bytes.length);
      }
    }
    pkOf[i] = pk;
    ehkOf[i] = ehk;
    body += recordSize(pk, ehk, sub.data.length);
  }
  const total = OVERHEAD + body;
  if (total > MAX_RECORD_BYTES) throw new RangeError(`aggregate would be ${total} bytes (at most ${MAX_RECORD_BYTES})`);
  const out = Buffer.allocUnsafe(total);
  out.set(KPL_MAGIC, 0);
  let at = KPL_MAGIC.length;
  for (const [field, table] of [[0x0a, pkBytes], [0x12, ehkBytes]] as const) {
    for (const bytes of table) {
      out[at++] = field;
      at = writeVarint(out, at, bytes.length);
      out.set(bytes, at);
      at += bytes.length;
    }
  }
  for (let i = 0; i < subRecords.length; i++) {
    const data = subRecords[i]!.data;
    const pk = pkOf[i]!;
    const ehk = ehkOf[i]!;
    out[at++] = 0x1a;
    at = writeVarint(out, at, recordInnerSize(pk, ehk, data.length));
    out[at++] = 0x08;
    at = writeVarint(out, at, pk);
    if (ehk >= 0) {
      out[at++] = 0x10;
      at = writeVarint(out, at, ehk);
    }
    out[at++] = 0x1a;
    at = writeVarint(out, at, data.length);
    out.set(data, at);
    at += data.length;
  }
  createHash("md5").update(out.subarray(KPL_MAGIC.length, at)).digest().copy(out, at);
  return out;
}
