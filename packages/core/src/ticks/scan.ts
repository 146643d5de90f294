import { INSTRUMENT_CHAR } from "./instrument.js";

/**
 * Byte-level pieces both record decoders share: the bytes they look for, key matching, the
 * digit, instrument and blank scanners, and the state those scanners leave behind.
 */

export const PIPE = 0x7c;
export const EQ = 0x3d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** The bytes of an ASCII key, to compare record bytes against without decoding them. */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function matches(b: Uint8Array, start: number, key: Uint8Array): boolean {
  for (let k = 0; k < key.length; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

/** A short, printable rendering of a field name for a reason. */
export function quoteName(b: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(b.buffer, b.byteOffset + start, Math.min(end - start, 40)).toString("utf8");
  return JSON.stringify(end - start > 40 ? `${text}…` : text);
}

/**
 * Parser state shared by the scanners and the full decoders (which are synchronous and not
 * re-entrant): the scanners return one value and leave the rest here rather than allocate.
 * One object, because another module's `let` binding cannot be assigned.
 */
export const cursor = {
  /** Where the last {@link readUint}, {@link scanInstrument} or value skip stopped. */
  pos: 0,
  /** FNV-1a hash of the instrument bytes the last {@link scanInstrument} read. */
  instrumentHash: 0,
  /** A byte >= 0x80 was seen in this record: its UTF-8 must be checked before it is accepted. */
  sawNonAscii: false,
};

/** Digits from i up to a non-digit; leaves `cursor.pos` after them. Returns -1 when there is none. */
export function readUint(b: Uint8Array, i: number, end: number): number {
  const from = i;
  let v = 0;
  let c: number;
  while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
    v = v * 10 + (c - 0x30);
    i++;
  }
  cursor.pos = i;
  return i === from ? -1 : v;
}

/**
 * Validates instrument bytes from i up to `end`; leaves `cursor.pos` at the first byte that is
 * not an instrument character and the FNV-1a hash in `cursor.instrumentHash`.
 */
export function scanInstrument(b: Uint8Array, i: number, end: number): void {
  let h = 0x811c9dc5;
  while (i < end) {
    const c = b[i]!;
    if (INSTRUMENT_CHAR[c] !== 1) break;
    h = Math.imul(h ^ c, 0x01000193);
    i++;
  }
  cursor.instrumentHash = h >>> 0;
  cursor.pos = i;
}

/** JSON's whitespace; also what is trimmed around any record. */
export function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipBlank(b: Uint8Array, i: number, end: number): number {
  while (i < end && isBlank(b[i]!)) i++;
  return i;
}
