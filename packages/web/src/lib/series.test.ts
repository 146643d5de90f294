import { describe, expect, it } from "vitest";
import type { Pane } from "./api";
import {
  applySeriesFetch,
  buildChartData,
  currentWindowMax,
  mergePanes,
  niceDomain,
  planSeriesFetch,
  timeTicks,
  windowMaxEndingWith,
  type SeriesState,
} from "./series";

const PANE = 10_000;
const WINDOW = 60_000;
const HOUR = 3_600_000;
const opts = { historyMs: HOUR, stepMs: PANE, overlapMs: 90_000, futureMs: 60_000 };

/** A candle whose prices all equal its maximum, for the tests that look at maxima only. */
function pane(paneStart: number, max: number): Pane {
  return { paneStart, open: max, high: max, low: max, close: max, max };
}

describe("incremental pane fetch", () => {
  it("fetches the whole history once, then only a short tail", () => {
    const t0 = 1_763_800_000_000;
    const first = planSeriesFetch(undefined, t0, opts);
    expect(first).toEqual([{ from: t0 - HOUR, to: t0 + 60_000, kind: "history" }]);

    const s1 = applySeriesFetch(
      undefined,
      [{ range: first[0]!, panes: [pane(t0 - 20_000, 10)] }],
      t0,
      HOUR + WINDOW,
    );
    const t1 = t0 + 1000;
    const next = planSeriesFetch(s1, t1, opts);
    expect(next).toEqual([{ from: t0 - 90_000, to: t1 + 60_000, kind: "tail" }]);
    expect(next[0]!.to - next[0]!.from).toBeLessThan(3 * 60_000);
  });

  it("after a pause (hidden tab) the tail starts where the last sync ended", () => {
    const t0 = 1_000_000_000_000;
    const s: SeriesState = { panes: [], coveredFrom: t0 - HOUR, syncedAt: t0 };
    const later = t0 + 20 * 60_000;
    const [tail] = planSeriesFetch(s, later, opts);
    expect(tail!.from).toBe(t0 - 90_000);
  });

  it("extends the history backwards when more is wanted", () => {
    const t0 = 1_000_000_000_000;
    const s: SeriesState = { panes: [], coveredFrom: t0 - 5 * 60_000, syncedAt: t0 };
    const plan = planSeriesFetch(s, t0, opts);
    expect(plan[0]).toEqual({ from: t0 - HOUR, to: t0 - 5 * 60_000, kind: "history" });
    expect(plan[1]!.kind).toBe("tail");
  });

  it("asks for a day in one request of at most the API's limit, whatever the look-ahead", () => {
    const t0 = 1_000_000_000_000;
    const DAY = 24 * HOUR;
    const STEP = 240_000;
    const plan = planSeriesFetch(undefined, t0, {
      ...opts,
      historyMs: DAY,
      stepMs: STEP,
      maxSpanMs: DAY,
    });
    expect(plan).toHaveLength(1);
    const [h] = plan;
    expect(h!.to).toBe(t0 + 60_000);
    expect(h!.to - h!.from).toBeLessThanOrEqual(DAY);
    expect(h!.from % STEP).toBe(0);
    // at most one candle of the day is cut short at its left edge
    expect(h!.from).toBeLessThan(t0 - DAY + STEP + 60_000);
    expect(() => planSeriesFetch(undefined, t0, { ...opts, maxSpanMs: 0 })).toThrow(/positive/);
  });

  it("re-reads the whole candle open at the last sync: its high, low and close still change", () => {
    const stepStart = 240_000 * 4_166_667;
    const t0 = stepStart + 100_000; // 100 s into a 4-min step
    const STEP = 240_000;
    const s: SeriesState = { panes: [], coveredFrom: t0 - 7 * HOUR, syncedAt: t0 };
    const [tail] = planSeriesFetch(s, t0 + 1000, {
      ...opts,
      historyMs: 6 * HOUR,
      stepMs: STEP,
      overlapMs: 30_000,
    });
    expect(tail).toEqual({ from: stepStart, to: t0 + 61_000, kind: "tail" });
  });

  it("merges by paneStart, newer answers win, and old panes are forgotten", () => {
    expect(mergePanes([pane(0, 1), pane(10, 2)], [pane(10, 3), pane(20, 4)])).toEqual([
      pane(0, 1),
      pane(10, 3),
      pane(20, 4),
    ]);

    const prev: SeriesState = {
      panes: [pane(0, 1), pane(100, 2)],
      coveredFrom: 0,
      syncedAt: 100,
    };
    const next = applySeriesFetch(
      prev,
      [{ range: { from: 90, to: 200, kind: "tail" }, panes: [pane(150, 5)] }],
      200,
      120,
    );
    expect(next.panes).toEqual([pane(100, 2), pane(150, 5)]);
    expect(next.coveredFrom).toBe(80);
    expect(next.syncedAt).toBe(200);
  });
});

