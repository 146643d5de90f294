/** The chart's time ranges. */

export const RANGES = {
  "15m": { label: "15 min", ms: 15 * 60_000 },
  "1h": { label: "1 h", ms: 60 * 60_000 },
  "6h": { label: "6 h", ms: 6 * 60 * 60_000 },
  "24h": { label: "24 h", ms: 24 * 60 * 60_000 },
} as const;

export type RangeKey = keyof typeof RANGES;

export const RANGE_KEYS = Object.keys(RANGES) as RangeKey[];

export const DEFAULT_RANGE: RangeKey = "15m";

export function isRangeKey(value: unknown): value is RangeKey {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(RANGES, value);
}

/** What the chart asks for and draws for one range. */
export interface RangeSpan {
  from: number;
  to: number;
}

/**
 * The span of `range` that ends now. It ends at the newest tick instead when that tick is later
 * (a producer clock slightly ahead of the browser's), so that the tick stays on screen.
 */
export function rangeSpan(range: RangeKey, now: number, newestTick = 0): RangeSpan {
  const to = Math.max(now, newestTick);
  return { from: to - RANGES[range].ms, to };
}

/** Pane history the chart needs for `range`: one window more, for the sliding maximum at its left edge. */
export function chartHistoryMs(range: RangeKey, windowMs: number): number {
  return RANGES[range].ms + windowMs;
}
