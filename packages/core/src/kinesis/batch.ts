import type { PartialItemFailureResponse } from "@aws-lambda-powertools/batch/types";
import { DEFAULT_MAX_CLOCK_SKEW_MS } from "../config.js";
import type { RecordPosition } from "../tick.js";
import { RecordFramer, type BadRecord, type PositionedTick } from "./framing.js";

export type { BadPosition, BadRecord, PositionedTick } from "./framing.js";
export { FUTURE_EVENT_TIME, MAX_TICKS_PER_RECORD } from "./framing.js";

/**
 * What both Kinesis consumers share: turning an event's records into decoded ticks and bad
 * records with their stream positions (a record may carry many ticks: framing.ts), and turning
 * failures back into the partial batch response of the event source mapping.
 *
 * Why not Powertools' `BatchProcessor` / `processPartialResponse`: they call a handler once per
 * record and collect per-record failures. Both consumers here coalesce a whole batch first (one
 * DynamoDB write per instrument, one max-merge per pane), so a failure belongs to a group of
 * records, known only after the batch has been folded. The shapes of the response are
 * Powertools' own (`PartialItemFailureResponse`); the grouping is done here.
 *
 * Checkpoint semantics (Kinesis, ReportBatchItemFailures): Lambda takes the LOWEST sequence
 * number among `batchItemFailures`, checkpoints just before it and sends the shard again from
 * that record. Every record after it is processed again, so everything a consumer writes must
 * be idempotent; records before it are never seen again, so they must be completely handled.
 */

/** The part of an aws-lambda `KinesisStreamRecord` the consumers read (structurally compatible). */
export interface KinesisRecordLike {
  /** `<shardId>:<sequenceNumber>`, as Lambda sets it. */
  eventID?: string;
  eventSourceARN?: string;
  kinesis: {
    /** Base64 of the record's bytes. */
    data: string;
    sequenceNumber: string;
    /** Epoch seconds, fractional (Lambda's encoding of ApproximateArrivalTimestamp). */
    approximateArrivalTimestamp: number;
    partitionKey?: string;
  };
}

export interface KinesisEventLike {
  Records: readonly KinesisRecordLike[];
}

export interface DecodedBatch {
  /** Valid ticks in batch order (record by record, subIndex order within a record). */
  ticks: PositionedTick[];
  /** Bad records and bad parts of records, in the same order. */
  bad: BadRecord[];
}

export interface DecodeOptions {
  /**
   * A tick dated more than this (ms) ahead of its record's arrival time is bad ("event time in
   * the future"). Default DEFAULT_MAX_CLOCK_SKEW_MS (config.ts).
   */
  maxClockSkewMs?: number;
}

/** The response of a Kinesis handler with ReportBatchItemFailures. */
export type BatchResponse = PartialItemFailureResponse;

export const UNKNOWN_SHARD = "shardId-unknown";

// A batch comes from one shard: reuse the last shard id string instead of slicing each eventID.
let lastShardId = UNKNOWN_SHARD;

function shardIdOf(eventID: string | undefined): string {
  if (eventID === undefined) return UNKNOWN_SHARD;
  const last = lastShardId;
  const n = last.length;
  // slice and === measured about twice as fast as startsWith, per record.
  if (eventID.length > n && eventID.charCodeAt(n) === 0x3a && eventID.slice(0, n) === last) return last;
  const colon = eventID.indexOf(":");
  if (colon <= 0) return UNKNOWN_SHARD;
  lastShardId = eventID.slice(0, colon);
  return lastShardId;
}

// Records are base64-decoded into one reused buffer; only bad parts keep a copy of their bytes
// (ticks hold no reference to the buffer: the decoder copies what it keeps).
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

// Short records (JSON trades) are decoded in JS: below about 160 characters that is quicker
// than a call into the native decoder. Only canonical base64 is read here; anything else
// (whitespace, URL-safe characters, missing padding) returns -1 and goes to Buffer's decoder.
const JS_BASE64_MAX = 160;
const BASE64_VALUE = new Int32Array(128).fill(-1);
{
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let k = 0; k < 64; k++) BASE64_VALUE[alphabet.charCodeAt(k)] = k;
}

