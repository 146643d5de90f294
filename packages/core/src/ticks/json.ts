import type { Tick } from "../tick.js";
import { centsFailure, centsFromBytes } from "./decimal.js";
import { INSTRUMENT_CHAR, MAX_INSTRUMENT_LENGTH, isValidInstrument } from "./instrument.js";
import { internAscii } from "./intern.js";
import { fail, type DecodeResult } from "./result.js";
import {
  BACKSLASH,
  COLON,
  COMMA,
  LBRACE,
  LBRACKET,
  QUOTE,
  RBRACE,
  RBRACKET,
  bytesOf,
  cursor,
  matches,
  readUint,
  scanInstrument,
  skipBlank,
} from "./scan.js";
import { isoToEpochMs, parseIsoUtc } from "./time.js";

/**
 * The JSON stock trade of the Kinesis Data Analytics tutorials: one object, e.g.
 * `{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}`
 * - `EVENT_TIME`: string, ISO-8601 (see `time.ts`): zone-less means UTC; the fraction is
 *   truncated to milliseconds.
 * - `TICKER`: string (an integer number such as 3 is taken as "3").
 * - `PRICE`: a JSON number, or a string holding one, converted from its decimal digits (the
 *   literal text of the record, never through a binary float): 84.51 -> 8451, 84.5 -> 8450.
 *   Negative values and non-zero digits below one cent are refused.
 * - Other members (any JSON value) are allowed and ignored. Keys are case-sensitive.
 *
 * {@link fastJson} reads the common record; {@link decodeJson} reads every other one and names
 * what is wrong with a bad one.
 */

const MAX_JSON_DEPTH = 32;

const JSON_SYNTAX = Object.freeze(fail("invalid JSON"));
const JSON_DEPTH = Object.freeze(fail("JSON nested too deeply"));
const JSON_TRAILING = Object.freeze(fail("invalid JSON: data after the object"));

const K_EVENT_TIME = bytesOf("EVENT_TIME");
const K_TICKER = bytesOf("TICKER");
const K_PRICE = bytesOf("PRICE");

/** Set by {@link scanString}: the string it read holds an escape and must be decoded to be compared. */
let stringEscaped = false;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** b[i] is `"`; returns the index after the closing quote, or -1. Sets `stringEscaped`. */
function scanString(b: Uint8Array, i: number, end: number): number {
  i++;
  stringEscaped = false;
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      stringEscaped = true;
      const e = b[i + 1];
      if (e === 0x75) {
        if (i + 5 >= end) return -1;
        if (!isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
        return -1;
      }
      i += 2;
      continue;
    }
    if (c < 0x20) return -1;
    if (c >= 0x80) cursor.sawNonAscii = true;
    i++;
  }
  return -1;
}

/** A JSON number starting at i; returns the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  let c = b[i]!;
  if (c === 0x30) {
    i++;
  } else if (c >= 0x31 && c <= 0x39) {
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
  } else {
    return -1;
  }
  if (i < end && b[i] === 0x2e) {
    const from = ++i;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
    if (i === from) return -1;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    const from = i;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) i++;
    if (i === from) return -1;
  }
  return i;
}

function matchWord(b: Uint8Array, i: number, end: number, word: string): number {
  if (end - i < word.length) return -1;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

/** Skips any JSON value at i; returns the index after it, -1 on a syntax error, -2 if too deep. */
function skipValue(b: Uint8Array, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i]!;
  if (c === QUOTE) return scanString(b, i, end);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(b, i, end);
  if (c === 0x74) return matchWord(b, i, end, "true");
  if (c === 0x66) return matchWord(b, i, end, "false");
  if (c === 0x6e) return matchWord(b, i, end, "null");
  if (c !== LBRACE && c !== LBRACKET) return -1;
  if (depth >= MAX_JSON_DEPTH) return -2;
  const isObject = c === LBRACE;
  const close = isObject ? RBRACE : RBRACKET;
  i = skipBlank(b, i + 1, end);
  if (i < end && b[i] === close) return i + 1;
  while (true) {
    if (isObject) {
      if (i >= end || b[i] !== QUOTE) return -1;
      i = scanString(b, i, end);
      if (i < 0) return -1;
      i = skipBlank(b, i, end);
      if (i >= end || b[i] !== COLON) return -1;
      i = skipBlank(b, i + 1, end);
    }
    i = skipValue(b, i, end, depth + 1);
    if (i < 0) return i;
    i = skipBlank(b, i, end);
    if (i >= end) return -1;
    if (b[i] === COMMA) {
      i = skipBlank(b, i + 1, end);
      continue;
    }
    if (b[i] === close) return i + 1;
    return -1;
  }
}

/** Slow path for strings with escapes: the decoded value of the JSON string in [start, end). */
function decodeJsonString(b: Uint8Array, start: number, end: number): string {
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("utf8")) as string;
}

const J_UNKNOWN = 0;
const J_EVENT_TIME = 1;
const J_TICKER = 2;
const J_PRICE = 4;

