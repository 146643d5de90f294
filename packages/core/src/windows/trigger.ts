import { firstWindowStartOfPane, lastWindowEndOfPane, paneStartOf, type WindowShape } from "./assigner.js";

/**
 * The event-time trigger: a window fires (closes) once the watermark reaches its end, as
 * Flink's `EventTimeTrigger` fires when the watermark passes the window's last millisecond.
 *
 * With the watermark `wm` (see watermark.ts), window [s, s + size) is
 * - open   while s + size >  wm: ticks still join it, the API shows it with `final: false`;
 * - closed once s + size <= wm: its result is fixed and emitted, ticks for it are late.
 *
 * A tick joins every window of it that is still open. It is late (counted, logged, not
 * merged) when all its windows are closed, i.e. when even its latest window has closed:
 * paneStart + size <= wm.
 */

/** No watermark yet (no shard has reported an event time). Stored as a number, so finite. */
export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

export function isWindowClosed(windowEnd: number, watermark: number): boolean {
  return windowEnd <= watermark;
}

export function isLate(eventTime: number, watermark: number, shape: WindowShape): boolean {
  return lastWindowEndOfPane(paneStartOf(eventTime, shape.slideMs), shape) <= watermark;
}

/**
 * Starts of the windows of pane `paneStart` that are still open at `watermark`, oldest first.
 * Empty when the pane is sealed (every window of it closed).
 */
export function openWindowStartsOfPane(paneStart: number, watermark: number, shape: WindowShape): number[] {
  const out: number[] = [];
  let s = firstWindowStartOfPane(paneStart, shape);
  // The first open start is the smallest aligned s with s + size > watermark.
  if (s + shape.sizeMs <= watermark) {
    const behind = watermark - shape.sizeMs - s; // >= 0
    s += (Math.floor(behind / shape.slideMs) + 1) * shape.slideMs;
  }
  for (; s <= paneStart; s += shape.slideMs) out.push(s);
  return out;
}
