import type { Tick } from "../tick.js";
import { paneStartOf, windowEndOf, type WindowShape } from "./assigner.js";
import { addTick, statsOfTick, type PaneStats } from "./pane-stats.js";
import { lastSealedPaneStart } from "./trigger.js";

/**
 * The aggregates: per pane and instrument the candle of pane-stats.ts (open, high, low, close,
 * count), and per window the maximum over its panes' highs. Max is commutative, associative and
 * idempotent, so window results do not depend on how ticks were batched; the candle's open and
 * close follow the order of pane-stats.ts, its count the records applied once each.
 *
 * `aggregateBatch` folds one batch in memory before anything is written: one pane group per
 * (instrument, pane), holding the batch's candle for it. It is a pure function, callable
 * without AWS, and allocates per group, not per tick. `windowMaxOfPanes` folds pane maxima
 * into one window's max, for the finalization and for the API's view of open windows.
 */

/** max(a, b) where an absent stored value loses. */
export function mergeMax(stored: number | undefined, incoming: number): number {
  return stored === undefined || incoming > stored ? incoming : stored;
}

/** A pane's maximum (its high), as windows need it. */
export interface PaneMax {
  paneStart: number;
  maxCents: number;
}

export interface PaneGroup {
  instrument: string;
  paneStart: number;
  /** The batch's candle of this pane, its ticks in batch order (high: their max, count: how many). */
  stats: PaneStats;
  /** Index (in the batch) of the group's first tick. */
  firstIndex: number;
}

/** Group index of a tick that was late (all its windows closed before the batch). */
export const LATE = -1;
/** Group index of a tick that cannot be placed (no price, or an event time out of range). */
export const UNUSABLE = -2;
/** Group index of a tick its pane item already holds (a retried or replayed record). */
export const APPLIED = -3;

export interface BatchAggregate {
  groups: PaneGroup[];
  /** Per tick: index into `groups`, LATE, UNUSABLE or APPLIED. */
  groupOf: Int32Array;
  lateCount: number;
  unusableCount: number;
  appliedCount: number;
  /** Largest event time of the batch's usable ticks (late and applied ones included); undefined if none. */
  maxEventTime: number | undefined;
}

/** One instrument's pane groups of a batch: pane start -> group index, and the last one used. */
interface InstrumentPanes {
  lastPane: number;
  lastGroup: number;
  groups: Map<number, number>;
}

/** Largest event time the windows accept (year 9999, as the decoder's bound). */
export const MAX_EVENT_TIME = 253_402_300_799_999;

/** A tick the windows can place: it has a price and a whole event time in [0, MAX_EVENT_TIME]. */
export function isPlaceable(price: number | undefined, eventTime: number): price is number {
  return price !== undefined && eventTime >= 0 && eventTime <= MAX_EVENT_TIME && Number.isInteger(eventTime);
}

/**
 * Folds a batch against the watermark as it stood before the batch: a tick whose pane is sealed
 * (its latest window has closed) is late and left out; a tick for which `applied(i)` says its
 * pane item already holds it is left out too; every other tick is folded into
 * its pane, in batch order. Late and applied ticks still count for `maxEventTime` (the shard
 * did deliver them).
 */
export function aggregateBatch(
  ticks: readonly Tick[],
  watermark: number,
  shape: WindowShape,
  applied?: (index: number) => boolean,
): BatchAggregate {
  const { slideMs } = shape;
  const groups: PaneGroup[] = [];
  const groupOf = new Int32Array(ticks.length);
  const byInstrument = new Map<string, InstrumentPanes>();
  let lateCount = 0;
  let unusableCount = 0;
  let appliedCount = 0;
  let maxEventTime = Number.NEGATIVE_INFINITY;
  // The trigger's bound once per batch rather than a call per tick: this is the hot loop.
  const sealedThrough = lastSealedPaneStart(watermark, shape);
  // The pane of the last tick, [paneFrom, paneTo): ticks come mostly in time order, and a
  // floating-point remainder per tick costs more than the comparison.
  let paneFrom = 1;
  let paneTo = 0;
  for (let i = 0; i < ticks.length; i++) {
    const tick = ticks[i]!;
    const t = tick.eventTime;
    const price = tick.pricesCents[0];
    if (!isPlaceable(price, t)) {
      groupOf[i] = UNUSABLE;
      unusableCount++;
      continue;
    }
    if (t > maxEventTime) maxEventTime = t;
    if (!(t >= paneFrom && t < paneTo)) {
      paneFrom = paneStartOf(t, slideMs);
      paneTo = paneFrom + slideMs;
    }
    const pane = paneFrom;
    if (pane <= sealedThrough) {
      groupOf[i] = LATE;
      lateCount++;
      continue;
    }
    if (applied !== undefined && applied(i)) {
      groupOf[i] = APPLIED;
      appliedCount++;
      continue;
    }
    let panes = byInstrument.get(tick.instrument);
    if (panes === undefined) {
      panes = { lastPane: Number.NaN, lastGroup: -1, groups: new Map() };
      byInstrument.set(tick.instrument, panes);
    }
    let g = panes.lastPane === pane ? panes.lastGroup : panes.groups.get(pane);
    if (g === undefined) {
      g = groups.length;
      panes.groups.set(pane, g);
      groups.push({ instrument: tick.instrument, paneStart: pane, stats: statsOfTick(price, t), firstIndex: i });
    } else {
      addTick(groups[g]!.stats, price, t);
    }
    panes.lastPane = pane;
    panes.lastGroup = g;
    groupOf[i] = g;
  }
  return {
    groups,
    groupOf,
    lateCount,
    unusableCount,
    appliedCount,
    maxEventTime: maxEventTime === Number.NEGATIVE_INFINITY ? undefined : maxEventTime,
  };
}

/**
 * Max over the panes of the window starting at `windowStart`; undefined when none of them holds
 * a tick. `panes` ascending by paneStart; panes outside the window are skipped, so one read can
 * serve many windows.
 */
export function windowMaxOfPanes(panes: readonly PaneMax[], windowStart: number, shape: WindowShape): number | undefined {
  const end = windowEndOf(windowStart, shape);
  let lo = 0;
  let hi = panes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (panes[mid]!.paneStart < windowStart) lo = mid + 1;
    else hi = mid;
  }
  let max: number | undefined;
  for (let i = lo; i < panes.length && panes[i]!.paneStart < end; i++) max = mergeMax(max, panes[i]!.maxCents);
  return max;
}