describe("one-minute sliding maximum from panes", () => {
  const panes = [pane(0, 5), pane(10_000, 9), pane(50_000, 7), pane(60_000, 6)];

  it("is the maximum of the six panes ending with the given pane", () => {
    expect(windowMaxEndingWith(panes, 50_000, WINDOW, PANE)).toEqual({
      windowStart: 0,
      windowEnd: 60_000,
      max: 9,
      panes: 3,
    });
    expect(windowMaxEndingWith(panes, 60_000, WINDOW, PANE)).toEqual({
      windowStart: 10_000,
      windowEnd: 70_000,
      max: 9,
      panes: 3,
    });
    expect(windowMaxEndingWith(panes, 70_000, WINDOW, PANE)?.max).toBe(7);
    expect(windowMaxEndingWith(panes, 200_000, WINDOW, PANE)).toBeUndefined();
  });

  it("uses the pane containing now", () => {
    expect(currentWindowMax(panes, 65_432, WINDOW, PANE)?.max).toBe(9);
    expect(currentWindowMax(panes, 75_000, WINDOW, PANE)?.max).toBe(7);
  });

  it("is never below the latest price seen inside the window", () => {
    // panes polled before the newest tick arrived: the tick raises the maximum
    expect(currentWindowMax(panes, 65_432, WINDOW, PANE, { t: 65_000, price: 12 })).toEqual({
      windowStart: 10_000,
      windowEnd: 70_000,
      max: 12,
      panes: 3,
    });
    // a lower tick changes nothing
    expect(currentWindowMax(panes, 65_432, WINDOW, PANE, { t: 65_000, price: 8 })?.max).toBe(9);
    // a tick outside the window is ignored
    expect(currentWindowMax(panes, 65_432, WINDOW, PANE, { t: 9_999, price: 50 })?.max).toBe(9);
    // no panes yet: the tick alone
    expect(currentWindowMax([], 65_432, WINDOW, PANE, { t: 61_000, price: 3 })).toEqual({
      windowStart: 10_000,
      windowEnd: 70_000,
      max: 3,
      panes: 1,
    });
  });
});

describe("chart data", () => {
  const candles: Pane[] = [
    { paneStart: 0, open: 100, high: 102, low: 99, close: 101, max: 102 },
    { paneStart: 10_000, open: 101, high: 101.5, low: 100.25, close: 100.5, max: 101.5 },
    // no ticks from 20 s to 40 s
    { paneStart: 40_000, open: 100, high: 100.75, low: 98, close: 98.5, max: 100.75 },
  ];
  const chart = (to: number, live?: { t: number; price: number }) =>
    buildChartData({ candles, from: 0, to, stepMs: PANE, ...(live && { live }) });

  it("maps each candle's open, high, low and close; the band spans each candle and breaks at gaps", () => {
    expect(chart(60_000)).toEqual([
      { t: 0, open: 100, high: 102, low: 99, close: 101, band: [99, 102] },
      { t: 10_000, open: 101, high: 101.5, low: 100.25, close: 100.5, band: [100.25, 101.5] },
      { t: 20_000, band: [100.25, 101.5] },
      { t: 20_000 },
      // a lone candle: its band is as wide as its step too
      { t: 40_000, open: 100, high: 100.75, low: 98, close: 98.5, band: [98, 100.75] },
      { t: 50_000, band: [98, 100.75] },
    ]);
  });

  it("keeps only the candles in the range; one begun before it starts at its left edge", () => {
    expect(buildChartData({ candles, from: 15_000, to: 35_000, stepMs: PANE })).toEqual([
      { t: 15_000, open: 101, high: 101.5, low: 100.25, close: 100.5, band: [100.25, 101.5] },
      { t: 20_000, band: [100.25, 101.5] },
    ]);
  });

  it("draws the live tick after the last candle, the close line running on to it", () => {
    const data = chart(60_000, { t: 47_500, price: 99.25 });
    // the band of the candle that holds the tick reaches as far as the tick
    expect(data.slice(-2)).toEqual([
      { t: 47_500, band: [98, 100.75] },
      { t: 47_500, close: 99.25, live: 99.25 },
    ]);
    expect(data.filter((p) => p.live !== undefined)).toHaveLength(1);

    // a tick two candles later: the band ends with its candle, the close line runs on
    expect(chart(90_000, { t: 75_000, price: 99 }).slice(-2)).toEqual([
      { t: 50_000, band: [98, 100.75] },
      { t: 75_000, close: 99, live: 99 },
    ]);

    // a candle newer than the polled price already holds it
    const stale = chart(60_000, { t: 39_000, price: 97 });
    expect(stale.some((p) => p.live !== undefined)).toBe(false);
  });

  it("draws the live tick alone when there are no candles yet", () => {
    expect(
      buildChartData({ candles: [], from: 0, to: 60_000, stepMs: PANE, live: { t: 5, price: 1 } }),
    ).toEqual([{ t: 5, close: 1, live: 1 }]);
  });
});

describe("axes", () => {
  it("y domain moves in whole steps and contains every value", () => {
    const d = niceDomain([100.1, 100.9])!;
    expect(d[0]).toBeLessThanOrEqual(100.1);
    expect(d[1]).toBeGreaterThanOrEqual(100.9);
    // a small move inside the same step gives the same domain: no jitter
    expect(niceDomain([100.12, 100.88])).toEqual(d);
    expect(niceDomain([])).toBeUndefined();
    const flat = niceDomain([50, 50])!;
    expect(flat[0]).toBeLessThan(50);
    expect(flat[1]).toBeGreaterThan(50);
  });

  it("time ticks fall on round local times", () => {
    const from = Date.UTC(2026, 10, 22, 10, 0, 7);
    const ticks = timeTicks(from, from + 5 * 60_000);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(7);
    for (const t of ticks) {
      const d = new Date(t);
      expect(d.getSeconds()).toBe(0);
      expect(t).toBeGreaterThanOrEqual(from);
    }
  });
});
