import type { Tick } from "../tick.js";
import { MAX_CENTS } from "./decimal.js";
import { INSTRUMENT_CHAR, MAX_INSTRUMENT_LENGTH } from "./instrument.js";
import { internAscii } from "./intern.js";
import { MAX_LEVEL, MAX_PRICE_LEVELS, fail, type DecodeResult } from "./result.js";
import { EQ, PIPE, bytesOf, cursor, matches, quoteName, readUint, scanInstrument } from "./scan.js";
import { MAX_EPOCH_MS } from "./time.js";

/**
 * The pipe format of the Kinesis Data Generator template: `name=value` fields separated by `|`,
 * e.g. `session=20261122|sequence=1763800000123|reception=1763800000150|instrument=3|l=7|price_0=12345|`
 * - Each field needs a `=`; the value runs to the next `|` and may be one character long.
 *   Empty fields (`||`, a trailing `|`) are skipped. Control characters are refused.
 * - `sequence` (event time, epoch ms), `instrument` and `price_0` are required.
 * - `reception` (epoch ms) and `l`/`level` (book level) are optional integers; `type`/`t` and any
 *   other field are accepted and not stored.
 * - `price_N` (N = 0..63, written without leading zeros) are integer cents: digits only, at most
 *   15 of them. They must run from price_0 without a gap.
 *
 * {@link fastPipe} reads the common record; {@link decodePipe} reads every other one and names
 * what is wrong with a bad one.
 */

const CONTROL = Object.freeze(fail("control character in record"));
const UNRECOGNISED = Object.freeze(fail("unrecognised format: neither a pipe record nor a JSON object"));

const K_TYPE = bytesOf("type");
const K_LEVEL = bytesOf("level");
const K_SEQUENCE = bytesOf("sequence");
const K_RECEPTION = bytesOf("reception");
const K_INSTRUMENT = bytesOf("instrument");
const K_PRICE_ = bytesOf("price_");

/** Skips a pipe value up to the next `|`; returns false on a control character. */
function skipPipeValue(b: Uint8Array, i: number, end: number): boolean {
  while (i < end) {
    const c = b[i]!;
    if (c === PIPE) break;
    if (c < 0x20 || c === 0x7f) {
      if (c !== 0x09) return false;
    } else if (c >= 0x80) {
      cursor.sawNonAscii = true;
    }
    i++;
  }
  cursor.pos = i;
  return true;
}

const P_UNKNOWN = 0;
const P_SEQUENCE = 1;
const P_RECEPTION = 2;
const P_INSTRUMENT = 4;
const P_LEVEL = 8;
const P_TYPE = 16;
const P_PRICE = 32;

const priceScratch = new Float64Array(MAX_PRICE_LEVELS);

function notInteger(name: string): DecodeResult {
  return fail(`${name} is not a non-negative integer`);
}

