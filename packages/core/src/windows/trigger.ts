import { lastWindowEndOfPane, paneStartOf, windowEndOf, windowStartsOfPane, type WindowShape } from "./assigner.js";

/**
 * The event-time trigger: a window fires (closes) once the watermark reaches its end, as
 * Flink's `EventTimeTrigger` fires when the watermark passes the window's last millisecond.
 * Every open / closed / late decision of the windows code is made here; the assigner says which
 * panes and windows a time belongs to, the trigger says which of them still take ticks.
 *
 * With the watermark `wm` (see watermark.ts), window [s, s + size) is
 * - open   while s + size >  wm: ticks still join it, the API shows it with `final: false`;
 * - closed once s + size <= wm: its result is fixed and emitted, ticks for it are late.
 *
 * A tick joins every window of it that is still open. It is late (counted, logged, not
 * merged) when all its windows are closed, i.e. when even its latest window has closed:
 * paneStart + size <= wm. Its pane is then sealed.
 */

/** No watermark yet (no shard has reported an event time). Stored as a number, so finite. */
export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

export function isWindowClosed(windowEnd: number, watermark: number): boolean {
  return windowEnd <= watermark;
}

/** Every window holding the pane is closed: no tick may join the pane any more. */
export function isPaneSealed(paneStart: number, watermark: number, shape: WindowShape): boolean {
  return isWindowClosed(lastWindowEndOfPane(paneStart, shape), watermark);
}

/**
 * Latest pane start sealed at `watermark`: pane p is sealed iff p <= this bound (its latest window
 * [p, p + size) has closed). For loops that test many panes against one watermark.
 */
export function lastSealedPaneStart(watermark: number, shape: WindowShape): number {
  return watermark - shape.sizeMs;
}

export function isLate(eventTime: number, watermark: number, shape: WindowShape): boolean {
  return isPaneSealed(paneStartOf(eventTime, shape.slideMs), watermark, shape);
}

/**
 * Starts of the windows of pane `paneStart` that are still open at `watermark`, oldest first.
 * Empty when the pane is sealed (every window of it closed).
 */
export function openWindowStartsOfPane(paneStart: number, watermark: number, shape: WindowShape): number[] {
  return windowStartsOfPane(paneStart, shape).filter((s) => !isWindowClosed(windowEndOf(s, shape), watermark));
}
