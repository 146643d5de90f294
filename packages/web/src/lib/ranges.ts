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

/** The chart draws at most about this many candles, whatever the range. */
export const MAX_CHART_POINTS = 400;

// Step lengths in slides, smallest first: round numbers of seconds and minutes with the default slide.
const STEP_SLIDES = [1, 2, 3, 6, 12, 18, 24, 30, 60, 90, 120, 180, 360, 720, 1440, 2880, 8640];

/**
 * The candle length for `range`: the shortest whole number of slides (of the listed round ones)
 * that keeps the chart at most `maxPoints` candles; 15 min and 1 h draw every pane, 24 h (with a
 * 10 s slide) merges 24 panes into 4-minute candles.
 */
export function chartStep(range: RangeKey, slideMs: number, maxPoints = MAX_CHART_POINTS): number {
  if (!(slideMs > 0) || !Number.isInteger(slideMs))
    throw new Error(`The slide must be a positive whole number of ms, not ${slideMs}`);
  if (!(maxPoints >= 1)) throw new Error(`maxPoints must be at least 1, not ${maxPoints}`);
  const ms = RANGES[range].ms;
  const slides =
    STEP_SLIDES.find((n) => ms / (n * slideMs) <= maxPoints) ??
    Math.ceil(ms / (slideMs * maxPoints));
  return slides * slideMs;
}

/**
 * The history to ask for when only the current window's single panes are needed (the one-minute
 * high of the chart and of the selected row): the chart's own history when its candles are
 * single panes too, so that both are one query, polled once; else just the window.
 */
export function recentPanesHistory(range: RangeKey, slideMs: number, windowMs: number): number {
  return chartStep(range, slideMs) === slideMs ? RANGES[range].ms : windowMs;
}