/** The full decoder: every form the format allows, and a reason for every bad record. */
export function decodePipe(b: Uint8Array, start: number, end: number): DecodeResult {
  let seen = 0;
  let eventTime = -1;
  let receivedAt = -1;
  let level = -1;
  let instrument = "";
  let pricesLo = 0;
  let pricesHi = 0;
  let priceTop = -1;
  let fields = 0;
  let i = start;

  while (i < end) {
    let c = b[i]!;
    if (c === PIPE) {
      i++;
      continue;
    }
    const keyStart = i;
    let keyEnd = -1;
    let field = P_UNKNOWN;
    let priceIndex = -1;
    // The template's own keys, recognised from their first byte and read once; price keys are
    // named below, with every other key.
    switch (c) {
      case 0x73: // sequence=
        if (end - i > 8 && b[i + 8] === EQ && matches(b, i, K_SEQUENCE)) {
          keyEnd = i + 8;
          field = P_SEQUENCE;
        }
        break;
      case 0x72: // reception=
        if (end - i > 9 && b[i + 9] === EQ && matches(b, i, K_RECEPTION)) {
          keyEnd = i + 9;
          field = P_RECEPTION;
        }
        break;
      case 0x69: // instrument=
        if (end - i > 10 && b[i + 10] === EQ && matches(b, i, K_INSTRUMENT)) {
          keyEnd = i + 10;
          field = P_INSTRUMENT;
        }
        break;
      case 0x6c: // l=
        if (end - i > 1 && b[i + 1] === EQ) {
          keyEnd = i + 1;
          field = P_LEVEL;
        }
        break;
    }
    if (keyEnd < 0) {
      while (c !== EQ && c !== PIPE) {
        if (c < 0x20 || c === 0x7f) return CONTROL;
        if (c >= 0x80) cursor.sawNonAscii = true;
        if (++i === end) break;
        c = b[i]!;
      }
      if (i === end || c === PIPE) {
        return fields === 0 ? UNRECOGNISED : fail(`field ${quoteName(b, keyStart, i)} has no '='`);
      }
      keyEnd = i;
      const kl = keyEnd - keyStart;
      switch (kl) {
        case 0:
          return fail("field with an empty name");
        case 1: {
          const k = b[keyStart];
          if (k === 0x6c) field = P_LEVEL;
          else if (k === 0x74) field = P_TYPE;
          break;
        }
        case 4:
          if (matches(b, keyStart, K_TYPE)) field = P_TYPE;
          break;
        case 5:
          if (matches(b, keyStart, K_LEVEL)) field = P_LEVEL;
          break;
        case 8:
          if (matches(b, keyStart, K_SEQUENCE)) field = P_SEQUENCE;
          break;
        case 9:
          if (matches(b, keyStart, K_RECEPTION)) field = P_RECEPTION;
          break;
        case 10:
          if (matches(b, keyStart, K_INSTRUMENT)) field = P_INSTRUMENT;
          break;
      }
      if (field === P_UNKNOWN && kl > 6 && matches(b, keyStart, K_PRICE_)) {
        const idx = readUint(b, keyStart + 6, keyEnd);
        if (idx >= 0 && cursor.pos === keyEnd) {
          if (b[keyStart + 6] === 0x30 && kl > 7) return fail(`bad price field name ${quoteName(b, keyStart, keyEnd)}`);
          if (idx >= MAX_PRICE_LEVELS) return fail(`too many price levels (${quoteName(b, keyStart, keyEnd)}; at most ${MAX_PRICE_LEVELS})`);
          field = P_PRICE;
          priceIndex = idx;
        }
      }
    }
    const vs = keyEnd + 1;
    const kl = keyEnd - keyStart;
    fields++;

    switch (field) {
      case P_PRICE: {
        const bit = priceIndex < 32 ? 1 << priceIndex : 1 << (priceIndex - 32);
        const set = priceIndex < 32 ? pricesLo : pricesHi;
        if ((set & bit) !== 0) return fail(`duplicate field "price_${priceIndex}"`);
        const v = readUint(b, vs, end);
        if (v < 0 || (cursor.pos < end && b[cursor.pos] !== PIPE)) return notInteger(`price_${priceIndex}`);
        if (v > MAX_CENTS) return fail(`price_${priceIndex} is out of range`);
        if (priceIndex < 32) pricesLo |= bit;
        else pricesHi |= bit;
        priceScratch[priceIndex] = v;
        if (priceIndex > priceTop) priceTop = priceIndex;
        i = cursor.pos;
        break;
      }
      case P_SEQUENCE:
      case P_RECEPTION: {
        const name = field === P_SEQUENCE ? "sequence" : "reception";
        if ((seen & field) !== 0) return fail(`duplicate field "${name}"`);
        seen |= field;
        const v = readUint(b, vs, end);
        if (v < 0 || (cursor.pos < end && b[cursor.pos] !== PIPE)) return notInteger(name);
        if (v > MAX_EPOCH_MS) return fail(`${name} is out of range`);
        if (field === P_SEQUENCE) eventTime = v;
        else receivedAt = v;
        i = cursor.pos;
        break;
      }
      case P_INSTRUMENT: {
        if ((seen & P_INSTRUMENT) !== 0) return fail('duplicate field "instrument"');
        seen |= P_INSTRUMENT;
        scanInstrument(b, vs, end);
        if (cursor.pos < end && b[cursor.pos] !== PIPE) return fail("instrument has a character outside A-Z a-z 0-9 . _ - ~ : ^ = + @ !");
        const n = cursor.pos - vs;
        if (n === 0) return fail("instrument is empty");
        if (n > MAX_INSTRUMENT_LENGTH) return fail(`instrument is longer than ${MAX_INSTRUMENT_LENGTH} characters`);
        instrument = internAscii(b, vs, cursor.pos, cursor.instrumentHash);
        i = cursor.pos;
        break;
      }
      case P_LEVEL: {
        if ((seen & P_LEVEL) !== 0) return fail('duplicate field "level" (l / level)');
        seen |= P_LEVEL;
        const v = readUint(b, vs, end);
        if (v < 0 || (cursor.pos < end && b[cursor.pos] !== PIPE)) return notInteger(kl === 1 ? "l" : "level");
        if (v > MAX_LEVEL) return fail("level is out of range");
        level = v;
        i = cursor.pos;
        break;
      }
      case P_TYPE: {
        if ((seen & P_TYPE) !== 0) return fail('duplicate field "type" (t / type)');
        seen |= P_TYPE;
        if (!skipPipeValue(b, vs, end)) return CONTROL;
        i = cursor.pos;
        break;
      }
      default:
        if (!skipPipeValue(b, vs, end)) return CONTROL;
        i = cursor.pos;
    }
  }

  if (fields === 0) return UNRECOGNISED;
  if ((seen & P_INSTRUMENT) === 0) return fail("missing instrument");
  if ((seen & P_SEQUENCE) === 0) return fail("missing sequence (event time)");
  if ((pricesLo & 1) === 0) return fail("missing price_0");
  const pricesCents: number[] = [];
  for (let k = 0; k <= priceTop; k++) {
    const present = k < 32 ? (pricesLo >>> k) & 1 : (pricesHi >>> (k - 32)) & 1;
    if (present === 0) return fail(`missing price_${k} (prices must run from price_0 without a gap)`);
    pricesCents.push(priceScratch[k]!);
  }
  return {
    ok: true,
    tick: {
      instrument,
      eventTime,
      receivedAt: receivedAt < 0 ? null : receivedAt,
      level: level < 0 ? null : level,
      pricesCents,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fast path for the common pipe record: printable ASCII, every field well formed, no duplicate,
// prices in order. It either returns exactly the tick that decodePipe would return, or null, and
// then the record is read again by decodePipe, which names the problem (or accepts a rarer form:
// tabs, non-ASCII values, prices out of order, unknown `price_x` keys, price levels above 30,
// over-long zero-padded numbers).
//
// Known keys are recognised where they start, by comparing their bytes and the `=` after them,
// so the bytes of a known key are read once and need no character checks (they are the key's
// own); only unknown keys are scanned for their `=`. Its hot loops use literals and locals
// rather than module bindings, whose every read is checked, and inline their own digit and
// instrument scans: calling readUint and scanInstrument here measured 5-20% slower.

const instrumentChars = INSTRUMENT_CHAR;
/** VALUE_CHAR[byte] === 1 for what the fast path lets through in a skipped value: printable ASCII but `|`. */
const VALUE_CHAR = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) VALUE_CHAR[c] = c === PIPE ? 0 : 1;
const fastScratch = new Float64Array(31);
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/** A byte that may end a line: the next field's turn checks that it does. */
function lineBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}

/**
 * The fast path over [start, end). With `lines` set the record may go on past a line break: the
 * tick ends at the first `\n` (or `\r\n`) between fields or after a value, and
 * `cursor.pos` is left at that `\n` (or at `end`), so that a record of lines is read in one
 * pass. A line that ends in blanks is left to the caller's full path, as is every other rarer
 * form.
 */
export function fastPipe(b: Uint8Array, start: number, end: number, lines: boolean): Tick | null {
  let seen = 0;
  let eventTime = 0;
  let receivedAt = -1;
  let level = -1;
  let instrument = "";
  let priceCount = 0;
  let i = start;
  const chars = instrumentChars;
  const valueChars = VALUE_CHAR;
  const scratch = fastScratch;
  const pow10 = POW10;
  while (i < end) {
    const k0 = b[i]!;
    if (k0 === 0x7c) {
      i++;
      continue;
    }
    // Field bits: 1 sequence, 2 reception, 4 instrument, 8 level, 16 type, 32 price; 0 unknown.
    let field = 0;
    let vs = i;
    const room = end - i;
    switch (k0) {
      case 0x70: // price_N=, N = 0..30 without leading zeros, in order
        if (room > 7 && b[i + 1] === 0x72 && b[i + 2] === 0x69 && b[i + 3] === 0x63 && b[i + 4] === 0x65 && b[i + 5] === 0x5f) {
          const d0 = b[i + 6]! - 0x30;
          if (d0 < 0 || d0 > 9) return null;
          let idx = d0;
          if (b[i + 7] === 0x3d) {
            vs = i + 8;
          } else {
            const d1 = b[i + 7]! - 0x30;
            if (d0 === 0 || d1 < 0 || d1 > 9 || room < 9 || b[i + 8] !== 0x3d) return null;
            idx = d0 * 10 + d1;
            vs = i + 9;
          }
          if (idx !== priceCount || idx > 30) return null;
          field = 32;
        }
        break;
      case 0x73: // sequence=
        if (room > 8 && b[i + 8] === 0x3d && b[i + 1] === 0x65 && b[i + 2] === 0x71 && b[i + 3] === 0x75 && b[i + 4] === 0x65 && b[i + 5] === 0x6e && b[i + 6] === 0x63 && b[i + 7] === 0x65) {
          field = 1;
          vs = i + 9;
        }
        break;
      case 0x72: // reception=
        if (room > 9 && b[i + 9] === 0x3d && b[i + 1] === 0x65 && b[i + 2] === 0x63 && b[i + 3] === 0x65 && b[i + 4] === 0x70 && b[i + 5] === 0x74 && b[i + 6] === 0x69 && b[i + 7] === 0x6f && b[i + 8] === 0x6e) {
          field = 2;
          vs = i + 10;
        }
        break;
      case 0x69: // instrument=
        if (room > 10 && b[i + 10] === 0x3d && b[i + 1] === 0x6e && b[i + 2] === 0x73 && b[i + 3] === 0x74 && b[i + 4] === 0x72 && b[i + 5] === 0x75 && b[i + 6] === 0x6d && b[i + 7] === 0x65 && b[i + 8] === 0x6e && b[i + 9] === 0x74) {
          field = 4;
          vs = i + 11;
        }
        break;
      case 0x6c: // l=, level=
      case 0x74: // t=, type=
        if (room > 1 && b[i + 1] === 0x3d) {
          field = k0 === 0x6c ? 8 : 16;
          vs = i + 2;
        } else if (k0 === 0x6c ? room > 5 && b[i + 5] === 0x3d && b[i + 1] === 0x65 && b[i + 2] === 0x76 && b[i + 3] === 0x65 && b[i + 4] === 0x6c : room > 4 && b[i + 4] === 0x3d && b[i + 1] === 0x79 && b[i + 2] === 0x70 && b[i + 3] === 0x65) {
          field = k0 === 0x6c ? 8 : 16;
          vs = k0 === 0x6c ? i + 6 : i + 5;
        }
        break;
    }
    if (field === 0 || field === 16) {
      if (field === 0) {
        // An unknown key: printable ASCII up to its `=`, not empty.
        while (i < end && valueChars[b[i]!] === 1 && b[i] !== 0x3d) i++;
        if (i === vs) {
          if (lines && (k0 === 0x0a || (k0 === 0x0d && room > 1 && b[i + 1] === 0x0a))) {
            end = k0 === 0x0a ? i : i + 1;
            break;
          }
          return null;
        }
        if (i === end || b[i] !== 0x3d) return null;
        i++;
      } else {
        if ((seen & 16) !== 0) return null;
        seen |= 16;
        i = vs;
      }
      while (i < end && valueChars[b[i]!] === 1) i++;
      if (i < end && b[i] !== 0x7c && !(lines && lineBreak(b[i]!))) return null;
      continue;
    }
    i = vs;
    if (field === 4) {
      if ((seen & 4) !== 0) return null;
      seen |= 4;
      let h = 0x811c9dc5;
      let c = 0;
      while (i < end && chars[(c = b[i]!)] === 1) {
        h = Math.imul(h ^ c, 0x01000193);
        i++;
      }
      if (i === vs || i - vs > 64 || (i < end && c !== 0x7c && !(lines && lineBreak(c)))) return null;
      instrument = internAscii(b, vs, i, h >>> 0);
      continue;
    }
    // Digits in 32-bit integer steps, nine then seven at most: a double accumulator would put
    // a floating multiply and add on every digit's dependency chain.
    let hi = 0;
    let stop = end - i > 9 ? i + 9 : end;
    while (i < stop) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      hi = (hi * 10 + d) | 0;
      i++;
    }
    let v = hi;
    if (i === stop && i < end) {
      const from = i;
      let lo = 0;
      stop = end - i > 7 ? i + 7 : end;
      while (i < stop) {
        const d = b[i]! - 0x30;
        if (d < 0 || d > 9) break;
        lo = (lo * 10 + d) | 0;
        i++;
      }
      v = hi * pow10[i - from]! + lo;
    }
    if (i === vs || i - vs > 15 || (i < end && b[i] !== 0x7c && !(lines && lineBreak(b[i]!)))) return null;
    if (field === 32) {
      scratch[priceCount++] = v;
      continue;
    }
    if ((seen & field) !== 0) return null;
    seen |= field;
    if (field === 1) {
      if (v > 253_402_300_799_999) return null;
      eventTime = v;
    } else if (field === 2) {
      if (v > 253_402_300_799_999) return null;
      receivedAt = v;
    } else {
      if (v > 1_000_000) return null;
      level = v;
    }
  }
  if ((seen & 5) !== 5 || priceCount === 0) return null;
  cursor.pos = end;
  const pricesCents = new Array<number>(priceCount);
  for (let k = 0; k < priceCount; k++) pricesCents[k] = scratch[k]!;
  return {
    instrument,
    eventTime,
    receivedAt: receivedAt < 0 ? null : receivedAt,
    level: level < 0 ? null : level,
    pricesCents,
  };
}