function jsonField(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 10 && matches(b, start, K_EVENT_TIME)) return J_EVENT_TIME;
  if (n === 6 && matches(b, start, K_TICKER)) return J_TICKER;
  if (n === 5 && matches(b, start, K_PRICE)) return J_PRICE;
  return J_UNKNOWN;
}

function jsonFieldOfName(name: string): number {
  return name === "EVENT_TIME" ? J_EVENT_TIME : name === "TICKER" ? J_TICKER : name === "PRICE" ? J_PRICE : J_UNKNOWN;
}

const J_NAMES: Record<number, string> = { [J_EVENT_TIME]: "EVENT_TIME", [J_TICKER]: "TICKER", [J_PRICE]: "PRICE" };

/** The full decoder: every form the format allows, and a reason for every bad record. */
export function decodeJson(b: Uint8Array, start: number, end: number): DecodeResult {
  let seen = 0;
  let instrument = "";
  let eventTime = -1;
  let cents = -1;
  let i = skipBlank(b, start + 1, end);
  if (i < end && b[i] === RBRACE) {
    i++;
  } else {
    while (true) {
      if (i >= end || b[i] !== QUOTE) return JSON_SYNTAX;
      const keyStart = i + 1;
      i = scanString(b, i, end);
      if (i < 0) return JSON_SYNTAX;
      const field = stringEscaped ? jsonFieldOfName(decodeJsonString(b, keyStart - 1, i)) : jsonField(b, keyStart, i - 1);
      i = skipBlank(b, i, end);
      if (i >= end || b[i] !== COLON) return JSON_SYNTAX;
      i = skipBlank(b, i + 1, end);
      if (i >= end) return JSON_SYNTAX;
      if (field !== J_UNKNOWN) {
        if ((seen & field) !== 0) return fail(`duplicate field "${J_NAMES[field]}"`);
        seen |= field;
      }
      const c = b[i]!;
      switch (field) {
        case J_TICKER: {
          if (c === QUOTE) {
            const vs = i + 1;
            i = scanString(b, i, end);
            if (i < 0) return JSON_SYNTAX;
            if (stringEscaped) {
              const id = decodeJsonString(b, vs - 1, i);
              if (!isValidInstrument(id)) return fail("TICKER is not a valid instrument id");
              instrument = id;
            } else {
              scanInstrument(b, vs, i - 1);
              const n = i - 1 - vs;
              if (cursor.pos !== i - 1 || n === 0 || n > MAX_INSTRUMENT_LENGTH) return fail("TICKER is not a valid instrument id");
              instrument = internAscii(b, vs, i - 1, cursor.instrumentHash);
            }
          } else if (c >= 0x30 && c <= 0x39) {
            const vs = i;
            const v = readUint(b, i, end);
            i = cursor.pos;
            const next = i < end ? b[i]! : 0;
            if (next === 0x2e || next === 0x65 || next === 0x45 || (b[vs] === 0x30 && i - vs > 1)) {
              return fail("TICKER is not a string or an integer");
            }
            if (v < 0 || i - vs > MAX_INSTRUMENT_LENGTH) return fail("TICKER is not a valid instrument id");
            scanInstrument(b, vs, i);
            instrument = internAscii(b, vs, i, cursor.instrumentHash);
          } else {
            return fail("TICKER is not a string");
          }
          break;
        }
        case J_PRICE: {
          let vs: number;
          let ve: number;
          if (c === QUOTE) {
            vs = i + 1;
            i = scanString(b, i, end);
            if (i < 0) return JSON_SYNTAX;
            ve = i - 1;
            if (stringEscaped) return fail("PRICE is not a number");
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            vs = i;
            i = scanNumber(b, i, end);
            if (i < 0) return JSON_SYNTAX;
            ve = i;
          } else {
            return fail("PRICE is not a number");
          }
          cents = centsFromBytes(b, vs, ve);
          if (cents < 0) return fail(`PRICE ${centsFailure(cents)}`);
          break;
        }
        case J_EVENT_TIME: {
          if (c !== QUOTE) return fail("EVENT_TIME is not a string");
          const vs = i + 1;
          i = scanString(b, i, end);
          if (i < 0) return JSON_SYNTAX;
          const t = stringEscaped ? (parseIsoUtc(decodeJsonString(b, vs - 1, i)) ?? -1) : isoToEpochMs(b, vs, i - 1);
          if (t < 0) return fail("EVENT_TIME is not an ISO-8601 timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff][Z])");
          eventTime = t;
          break;
        }
        default:
          i = skipValue(b, i, end, 1);
          if (i === -2) return JSON_DEPTH;
          if (i < 0) return JSON_SYNTAX;
      }
      i = skipBlank(b, i, end);
      if (i >= end) return JSON_SYNTAX;
      if (b[i] === COMMA) {
        i = skipBlank(b, i + 1, end);
        continue;
      }
      if (b[i] === RBRACE) {
        i++;
        break;
      }
      return JSON_SYNTAX;
    }
  }
  if (skipBlank(b, i, end) !== end) return JSON_TRAILING;
  if ((seen & J_TICKER) === 0) return fail("missing TICKER (instrument)");
  if ((seen & J_PRICE) === 0) return fail("missing PRICE");
  if ((seen & J_EVENT_TIME) === 0) return fail("missing EVENT_TIME (event time)");
  return {
    ok: true,
    tick: { instrument, eventTime, receivedAt: null, level: null, pricesCents: [cents] },
  };
}

