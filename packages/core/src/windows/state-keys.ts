/**
 * Keys of the State table (pk = kind, sk = key, both strings) owned by the window consumer.
 *
 * | pk          | sk                          | attributes                                   |
 * | ----------- | --------------------------- | -------------------------------------------- |
 * | `watermark` | `global`                    | watermark, target                            |
 * | `shard`     | shard id                    | maxEventTime, pendingMax, lastBatchAt        |
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
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 10 ** WIDTH) throw new Error(`time out of range for a key: ${ms}`);
  return String(ms).padStart(WIDTH, "0");
}

/** Sort key of an index entry and of its emit claim. */
export function windowKey(windowEnd: number, instrument: string): string {
  return `${padTime(windowEnd)}#${instrument}`;
}

/** Exclusive upper bound of the keys of windows with end <= endAtMost; null if there can be none. */
export function windowKeyBound(endAtMost: number): string | null {
  if (endAtMost < 0) return null;
  return padTime(Math.min(endAtMost + 1, 10 ** WIDTH - 1));
}
