import { KeyTimeOutOfRangeError } from "./errors.js";

/**
 * Keys of the State table (pk = kind, sk = key, both strings) owned by the window consumer.
 *
 * | pk          | sk                          | attributes                                   |
 * | ----------- | --------------------------- | -------------------------------------------- |
 * | `watermark` | `global`                    | watermark, target, epoch, lastActivityAt, resumedAt |
 * | `shard`     | shard id                    | maxEventTime, pendingMax, lastBatchAt, firstSeenAt |
 * | `open`      | `<windowEnd:16>#<instrument>` | instrument, windowStart, windowEnd, expiresAt |
 * | `emit`      | `<windowEnd:16>#<instrument>` | owner, leaseUntil, emittedAt, expiresAt       |
 *
 * windowEnd is zero-padded to 16 digits so that string order is time order: the windows due
 * at watermark w are one Query `pk = "open" AND sk < pad(w + 1)`.
 */
export const STATE_KINDS = {
  watermark: "watermark",
  shard: "shard",
  open: "open",
  emit: "emit",
} as const;

export const GLOBAL_KEY = "global";

const WIDTH = 16;

export function padTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 10 ** WIDTH) throw new KeyTimeOutOfRangeError(ms);
  return String(ms).padStart(WIDTH, "0");
}

/** Sort key of an index entry and of its emit claim. */
export function windowKey(windowEnd: number, instrument: string): string {
  return `${padTime(windowEnd)}#${instrument}`;
}

const MAX_TIME = 10 ** WIDTH - 1;

/**
 * Key range [lower, upper) holding the windows with after < windowEnd <= atMost: keys start
 * with the padded end, so `pad(after + 1) <= key < pad(atMost + 1)`. Null when empty.
 */
export function windowKeyRange(
  after: number | undefined,
  atMost: number,
  startAfter?: { windowEnd: number; instrument: string },
): { lower: string; upper: string } | null {
  const lo = after === undefined ? 0 : Math.max(0, after + 1);
  const hi = Math.min(atMost + 1, MAX_TIME);
  if (hi <= lo) return null;
  let lower = padTime(lo);
  // The smallest string above a key: the key followed by U+0000.
  if (startAfter) lower = maxString(lower, `${windowKey(startAfter.windowEnd, startAfter.instrument)}\u0000`);
  const upper = padTime(hi);
  return lower < upper ? { lower, upper } : null;
}

function maxString(a: string, b: string): string {
  return a > b ? a : b;
}
