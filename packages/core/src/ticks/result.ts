import type { Tick } from "../tick.js";

/** A decoded record: the tick, or why the record is bad. */
export type DecodeResult = { ok: true; tick: Tick } | { ok: false; reason: string };

/** Largest record accepted: the Kinesis record payload limit of 1 MiB. Ticks are ~200 bytes. */
export const MAX_RECORD_BYTES = 1_048_576;
/** price_0 .. price_63 */
export const MAX_PRICE_LEVELS = 64;
/** Book levels above this are refused as absurd. */
export const MAX_LEVEL = 1_000_000;

export function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}
