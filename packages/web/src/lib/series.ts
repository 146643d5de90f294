import type { Pane } from "./api";

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
  /** Candle length: the slide, or the step the server merges panes into. */
  stepMs: number;
  /** Re-read this much before the last sync on every poll: open candles and late ticks. */
  overlapMs: number;
  /** Ask for candles up to this far past the browser's clock (producer clocks may run ahead). */
  futureMs: number;
  /**
   * The longest span one request may ask for (the API's limit). The history starts no earlier
   * than that before its end, so it is always one request.
   */
  maxSpanMs?: number;
}

export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

function alignUp(t: number, step: number): number {
  return Math.ceil(t / step) * step;
}

/** Which ranges to request now: one history request at first, then a short tail per poll. */
export function planSeriesFetch(
  prev: SeriesState | undefined,
  now: number,
  o: SeriesPlanOptions,
): FetchRange[] {
  const to = Math.ceil(now + o.futureMs);
  const maxSpan = o.maxSpanMs ?? Infinity;
  if (!(maxSpan > 0)) throw new Error(`maxSpanMs must be positive, not ${maxSpan}`);
  // A range as long as the API's limit loses at most the part of its oldest candle that the
  // look-ahead pushes past the limit.
  const wantFrom = Math.max(
    alignDown(now - o.historyMs, o.stepMs),
    alignUp(to - maxSpan, o.stepMs),
  );
  if (!prev) return [{ from: wantFrom, to, kind: "history" }];
  const ranges: FetchRange[] = [];
  if (wantFrom < prev.coveredFrom)
    ranges.push({ from: wantFrom, to: prev.coveredFrom, kind: "history" });
  // From the start of the candle that was open at the last sync (minus the overlap): a candle
  // changes until it closes, so the whole of it is asked for again.
  const tailFrom = Math.max(
    wantFrom,
    alignDown(Math.min(prev.syncedAt, now) - o.overlapMs, o.stepMs),
  );
  ranges.push({ from: tailFrom, to, kind: "tail" });
  return ranges;
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
  /** The candle starting at t (absent where a run of candles ends and at a gap). */
  open?: number;
  high?: number;
  low?: number;
  /** Close of the candle, or the live price at the live point: the price line. */
  close?: number;
  /** [low, high] of the candle, for the band (also where its run ends). */
  band?: [number, number];
  /** The latest price, at its event time, after the last candle. */
  live?: number;
}

export interface ChartInput {
  candles: readonly Pane[];
  from: number;
  to: number;
  /** Candle length: how wide the band of a candle is, and where candles are missing. */
  stepMs: number;
  /** The newest tick the page has (price in currency units). */
  live?: { t: number; price: number };
}

/**
 * One data array for Recharts: a point per candle in the range at its start (open, high, low,
 * close and the low-high band), and the live tick after the last candle. The close line runs
 * across missing candles and on to the live tick: an instrument that trades rarely has lone
 * candles, and a line broken at every gap would draw none of them. The band, drawn as steps,
 * gets a point where each run of candles ends (so that its last candle, a lone one too, is as
 * wide as its step, or reaches the live tick inside it) and an empty point after it, where it
 * breaks.
 */
export function buildChartData(input: ChartInput): ChartPoint[] {
  const { from, to, stepMs, live } = input;
  const out: ChartPoint[] = [];
  let prev: Pane | undefined;
  const endRun = (until: number) => {
    if (prev)
      out.push({ t: Math.min(prev.paneStart + stepMs, until), band: [prev.low, prev.high] });
  };
  for (const c of input.candles) {
    // a candle that began before `from` still holds ticks inside the range
    if (c.paneStart + stepMs <= from || c.paneStart > to) continue;
    if (prev && c.paneStart - prev.paneStart > stepMs) {
      endRun(to);
      out.push({ t: prev.paneStart + stepMs });
    }
    out.push({
      t: Math.max(c.paneStart, from),
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      band: [c.low, c.high],
    });
    prev = c;
  }
  const lastT = out.at(-1)?.t ?? -Infinity;
  // A candle newer than the polled price already holds it (and later ticks).
  const liveShown = live && live.t >= from && live.t <= to && live.t > lastT ? live : undefined;
  endRun(liveShown?.t ?? to);
  if (liveShown) out.push({ t: liveShown.t, close: liveShown.price, live: liveShown.price });
  return out;
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