// ---------------------------------------------------------------------------------------------
// The fast path's hot loops use literals and locals rather than module bindings, whose every
// read is checked, and inline their own blank and instrument scans: calling skipBlank and
// scanInstrument here measured 2-6% slower on JSON trades.
const instrumentChars = INSTRUMENT_CHAR;

/**
 * Fast path for the common JSON trade: exactly the members EVENT_TIME, TICKER (a string) and
 * PRICE (a number), in any order, without escapes or non-ASCII text. Like `fastPipe` it returns
 * the tick decodeJson would return, or null to leave the record to decodeJson. With `lines` set
 * (as `fastPipe`), the object must sit on one line, and blanks after it end at a `\n`, where
 * `cursor.pos` is left (or at `end`).
 */
export function fastJson(b: Uint8Array, start: number, end: number, lines: boolean): Tick | null {
  let seen = 0;
  let instrument = "";
  let eventTime = 0;
  let cents = 0;
  let i = start + 1;
  let c = 0;
  const chars = instrumentChars;
  // In lines mode a line break is not a blank: it ends the object's line.
  const nl = lines ? 0x20 : 0x0a;
  while (true) {
    while (i < end && ((c = b[i]!) === 0x20 || c === nl || c === 0x0d || c === 0x09)) i++;
    if (i >= end || c !== 0x22) return null;
    // The three keys, compared in place with their closing quote; any other key, or one with an
    // escape, is for decodeJson.
    const room = end - i;
    const k0 = b[i + 1];
    let field: number;
    if (k0 === 0x45 && room > 11 && b[i + 11] === 0x22 && b[i + 2] === 0x56 && b[i + 3] === 0x45 && b[i + 4] === 0x4e && b[i + 5] === 0x54 && b[i + 6] === 0x5f && b[i + 7] === 0x54 && b[i + 8] === 0x49 && b[i + 9] === 0x4d && b[i + 10] === 0x45) {
      field = 1;
      i += 12;
    } else if (k0 === 0x54 && room > 7 && b[i + 7] === 0x22 && b[i + 2] === 0x49 && b[i + 3] === 0x43 && b[i + 4] === 0x4b && b[i + 5] === 0x45 && b[i + 6] === 0x52) {
      field = 2;
      i += 8;
    } else if (k0 === 0x50 && room > 6 && b[i + 6] === 0x22 && b[i + 2] === 0x52 && b[i + 3] === 0x49 && b[i + 4] === 0x43 && b[i + 5] === 0x45) {
      field = 4;
      i += 7;
    } else {
      return null;
    }
    if ((seen & field) !== 0) return null;
    seen |= field;
    while (i < end && ((c = b[i]!) === 0x20 || c === nl || c === 0x0d || c === 0x09)) i++;
    if (i >= end || c !== 0x3a) return null;
    i++;
    while (i < end && ((c = b[i]!) === 0x20 || c === nl || c === 0x0d || c === 0x09)) i++;
    if (i >= end) return null;
    if (field === 4) {
      if (c !== 0x2d && (c < 0x30 || c > 0x39)) return null;
      const vs = i;
      i = scanNumber(b, i, end);
      if (i < 0) return null;
      cents = centsFromBytes(b, vs, i);
      if (cents < 0) return null;
    } else {
      if (c !== 0x22) return null;
      const vs = ++i;
      if (field === 2) {
        let h = 0x811c9dc5;
        while (i < end && chars[(c = b[i]!)] === 1) {
          h = Math.imul(h ^ c, 0x01000193);
          i++;
        }
        if (i >= end || c !== 0x22 || i === vs || i - vs > 64) return null;
        instrument = internAscii(b, vs, i, h >>> 0);
      } else {
        // The generator's form, with microseconds, is 26 bytes: where its closing quote stands
        // there, the timestamp parser reads every byte before it (none may be a quote, an escape
        // or a control character), so no scan for the quote is needed.
        if (end - vs > 26 && b[vs + 26] === 0x22) {
          i = vs + 26;
        } else {
          while (i < end && (c = b[i]!) !== 0x22) {
            if (c === 0x5c || c < 0x20 || c >= 0x80) return null;
            i++;
          }
          if (i >= end) return null;
        }
        eventTime = isoToEpochMs(b, vs, i);
        if (eventTime < 0) return null;
      }
      i++;
    }
    while (i < end && ((c = b[i]!) === 0x20 || c === nl || c === 0x0d || c === 0x09)) i++;
    if (i >= end) return null;
    i++;
    if (c === 0x7d) break;
    if (c !== 0x2c) return null;
  }
  while (i < end && ((c = b[i]!) === 0x20 || c === nl || c === 0x0d || c === 0x09)) i++;
  if (seen !== 7) return null;
  if (i !== end) {
    if (!lines || c !== 0x0a) return null;
    end = i;
  }
  cursor.pos = end;
  return { instrument, eventTime, receivedAt: null, level: null, pricesCents: [cents] };
}