/** Decodes canonical base64 into `out`; returns the byte count, or -1 to use Buffer's decoder. */
function base64Into(s: string, out: Uint8Array): number {
  const t = BASE64_VALUE;
  const n = s.length;
  if (n === 0 || (n & 3) !== 0) return -1;
  let pad = 0;
  if (s.charCodeAt(n - 1) === 0x3d) pad = s.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const full = pad === 0 ? n : n - 4;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 127) return -1;
    const v = (t[c0]! << 18) | (t[c1]! << 12) | (t[c2]! << 6) | t[c3]!;
    if (v < 0) return -1;
    out[o] = v >> 16;
    out[o + 1] = v >> 8;
    out[o + 2] = v;
    o += 3;
  }
  if (pad !== 0) {
    const c0 = s.charCodeAt(full);
    const c1 = s.charCodeAt(full + 1);
    const c2 = pad === 1 ? s.charCodeAt(full + 2) : 0x41;
    if ((c0 | c1 | c2) > 127) return -1;
    const v = (t[c0]! << 18) | (t[c1]! << 12) | (t[c2]! << 6);
    if (v < 0) return -1;
    out[o++] = v >> 16;
    if (pad === 1) out[o++] = v >> 8;
  }
  return o;
}

/** Decodes every record of a batch. Never throws for a bad record; order is kept. */
export function decodeBatch(input: readonly KinesisRecordLike[] | KinesisEventLike, options: DecodeOptions = {}): DecodedBatch {
  const records = "Records" in input ? input.Records : input;
  const ticks: PositionedTick[] = [];
  const bad: BadRecord[] = [];
  const framer = new RecordFramer(ticks, bad, options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
  const buf = (scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
  for (let r = 0; r < records.length; r++) {
    const record = records[r]!;
    const kinesis = record.kinesis;
    // The record's position as values, without an object per record; Lambda gives the
    // arrival time in fractional seconds.
    const shardId = shardIdOf(record.eventID);
    const arrivalTime = Math.round(kinesis.approximateArrivalTimestamp * 1000);
    const data = kinesis.data;
    // base64 of n bytes is ceil(n / 3) * 4 characters
    if (data.length <= (SCRATCH_BYTES / 3) * 4) {
      let n = data.length <= JS_BASE64_MAX ? base64Into(data, buf) : -1;
      if (n < 0) n = buf.write(data, 0, "base64");
      framer.frame(buf, n, shardId, kinesis.sequenceNumber, arrivalTime);
    } else {
      const bytes = Buffer.from(data, "base64");
      framer.frame(bytes, bytes.length, shardId, kinesis.sequenceNumber, arrivalTime);
    }
  }
  return { ticks, bad };
}

/**
 * Numeric order of two Kinesis sequence numbers (decimal strings without leading zeros, up to
 * 128 digits, so longer means larger).
 */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sequence number zero-padded to 128 digits: string order equals numeric order. */
export function sequenceKey(sequenceNumber: string): string {
  return sequenceNumber.padStart(128, "0");
}

/** The lowest of some sequence numbers, or undefined for none. */
export function lowestSequenceNumber(sequenceNumbers: Iterable<string>): string | undefined {
  let lowest: string | undefined;
  for (const s of sequenceNumbers) if (lowest === undefined || compareSequenceNumbers(s, lowest) < 0) lowest = s;
  return lowest;
}

/**
 * The partial batch response for records that failed: every distinct failed sequence number,
 * lowest first. Lambda resumes the shard at the lowest one, so the result is the same as
 * reporting only that one; the others are there for logs and for local pollers. An empty
 * input gives `{ batchItemFailures: [] }` (the whole batch succeeded).
 */
export function batchItemFailures(failed: Iterable<RecordPosition | string>): BatchResponse {
  const seen = new Set<string>();
  for (const f of failed) seen.add(typeof f === "string" ? f : f.sequenceNumber);
  const sorted = [...seen].sort(compareSequenceNumbers);
  return { batchItemFailures: sorted.map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * Splits records at the first failure of their shard: `before` holds what may be treated as
 * done (strictly below the shard's lowest failed sequence number), `after` what Lambda will
 * deliver again. Use it to avoid side effects (dead letters, emits) that a retry would repeat.
 */
export function splitAtFirstFailure<T extends { position: RecordPosition }>(
  items: readonly T[],
  failed: Iterable<RecordPosition>,
): { before: T[]; after: T[] } {
  const lowest = new Map<string, string>();
  for (const f of failed) {
    const current = lowest.get(f.shardId);
    if (current === undefined || compareSequenceNumbers(f.sequenceNumber, current) < 0) lowest.set(f.shardId, f.sequenceNumber);
  }
  const before: T[] = [];
  const after: T[] = [];
  for (const item of items) {
    const cut = lowest.get(item.position.shardId);
    if (cut !== undefined && compareSequenceNumbers(item.position.sequenceNumber, cut) >= 0) after.push(item);
    else before.push(item);
  }
  return { before, after };
}
