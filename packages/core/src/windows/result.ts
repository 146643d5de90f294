import { InvalidCentsError, MalformedWindowRecordError } from "./errors.js";

/**
 * A closed window's result and its one byte-exact JSON form on the `windows` stream:
 *
 *   {"instrument":"3","windowStart":1763800000000,"windowEnd":1763800060000,"max":123.45}
 *
 * Keys always in this order; `max` is the decimal price written from integer cents without
 * floating point (12345 -> 123.45, 12000 -> 120, 12340 -> 123.4, 5 -> 0.05). The same result
 * always gives the same bytes, so a repeated record is byte-identical and readers can drop it
 * by (instrument, windowStart).
 */
export interface WindowResult {
  instrument: string;
  windowStart: number;
  windowEnd: number;
  maxCents: number;
}

/** Integer cents as the shortest exact decimal: 12345 -> "123.45", 12000 -> "120". */
export function centsToDecimalText(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new InvalidCentsError(cents);
  const negative = cents < 0;
  const abs = negative ? -cents : cents;
  const whole = Math.floor(abs / 100);
  const frac = abs - whole * 100;
  let text = String(whole);
  if (frac !== 0) text += frac % 10 === 0 ? `.${frac / 10}` : `.${frac < 10 ? "0" : ""}${frac}`;
  return negative ? `-${text}` : text;
}

export function windowRecordJson(result: WindowResult): string {
  return (
    `{"instrument":${JSON.stringify(result.instrument)},` +
    `"windowStart":${result.windowStart},"windowEnd":${result.windowEnd},` +
    `"max":${centsToDecimalText(result.maxCents)}}`
  );
}

export interface WindowRecord {
  instrument: string;
  windowStart: number;
  windowEnd: number;
  max: number;
}

/** Parses a record of the `windows` stream (for readers and tests); throws on a malformed one. */
export function parseWindowRecord(text: string): WindowRecord {
  let value: Partial<WindowRecord>;
  try {
    value = JSON.parse(text) as Partial<WindowRecord>;
  } catch (error) {
    throw new MalformedWindowRecordError(text, { cause: error });
  }
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.instrument !== "string" ||
    !Number.isSafeInteger(value.windowStart) ||
    !Number.isSafeInteger(value.windowEnd) ||
    typeof value.max !== "number"
  ) {
    throw new MalformedWindowRecordError(text);
  }
  return value as WindowRecord;
}
