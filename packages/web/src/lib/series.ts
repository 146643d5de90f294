import type { Pane } from "./api";
import type { SeenTick } from "./ticks";

/**
 * Pane history of one instrument, fetched incrementally: the whole history once, then on every
 * poll only a short tail (the open panes plus an overlap for late ticks), merged by paneStart.
 */
export interface SeriesState {
  /** Oldest first, one entry per paneStart. */
  panes: Pane[];
  /** Every pane whose start is >= coveredFrom has been asked for. */
  coveredFrom: number;
  /** Browser time at which the last fetch was planned. */
  syncedAt: number;
}

export interface FetchRange {
  from: number;
  to: number;
  kind: "history" | "tail";
}

export interface SeriesPlanOptions {
  /** How far back the history must reach. */
  historyMs: number;
  /** Pane length (the window slide). */
  paneMs: number;
  /** Re-read this much before the last sync on every poll: open panes and late ticks. */
  overlapMs: number;
  /** Ask for panes up to this far past the browser's clock (producer clocks may run ahead). */
  futureMs: number;
  /** The longest span one request may ask for (the API's limit); longer ranges are split. */
  maxSpanMs?: number;
}

export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

/** Which ranges to request now. */
export function planSeriesFetch(
  prev: SeriesState | undefined,
  now: number,
  o: SeriesPlanOptions,
): FetchRange[] {
  const wantFrom = alignDown(now - o.historyMs, o.paneMs);
  const to = now + o.futureMs;
  if (!prev) return splitRange({ from: wantFrom, to, kind: "history" }, o.maxSpanMs);
  const ranges: FetchRange[] = [];
  if (wantFrom < prev.coveredFrom)
    ranges.push(
      ...splitRange({ from: wantFrom, to: prev.coveredFrom, kind: "history" }, o.maxSpanMs),
    );
  const tailFrom = Math.max(
    wantFrom,
    alignDown(Math.min(prev.syncedAt, now) - o.overlapMs, o.paneMs),
  );
  ranges.push(...splitRange({ from: tailFrom, to, kind: "tail" }, o.maxSpanMs));
  return ranges;
}

/** Consecutive pieces of `range`, none longer than `maxSpanMs`, oldest first. */
export function splitRange(range: FetchRange, maxSpanMs = Infinity): FetchRange[] {
  if (!(maxSpanMs > 0)) throw new Error(`maxSpanMs must be positive, not ${maxSpanMs}`);
  const out: FetchRange[] = [];
  for (let from = range.from; from < range.to; from += maxSpanMs)
    out.push({ from, to: Math.min(from + maxSpanMs, range.to), kind: range.kind });
  return out.length > 0 ? out : [range];
}

/** Merges pane lists by paneStart; on a clash the later list wins (the server's newer answer). Oldest first. */
export function mergePanes(older: readonly Pane[], newer: readonly Pane[]): Pane[] {
  if (newer.length === 0) return older as Pane[];
  const byStart = new Map<number, Pane>();
  for (const p of older) byStart.set(p.paneStart, p);
  for (const p of newer) byStart.set(p.paneStart, p);
  return [...byStart.values()].sort((a, b) => a.paneStart - b.paneStart);
}

/** Folds fetched ranges into the state and forgets panes older than keepMs. */
export function applySeriesFetch(
  prev: SeriesState | undefined,
  results: readonly { range: FetchRange; panes: readonly Pane[] }[],
  plannedAt: number,
  keepMs: number,
): SeriesState {
  let panes = prev?.panes ?? [];
  let coveredFrom = prev?.coveredFrom ?? Infinity;
  for (const r of results) {
    panes = mergePanes(panes, r.panes);
    coveredFrom = Math.min(coveredFrom, r.range.from);
  }
  const horizon = plannedAt - keepMs;
  if (panes.length > 0 && panes[0]!.paneStart < horizon)
    panes = panes.filter((p) => p.paneStart >= horizon);
  if (coveredFrom < horizon) coveredFrom = alignDown(horizon, 1);
  return { panes, coveredFrom, syncedAt: plannedAt };
}

export interface WindowMaxValue {
  windowStart: number;
  windowEnd: number;
  max: number;
  /** Number of panes with ticks in the window. */
  panes: number;
}

/**
 * Maximum of the sliding window [paneStart - (windowMs - paneMs), paneStart + paneMs), i.e. the
 * one-minute window that ends with the pane starting at paneStart, from per-pane maxima.
 */
export function windowMaxEndingWith(
  panes: readonly Pane[],
  paneStart: number,
  windowMs: number,
  paneMs: number,
): WindowMaxValue | undefined {
  const windowStart = paneStart - (windowMs - paneMs);
  const windowEnd = paneStart + paneMs;
  let max = -Infinity;
  let count = 0;
  // panes are sorted: walk back from the end (the window is near the end in practice)
  for (let i = panes.length - 1; i >= 0; i--) {
    const p = panes[i]!;
    if (p.paneStart >= windowEnd) continue;
    if (p.paneStart < windowStart) break;
    count++;
    if (p.max > max) max = p.max;
  }
  return count > 0 ? { windowStart, windowEnd, max, panes: count } : undefined;
}

