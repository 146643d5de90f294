import type { WindowConfig } from "../config.js";
import { InvalidWindowShapeError } from "./errors.js";

/**
 * Sliding event-time windows, as Flink's `SlidingEventTimeWindows` assigns them.
 *
 * A window [s, s + size) holds every tick with s <= eventTime < s + size; starts are multiples
 * of the slide. A pane is one slide, [p, p + slide): every window is the union of size / slide
 * consecutive panes, and a tick belongs to exactly one pane but to size / slide windows. The
 * consumer stores per-pane maxima; window maxima are the max over their panes.
 */
export interface WindowShape {
  /** Window length, ms; a whole number of slides. */
  sizeMs: number;
  /** Distance between window starts, ms; also the pane length. */
  slideMs: number;
}

export function windowShape(config: Pick<WindowConfig, "windowSizeMs" | "windowSlideMs">): WindowShape {
  const shape = { sizeMs: config.windowSizeMs, slideMs: config.windowSlideMs };
  assertShape(shape);
  return shape;
}

export function assertShape(shape: WindowShape): void {
  const { sizeMs, slideMs } = shape;
  if (!Number.isSafeInteger(sizeMs) || !Number.isSafeInteger(slideMs) || slideMs <= 0 || sizeMs <= 0 || sizeMs % slideMs !== 0) {
    throw new InvalidWindowShapeError(sizeMs, slideMs);
  }
}

/** Start of the pane (and of the latest window) holding an event time: floor to the slide. */
export function paneStartOf(eventTime: number, slideMs: number): number {
  const r = eventTime % slideMs;
  return r < 0 ? eventTime - r - slideMs : eventTime - r;
}

/** Panes per window. */
export function panesPerWindow(shape: WindowShape): number {
  return shape.sizeMs / shape.slideMs;
}

/** Start of the earliest window that holds pane `paneStart`. */
export function firstWindowStartOfPane(paneStart: number, shape: WindowShape): number {
  return paneStart - shape.sizeMs + shape.slideMs;
}

/** End (exclusive) of the latest window that holds pane `paneStart`: the pane is sealed then. */
export function lastWindowEndOfPane(paneStart: number, shape: WindowShape): number {
  return paneStart + shape.sizeMs;
}

/** Starts of every window holding the event time, oldest first: the aligned s in (t - size, t]. */
export function windowStartsOf(eventTime: number, shape: WindowShape): number[] {
  return windowStartsOfPane(paneStartOf(eventTime, shape.slideMs), shape);
}

/** Starts of every window holding a pane, oldest first. */
export function windowStartsOfPane(paneStart: number, shape: WindowShape): number[] {
  const out: number[] = [];
  for (let s = firstWindowStartOfPane(paneStart, shape); s <= paneStart; s += shape.slideMs) out.push(s);
  return out;
}

/** Pane starts of the window starting at `windowStart`, oldest first. */
export function panesOfWindow(windowStart: number, shape: WindowShape): number[] {
  const out: number[] = [];
  const end = windowEndOf(windowStart, shape);
  for (let p = windowStart; p < end; p += shape.slideMs) out.push(p);
  return out;
}

/** End (exclusive) of the window starting at `windowStart`. */
export function windowEndOf(windowStart: number, shape: WindowShape): number {
  return windowStart + shape.sizeMs;
}

/**
 * First and last pane start (both inclusive) covered by the windows starting from
 * `firstWindowStart` through `lastWindowStart`: the pane range to read for them.
 */
export function paneRangeOfWindows(firstWindowStart: number, lastWindowStart: number, shape: WindowShape): [number, number] {
  return [firstWindowStart, windowEndOf(lastWindowStart, shape) - shape.slideMs];
}

/** Aligned window (or pane) starts in [from, to), oldest first. */
export function alignedStartsIn(from: number, to: number, slideMs: number): number[] {
  const out: number[] = [];
  let s = paneStartOf(from, slideMs);
  if (s < from) s += slideMs;
  for (; s < to; s += slideMs) out.push(s);
  return out;
}
