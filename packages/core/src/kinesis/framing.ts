import type { RecordPosition, StreamPosition, Tick } from "../tick.js";
import { decodeTickRange, fastLine, lastDecodeFailure, lastDecodeWasSeveralLines, lineEnd } from "../ticks/decode.js";
import { MAX_RECORD_BYTES } from "../ticks/result.js";
import { createAggregateLayout, looksAggregated, parseAggregate, subRecordProblem, MAX_SUB_RECORDS } from "../ticks/kpl.js";

/**
 * Record framing: the ticks one Kinesis record carries (docs/records.md). Detected per record:
 *
 * - a KPL aggregate (magic F3 89 9A C2, ticks/kpl.ts): each sub-record is a unit;
 * - anything else is one unit.
 *
 * A unit is one tick, or newline-separated lines that are each one tick in either format.
 * Blank lines (and `\r` before `\n`) are ignored; a unit with nothing but blanks is bad
 * ("empty record"). A unit that is, as a whole, one JSON object spread over lines stays one
 * tick, as it always was.
 *
 * Every tick and every bad part gets the record's position plus a `subIndex`: 0, 1, 2, … in
 * record order over sub-records and their lines. What is bad as a whole (a damaged aggregate,
 * more than {@link MAX_TICKS_PER_RECORD} parts, a record over the size limit) is one bad record
 * with `subIndex` null and the whole record's bytes; otherwise each bad line or sub-record is
 * its own bad part with its own bytes, and its good siblings are kept.
 *
 * A tick whose event time is more than the allowed clock skew ahead of its record's arrival
 * time is a bad part too ("event time in the future"): arrival time, not processing time, so
 * that a retry or a re-read of the same record decides the same way.
 */

/** Most parts (ticks and bad parts) one record may hold; no tick is under 16 bytes. */
export const MAX_TICKS_PER_RECORD = MAX_SUB_RECORDS;

export const FUTURE_EVENT_TIME = "event time in the future";

export interface PositionedTick {
  tick: Tick;
  position: StreamPosition;
}

/** Where a bad part sits: its record, and its subIndex (null: the whole record is bad). */
export interface BadPosition extends RecordPosition {
  subIndex: number | null;
}

export interface BadRecord {
  /** The bad part's bytes as they were put: the line, the sub-record's data, or the record. */
  raw: Uint8Array;
  reason: string;
  position: BadPosition;
}

const CR = 0x0d;
const LF = 0x0a;

function isBlankByte(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === LF || c === CR;
}

/** Copies bytes out of a reused buffer: bad parts outlive it. */
function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return Buffer.from(bytes.subarray(start, end));
}

class Overflow {}
const OVERFLOW = new Overflow();

/**
 * Frames records one at a time into `ticks` and `bad` (batch order). Not re-entrant: the
 * tick decoder and the aggregate reader keep state between calls.
 */
export class RecordFramer {
  private readonly layout = createAggregateLayout();
  private shardId = "";
  private sequenceNumber = "";
  private arrivalTime = 0;
  private parts = 0;

  constructor(
    readonly ticks: PositionedTick[],
    readonly bad: BadRecord[],
    private readonly maxClockSkewMs: number,
  ) {}

  /**
   * Frames the bytes [0, n) of one record, at its position (shard, sequence number, arrival
   * time in epoch ms). `bytes` may be reused by the caller afterwards.
   */
  frame(bytes: Uint8Array, n: number, shardId: string, sequenceNumber: string, arrivalTime: number): void {
    this.shardId = shardId;
    this.sequenceNumber = sequenceNumber;
    this.arrivalTime = arrivalTime;
    this.parts = 0;
    // The common record, one tick on one line, takes one fast-path decode and one comparison.
    let severalLines = false;
    if (n > 0 && n <= MAX_RECORD_BYTES && bytes[0] !== 0xf3) {
      const tick = decodeTickRange(bytes, 0, n, true);
      if (tick !== null && tick.eventTime - arrivalTime <= this.maxClockSkewMs) {
        this.ticks.push({ tick, position: { shardId, sequenceNumber, arrivalTime, subIndex: 0 } });
        return;
      }
      if (tick === null) {
        severalLines = lastDecodeWasSeveralLines();
        if (!severalLines) {
          this.part(bytes, 0, n, lastDecodeFailure());
          return;
        }
      }
    }
    const tickMark = this.ticks.length;
    const badMark = this.bad.length;
    try {
      if (n > MAX_RECORD_BYTES) {
        this.badWhole(bytes, n, `record too large: ${n} bytes (at most ${MAX_RECORD_BYTES})`);
      } else if (looksAggregated(bytes, 0, n)) {
        this.aggregate(n === bytes.length ? bytes : bytes.subarray(0, n));
      } else if (severalLines) {
        this.lines(bytes, 0, n);
      } else {
        this.unit(bytes, 0, n);
      }
    } catch (error) {
      if (!(error instanceof Overflow)) throw error;
      this.ticks.length = tickMark;
      this.bad.length = badMark;
      this.badWhole(bytes, n, `too many ticks in one record (more than ${MAX_TICKS_PER_RECORD})`);
    }
  }

