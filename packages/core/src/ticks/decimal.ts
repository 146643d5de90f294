/**
 * Exact conversions between decimal prices and integer cents, without binary floating point
 * in between.
 *
 * A decimal such as "84.51" is read digit by digit into an integer mantissa and a power of
 * ten, so 84.51 becomes 8451 cents exactly; `Math.round(84.51 * 100)` happens to work for that
 * value but `x * 100` drifts for others (1.005 * 100 = 100.49999999999999), which is why it is
 * never used here.
 *
 * Rules (shared by the JSON `PRICE` field and by every caller of these helpers):
 * - the grammar is JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`;
 * - a leading `-` is refused ("negative"), even for `-0`;
 * - digits below one cent must be zeros: "84.510" is 8451, "84.515" is refused ("sub-cent");
 * - the result must be at most {@link MAX_CENTS} (15 decimal digits, exactly representable).
 *
 * A JavaScript number is converted through its shortest round-trip decimal string
 * (`String(x)`, e.g. "84.51"), which is also what a JSON producer writes for it.
 */

/** Largest accepted amount in cents (15 digits, far below 2^53 so every step stays exact). */
export const MAX_CENTS = 999_999_999_999_999;

/** Failure codes of {@link centsFromBytes}; every valid result is >= 0. */
export const CENTS_NOT_A_NUMBER = -1;
export const CENTS_NEGATIVE = -2;
export const CENTS_SUB_CENT = -3;
export const CENTS_OUT_OF_RANGE = -4;

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/**
 * Parses the decimal number in bytes [start, end) into integer cents. Returns the cents (>= 0)
 * or one of the negative CENTS_* codes. Allocates nothing.
 */
export function centsFromBytes(b: Uint8Array, start: number, end: number): number {
  let i = start;
  if (i >= end) return CENTS_NOT_A_NUMBER;
  let negative = false;
  if (b[i] === 0x2d) {
    negative = true;
    i++;
    if (i >= end) return CENTS_NOT_A_NUMBER;
  }
  // Mantissa: significant digits only (leading zeros skipped), at most 15 of them, so that
  // the mantissa stays an exact integer (15 digits < 2^53).
  let mantissa = 0;
  let sig = 0;
  let overflow = false;
  // Power of ten applied to the mantissa, before the shift to cents.
  let exp10 = 0;
  let c = b[i]!;
  if (c === 0x30) {
    i++;
  } else if (c >= 0x31 && c <= 0x39) {
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      if (sig < 15) {
        mantissa = mantissa * 10 + (c - 0x30);
        sig++;
      } else {
        // Further integer digits only scale the value up: keep count of them.
        exp10++;
        overflow = true;
      }
      i++;
    }
  } else {
    return CENTS_NOT_A_NUMBER;
  }
  // Zeros after the decimal point that are not yet followed by a non-zero digit are held back,
  // so that trailing zeros ("84.5100") never count as precision.
  let subCentNonZero = false;
  if (i < end && b[i] === 0x2e) {
    i++;
    const fracStart = i;
    let pendingZeros = 0;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      if (c === 0x30) {
        pendingZeros++;
      } else {
        // Flush held-back zeros, then this digit.
        for (let z = 0; z <= pendingZeros; z++) {
          const d = z === pendingZeros ? c - 0x30 : 0;
          if (sig === 0 && d === 0) {
            exp10--;
            continue;
          }
          if (sig < 15) {
            mantissa = mantissa * 10 + d;
            sig++;
            exp10--;
          } else if (d !== 0) {
            subCentNonZero = true;
          }
        }
        pendingZeros = 0;
      }
      i++;
    }
    if (i === fracStart) return CENTS_NOT_A_NUMBER;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) {
      expNegative = b[i] === 0x2d;
      i++;
    }
    const expStart = i;
    let e = 0;
    while (i < end && (c = b[i]!) >= 0x30 && c <= 0x39) {
      if (e < 10_000) e = e * 10 + (c - 0x30);
      i++;
    }
    if (i === expStart) return CENTS_NOT_A_NUMBER;
    exp10 += expNegative ? -e : e;
  }
  if (i !== end) return CENTS_NOT_A_NUMBER;
  if (negative) return CENTS_NEGATIVE;
  if (subCentNonZero) return CENTS_SUB_CENT;
  if (mantissa === 0) return 0;
  if (overflow) return CENTS_OUT_OF_RANGE;
  // value = mantissa * 10^exp10; cents = mantissa * 10^(exp10 + 2)
  let shift = exp10 + 2;
  while (shift < 0 && mantissa % 10 === 0) {
    mantissa /= 10;
    shift++;
  }
  if (shift < 0) return CENTS_SUB_CENT;
  if (shift > 15) return CENTS_OUT_OF_RANGE;
  const cents = mantissa * POW10[shift]!;
  if (cents > MAX_CENTS) return CENTS_OUT_OF_RANGE;
  return cents;
}

/** Why a CENTS_* code was returned, as a short phrase for a bad-record reason. */
export function centsFailure(code: number): string {
  switch (code) {
    case CENTS_NEGATIVE:
      return "is negative";
    case CENTS_SUB_CENT:
      return "has digits below one cent";
    case CENTS_OUT_OF_RANGE:
      return "is out of range";
    default:
      return "is not a number";
  }
}

function asciiBytes(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out;
}

/** "84.51" -> 8451, "84.5" -> 8450, "84" -> 8400; null when the text breaks the rules above. */
export function decimalToCents(text: string): number | null {
  const bytes = asciiBytes(text);
  if (bytes === null) return null;
  const cents = centsFromBytes(bytes, 0, bytes.length);
  return cents >= 0 ? cents : null;
}

/** 84.51 -> 8451 through the shortest decimal representation of the number; null if invalid. */
export function numberToCents(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return decimalToCents(String(value));
}

/**
 * Cents as a JSON number: 12345 -> 123.45. Dividing an integer by 100 is correctly rounded, so
 * the result is the double nearest to the exact decimal and prints as exactly that decimal.
 */
export function centsToNumber(cents: number): number {
  return cents / 100;
}

/** Cents as a decimal string with two places: 12345 -> "123.45", 5 -> "0.05". */
export function formatCents(cents: number): string {
  const whole = Math.trunc(cents / 100);
  const frac = cents - whole * 100;
  return `${whole}.${frac < 10 ? "0" : ""}${frac}`;
}
