/**
 * Instrument ids. They are strings everywhere (pipe `instrument=3` and JSON `"TICKER": "3"`
 * are the same instrument "3"), compared byte for byte: "03" and "3" are different ids.
 *
 * An id is 1 to {@link MAX_INSTRUMENT_LENGTH} characters from `A-Z a-z 0-9 . _ - ~ : ^ = + @ !`.
 * The set keeps ids safe as a DynamoDB sort key, as one URL path segment
 * (`/instruments/{id}/windows`) and as a JSON string without escaping; tickers such as
 * `AAPL`, `BRK.B`, `^GSPC`, `ES=F` or `EUR:USD` fit.
 */

export const MAX_INSTRUMENT_LENGTH = 64;

/** INSTRUMENT_CHAR[byte] === 1 when the byte may appear in an instrument id. */
export const INSTRUMENT_CHAR = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) INSTRUMENT_CHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) INSTRUMENT_CHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) INSTRUMENT_CHAR[c] = 1;
for (const ch of "._-~:^=+@!") INSTRUMENT_CHAR[ch.charCodeAt(0)] = 1;

export function isValidInstrument(id: string): boolean {
  if (id.length === 0 || id.length > MAX_INSTRUMENT_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c > 0xff || INSTRUMENT_CHAR[c] !== 1) return false;
  }
  return true;
}

/**
 * Stable 32-bit FNV-1a hash of an instrument id's bytes (ids are ASCII, so bytes and UTF-16
 * code units coincide; other characters are hashed by their UTF-8 bytes). The latest table
 * spreads instruments over its partitions with it, so it must never change.
 */
export function instrumentHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) return hashBytes(Buffer.from(id, "utf8"));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