/**
 * The one-minute maximum right now: the window that ends with the current pane. The panes are
 * polled less often than the latest price, so `latest` (the newest tick the page has, price in
 * currency units) is counted too when it falls in the window: a window's maximum is never below
 * a price seen in it.
 */
export function currentWindowMax(
  panes: readonly Pane[],
  now: number,
  windowMs: number,
  paneMs: number,
  latest?: { t: number; price: number },
): WindowMaxValue | undefined {
  const paneStart = alignDown(now, paneMs);
  const fromPanes = windowMaxEndingWith(panes, paneStart, windowMs, paneMs);
  const windowEnd = paneStart + paneMs;
  const windowStart = windowEnd - windowMs;
  if (!latest || latest.t < windowStart || latest.t >= windowEnd) return fromPanes;
  if (fromPanes && fromPanes.max >= latest.price) return fromPanes;
  return { windowStart, windowEnd, max: latest.price, panes: fromPanes?.panes ?? 1 };
}

export interface ChartPoint {
  t: number;
  /** Observed latest price (only at observed tick times). */
  price?: number;
  /** Maximum of the 10-second pane containing t. */
  paneMax?: number;
  /** Maximum of the one-minute window ending with that pane. */
  windowMax?: number;
}

export interface ChartInput {
  ticks: readonly SeenTick[];
  panes: readonly Pane[];
  from: number;
  to: number;
  paneMs: number;
  windowMs: number;
  /** Thin the observed ticks to at most this many points (the last tick of each bucket). */
  maxPricePoints?: number;
}

function thin(ticks: readonly SeenTick[], from: number, to: number, maxPoints: number): SeenTick[] {
  const inRange = ticks.filter((k) => k.t >= from && k.t <= to);
  if (inRange.length <= maxPoints) return inRange;
  const bucket = (to - from) / maxPoints;
  const out: SeenTick[] = [];
  for (let i = 0; i < inRange.length; i++) {
    const k = inRange[i]!;
    const next = inRange[i + 1];
    if (!next || Math.floor((next.t - from) / bucket) !== Math.floor((k.t - from) / bucket))
      out.push(k);
  }
  return out;
}

/**
 * One data array for Recharts: a point at every pane boundary, at every observed tick, and at
 * both ends of the range. Each point carries the pane and window maxima of the pane containing
 * it, so step lines stay continuous where there is data and break where there is none.
 */
export function buildChartData(input: ChartInput): ChartPoint[] {
  const { from, to, paneMs, windowMs } = input;
  const paneMap = new Map(input.panes.map((p) => [p.paneStart, p.max]));
  const panesPerWindow = Math.max(1, Math.round(windowMs / paneMs));
  const windowMaxCache = new Map<number, number | undefined>();
  const windowMaxAt = (paneStart: number): number | undefined => {
    if (windowMaxCache.has(paneStart)) return windowMaxCache.get(paneStart);
    let max: number | undefined;
    for (let k = 0; k < panesPerWindow; k++) {
      const v = paneMap.get(paneStart - k * paneMs);
      if (v !== undefined && (max === undefined || v > max)) max = v;
    }
    windowMaxCache.set(paneStart, max);
    return max;
  };
  const points = new Map<number, ChartPoint>();
  const at = (t: number): ChartPoint => {
    let p = points.get(t);
    if (!p) {
      p = { t };
      const paneStart = alignDown(t, paneMs);
      const pm = paneMap.get(paneStart);
      if (pm !== undefined) p.paneMax = pm;
      const wm = windowMaxAt(paneStart);
      if (wm !== undefined) p.windowMax = wm;
      points.set(t, p);
    }
    return p;
  };
  at(from);
  for (let b = alignDown(from, paneMs) + paneMs; b <= to; b += paneMs) {
    at(b);
    // close a pane's step at its end when the next pane has no data
    if (paneMap.has(b - paneMs) && !paneMap.has(b) && b - 1 >= from) at(b - 1);
  }
  for (const k of thin(input.ticks, from, to, input.maxPricePoints ?? 600))
    at(k.t).price = k.cents / 100;
  at(to);
  return [...points.values()].sort((a, b) => a.t - b.t);
}

/** A y-axis domain that only moves in whole steps, so that the chart does not jitter on every update. */
export function niceDomain(values: readonly number[]): [number, number] | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = Math.max(hi - lo, Math.abs(hi) * 0.002, 0.04);
  const raw = span / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const round = (v: number) => Math.round(v * 100) / 100;
  return [round(Math.floor(lo / step - 0.25) * step), round(Math.ceil(hi / step + 0.25) * step)];
}

/** Axis ticks at round local-time steps (at most about 7 labels). */
export function timeTicks(from: number, to: number): number[] {
  const steps = [
    5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 180_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 14_400_000, 21_600_000, 43_200_000,
  ];
  const span = to - from;
  const step = steps.find((s) => span / s <= 7) ?? 43_200_000;
  const offset = new Date(from).getTimezoneOffset() * 60_000; // align to local minutes/hours
  const out: number[] = [];
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) {
    if (t >= from) out.push(t);
  }
  return out;
}