  private aggregate(bytes: Uint8Array): void {
    const layout = this.layout;
    const problem = parseAggregate(bytes, layout);
    if (problem !== null) {
      this.badWhole(bytes, bytes.length, problem);
      return;
    }
    for (let i = 0; i < layout.count; i++) {
      const start = layout.starts[i]!;
      const end = layout.ends[i]!;
      let reason = subRecordProblem(bytes, layout, i);
      if (reason === null && looksAggregated(bytes, start, end)) reason = "nested KPL aggregate";
      if (reason !== null) this.part(bytes, start, end, `bad KPL sub-record: ${reason}`);
      else this.unit(bytes, start, end);
    }
  }

  /** One tick, or lines of ticks, in [start, end). */
  private unit(bytes: Uint8Array, start: number, end: number): void {
    const tick = decodeTickRange(bytes, start, end, true);
    if (tick !== null) {
      this.accept(tick, bytes, start, end);
      return;
    }
    if (!lastDecodeWasSeveralLines()) {
      this.part(bytes, start, end, lastDecodeFailure());
      return;
    }
    this.lines(bytes, start, end);
  }

  /** Newline-separated ticks in [start, end), known to hold more than one line. */
  private lines(bytes: Uint8Array, start: number, end: number): void {
    const tickMark = this.ticks.length;
    const badMark = this.bad.length;
    const partsMark = this.parts;
    let from = start;
    if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) from += 3;
    let anyBad = false;
    let i = from;
    while (i < end) {
      const c = bytes[i]!;
      if (!isBlankByte(c) && c !== 0xef) {
        const tick = fastLine(bytes, i, end);
        if (tick !== null) {
          const j = lineEnd();
          this.accept(tick, bytes, i, j);
          i = j + 1;
          continue;
        }
      }
      let j = i;
      while (j < end && bytes[j] !== LF) j++;
      let k = i;
      while (k < j && isBlankByte(bytes[k]!)) k++;
      if (k < j) {
        const line = decodeTickRange(bytes, i, j, false);
        if (line !== null) this.accept(line, bytes, i, j);
        else {
          this.part(bytes, i, j, lastDecodeFailure());
          anyBad = true;
        }
      }
      i = j + 1;
    }
    if (anyBad) {
      // One JSON object spread over lines is one tick, as before records could hold lines.
      let k = from;
      while (k < end && isBlankByte(bytes[k]!)) k++;
      if (bytes[k] === 0x7b) {
        const whole = decodeTickRange(bytes, start, end, false);
        if (whole !== null) {
          this.ticks.length = tickMark;
          this.bad.length = badMark;
          this.parts = partsMark;
          this.accept(whole, bytes, start, end);
        }
      }
    }
  }

  private nextSubIndex(): number {
    if (this.parts === MAX_TICKS_PER_RECORD) throw OVERFLOW;
    return this.parts++;
  }

  private accept(tick: Tick, bytes: Uint8Array, start: number, end: number): void {
    if (tick.eventTime - this.arrivalTime > this.maxClockSkewMs) {
      this.part(bytes, start, end, FUTURE_EVENT_TIME);
      return;
    }
    const subIndex = this.nextSubIndex();
    this.ticks.push({ tick, position: { shardId: this.shardId, sequenceNumber: this.sequenceNumber, arrivalTime: this.arrivalTime, subIndex } });
  }

  private part(bytes: Uint8Array, start: number, end: number, reason: string): void {
    const subIndex = this.nextSubIndex();
    this.bad.push({
      raw: copy(bytes, start, end),
      reason,
      position: { shardId: this.shardId, sequenceNumber: this.sequenceNumber, arrivalTime: this.arrivalTime, subIndex },
    });
  }

  private badWhole(bytes: Uint8Array, n: number, reason: string): void {
    this.bad.push({
      raw: copy(bytes, 0, n),
      reason,
      position: { shardId: this.shardId, sequenceNumber: this.sequenceNumber, arrivalTime: this.arrivalTime, subIndex: null },
    });
  }
}
