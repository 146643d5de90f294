/**
 * ISO-8601 timestamps as the stock-trade generator writes them (Python `datetime.isoformat()`):
 * `2026-11-22T10:00:00.123456`, read as UTC and truncated (not rounded) to milliseconds.
 *
 * Accepted: `YYYY-MM-DD`, then `T`, `t` or a space, then `HH:MM:SS`, an optional fraction of
 * any length (`.1` = 100 ms, `.123456789` = 123 ms), then an optional zone: none (UTC), `Z`/`z`,
 * or an offset `+HH:MM`, `+HHMM`, `+HH` (converted to UTC). Years 1970 to 9999, real calendar
 * dates (leap years included), hours 0-23, minutes and seconds 0-59. Parsed from bytes without
 * allocating and without `Date.parse`, whose handling of zone-less strings varies.
 */

/** Largest event time accepted anywhere: the end of year 9999 UTC, epoch ms. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function digits(b: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = b[i + k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

let lastDateKey = -1;
let lastDays = 0;

/** Epoch milliseconds of the timestamp in bytes [start, end), or -1 when it is not one. */
export function isoToEpochMs(b: Uint8Array, start: number, end: number): number {
  // Shortest form: YYYY-MM-DDTHH:MM:SS (19 bytes).
  if (end - start < 19) return -1;
  let i = start;
  const year = digits(b, i, 4);
  if (year < 1970 || b[i + 4] !== 0x2d) return -1;
  const month = digits(b, i + 5, 2);
  if (month < 1 || month > 12 || b[i + 7] !== 0x2d) return -1;
  const day = digits(b, i + 8, 2);
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month]!;
  if (day < 1 || day > dim) return -1;
  const sep = b[i + 10];
  if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) return -1;
  const hour = digits(b, i + 11, 2);
  if (hour < 0 || hour > 23 || b[i + 13] !== 0x3a) return -1;
  const minute = digits(b, i + 14, 2);
  if (minute < 0 || minute > 59 || b[i + 16] !== 0x3a) return -1;
  const second = digits(b, i + 17, 2);
  if (second < 0 || second > 59) return -1;
  i += 19;
  let ms = 0;
  if (i < end && b[i] === 0x2e) {
    i++;
    const fracStart = i;
    let c: number;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      const k = i - fracStart;
      if (k < 3) ms = ms * 10 + (c - 0x30);
      i++;
    }
    const n = i - fracStart;
    if (n === 0) return -1;
    if (n === 1) ms *= 100;
    else if (n === 2) ms *= 10;
  }
  let offsetMinutes = 0;
  if (i < end) {
    const z = b[i];
    if (z === 0x5a || z === 0x7a) {
      i++;
    } else if (z === 0x2b || z === 0x2d) {
      const sign = z === 0x2d ? -1 : 1;
      i++;
      if (end - i < 2) return -1;
      const oh = digits(b, i, 2);
      if (oh < 0 || oh > 23) return -1;
      i += 2;
      let om = 0;
      if (i < end) {
        if (b[i] === 0x3a) i++;
        if (end - i < 2) return -1;
        om = digits(b, i, 2);
        if (om < 0 || om > 59) return -1;
        i += 2;
      }
      offsetMinutes = sign * (oh * 60 + om);
    } else {
      return -1;
    }
  }
  if (i !== end) return -1;
  // Timestamps in a stream share their date: the day number of the last date is kept.
  const dateKey = (year * 16 + month) * 32 + day;
  if (dateKey !== lastDateKey) {
    lastDays = daysFromCivil(year, month, day);
    lastDateKey = dateKey;
  }
  const t = (lastDays * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60) * 1000 + ms;
  return t < 0 || t > MAX_EPOCH_MS ? -1 : t;
}

/** String form of {@link isoToEpochMs}; null when the text is not an accepted timestamp. */
export function parseIsoUtc(text: string): number | null {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return null;
    b[i] = c;
  }
  const t = isoToEpochMs(b, 0, b.length);
  return t < 0 ? null : t;
}
