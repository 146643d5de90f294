import { isUtf8 } from "node:buffer";
import type { Tick } from "../tick.js";
import { decodeJson, fastJson } from "./json.js";
import { decodePipe, fastPipe } from "./pipe.js";
import { MAX_RECORD_BYTES, fail, type DecodeResult } from "./result.js";
import { LBRACE, cursor, isBlank } from "./scan.js";

export { MAX_LEVEL, MAX_PRICE_LEVELS, MAX_RECORD_BYTES, type DecodeResult } from "./result.js";

/**
 * The tick decoder: one Kinesis record's bytes in, a {@link Tick} or a reason out. It never
 * throws; a bad record is a value, so one bad record cannot stop a batch.
 *
 * The format is detected per record: a record whose first non-blank byte is `{` is a JSON stock
 * trade (`json.ts`), anything else is read as the pipe format (`pipe.ts`). Both are parsed in
 * one pass over the bytes, without splitting into strings: this is the consumers' hot path.
 * Each format has a fast path for its common record and a full decoder for everything else.
 *
 * Common rules
 * - A UTF-8 byte-order mark, leading blanks and trailing blanks, `\n` or `\r\n` are ignored.
 * - Empty (or blank) records, records over {@link MAX_RECORD_BYTES} and records that are not
 *   valid UTF-8 are bad.
 * - Instrument ids follow `instrument.ts`; prices become exact integer cents (`decimal.ts`);
 *   event times are epoch milliseconds between 1970 and 9999.
 * - A field that the decoder reads may appear once. Seen twice (including `l` together with
 *   `level`) the record is ambiguous and bad ("duplicate field"); unknown fields may repeat.
 */

const EMPTY = Object.freeze(fail("empty record"));
const NOT_UTF8 = Object.freeze(fail("not valid UTF-8"));
const UNDECODABLE = Object.freeze(fail("undecodable record"));

let lastFailure: DecodeResult = UNDECODABLE;

/** Why {@link decodeTickRange} with `lines` set gave up: the range holds more than one line. */
const SEVERAL_LINES = Object.freeze(fail("several lines"));

/**
 * {@link decodeTick} of the bytes [from, to) of `data` without the result wrapper, for batch
 * loops: the tick, or null, and then {@link lastDecodeFailure} gives the reason until the next
 * call. Never throws. With `lines` set, a range whose common-case fast path fails and that
 * holds a line break inside its blanks is not decoded whole: it returns null and
 * {@link lastDecodeWasSeveralLines} is true, for the record framing (kinesis/framing.ts) to
 * decode it line by line. A single-line record costs nothing extra.
 */
export function decodeTickRange(data: Uint8Array, from: number, to: number, lines: boolean): Tick | null {
  const n = to - from;
  if (n <= 0) {
    lastFailure = EMPTY;
    return null;
  }
  if (n > MAX_RECORD_BYTES) {
    lastFailure = fail(`record too large: ${n} bytes (at most ${MAX_RECORD_BYTES})`);
    return null;
  }
  let start = from;
  if (n >= 3 && data[from] === 0xef && data[from + 1] === 0xbb && data[from + 2] === 0xbf) start += 3;
  let end = to;
  while (end > start && isBlank(data[end - 1]!)) end--;
  while (start < end && isBlank(data[start]!)) start++;
  if (start === end) {
    lastFailure = EMPTY;
    return null;
  }
  const tick = data[start] === LBRACE ? fastJson(data, start, end, false) : fastPipe(data, start, end, false);
  if (tick !== null) return tick;
  if (lines) {
    for (let i = start; i < end; i++) {
      if (data[i] === 0x0a) {
        lastFailure = SEVERAL_LINES;
        return null;
      }
    }
  }
  const whole = from === 0 && to === data.length ? data : data.subarray(from, to);
  const result = decodeFull(whole, start - from, end - from);
  if (result.ok) return result.tick;
  lastFailure = result;
  return null;
}

/**
 * The common-case fast path alone for the line of a record of lines that starts at `from` (a
 * byte that is neither a blank nor a byte-order mark): its tick, with {@link lineEnd} at the
 * line's `\n` (or `to`), or null, and then the line is for {@link decodeTickRange} to read.
 * Reads the line once, where finding its end first and then decoding it reads it twice.
 */
export function fastLine(data: Uint8Array, from: number, to: number): Tick | null {
  return data[from] === LBRACE ? fastJson(data, from, to, true) : fastPipe(data, from, to, true);
}

/** Where the line of the last {@link fastLine} that returned a tick ends. */
export function lineEnd(): number {
  return cursor.pos;
}

/** True when the last {@link decodeTickRange} stopped at a line break (see there). */
export function lastDecodeWasSeveralLines(): boolean {
  return lastFailure === SEVERAL_LINES;
}

/** The reason of the last {@link decodeTickRange} that returned null. */
export function lastDecodeFailure(): string {
  return (lastFailure as { ok: false; reason: string }).reason;
}

function decodeFull(data: Uint8Array, start: number, end: number): DecodeResult {
  try {
    cursor.sawNonAscii = false;
    const result = data[start] === LBRACE ? decodeJson(data, start, end) : decodePipe(data, start, end);
    if (result.ok) return cursor.sawNonAscii && !isUtf8(data) ? NOT_UTF8 : result;
    // On the failure path the whole record may not have been read: name the deeper cause.
    return isUtf8(data) ? result : NOT_UTF8;
  } catch {
    return UNDECODABLE;
  }
}

/** Decodes one record (both formats, detected per record). Never throws. */
export function decodeTick(data: Uint8Array): DecodeResult {
  const tick = decodeTickRange(data, 0, data.length, false);
  return tick !== null ? { ok: true, tick } : lastFailure;
}

/** Convenience for tests and tools: decodes a string as its UTF-8 bytes. */
export function decodeTickText(text: string): DecodeResult {
  return decodeTick(Buffer.from(text, "utf8"));
}
