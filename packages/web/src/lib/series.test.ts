import { describe, expect, it } from "vitest";
import {
  applySeriesFetch,
  buildChartData,
  currentWindowMax,
  mergePanes,
  niceDomain,
  planSeriesFetch,
  splitRange,
  timeTicks,
  windowMaxEndingWith,
  type SeriesState,
} from "./series";

const PANE = 10_000;
const WINDOW = 60_000;
const HOUR = 3_600_000;
const opts = { historyMs: HOUR, paneMs: PANE, overlapMs: 90_000, futureMs: 60_000 };

describe("incremental pane fetch", () => {
  it("fetches the whole history once, then only a short tail", () => {
    const t0 = 1_763_800_000_000;
    const first = planSeriesFetch(undefined, t0, opts);
    expect(first).toEqual([{ from: t0 - HOUR, to: t0 + 60_000, kind: "history" }]);

    const s1 = applySeriesFetch(
      undefined,
      [{ range: first[0]!, panes: [{ paneStart: t0 - 20_000, max: 10 }] }],
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

  it("splits a history longer than one request may ask for into adjacent pieces", () => {
    const t0 = 1_000_000_000_000;
    const DAY = 24 * HOUR;
    const plan = planSeriesFetch(undefined, t0, {
      ...opts,
      historyMs: DAY + WINDOW,
      maxSpanMs: DAY,
    });
    expect(plan).toEqual([
      { from: t0 - DAY - WINDOW, to: t0 - WINDOW, kind: "history" },
      { from: t0 - WINDOW, to: t0 + 60_000, kind: "history" },
    ]);
    expect(splitRange({ from: 0, to: 25, kind: "tail" }, 10)).toEqual([
      { from: 0, to: 10, kind: "tail" },
      { from: 10, to: 20, kind: "tail" },
      { from: 20, to: 25, kind: "tail" },
    ]);
    expect(splitRange({ from: 0, to: 10, kind: "tail" }, 10)).toHaveLength(1);
    expect(() => splitRange({ from: 0, to: 10, kind: "tail" }, 0)).toThrow(/positive/);
  });

  it("merges by paneStart, newer answers win, and old panes are forgotten", () => {
    expect(
      mergePanes(
        [
          { paneStart: 0, max: 1 },
          { paneStart: 10, max: 2 },
        ],
        [
          { paneStart: 10, max: 3 },
          { paneStart: 20, max: 4 },
        ],
      ),
    ).toEqual([
      { paneStart: 0, max: 1 },
      { paneStart: 10, max: 3 },
      { paneStart: 20, max: 4 },
    ]);

    const prev: SeriesState = {
      panes: [
        { paneStart: 0, max: 1 },
        { paneStart: 100, max: 2 },
      ],
      coveredFrom: 0,
      syncedAt: 100,
    };
    const next = applySeriesFetch(
      prev,
      [{ range: { from: 90, to: 200, kind: "tail" }, panes: [{ paneStart: 150, max: 5 }] }],
      200,
      120,
    );
    expect(next.panes).toEqual([
      { paneStart: 100, max: 2 },
      { paneStart: 150, max: 5 },
    ]);
    expect(next.coveredFrom).toBe(80);
    expect(next.syncedAt).toBe(200);
  });
});

describe("one-minute sliding maximum from panes", () => {
  const panes = [
    { paneStart: 0, max: 5 },
    { paneStart: 10_000, max: 9 },
    { paneStart: 50_000, max: 7 },
    { paneStart: 60_000, max: 6 },
  ];

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
  it("puts observed prices and pane/window maxima on one time axis", () => {
    const data = buildChartData({
      ticks: [
        { t: 12_000, cents: 10050 },
        { t: 25_000, cents: 10100 },
      ],
      panes: [
        { paneStart: 10_000, max: 100.75 },
        { paneStart: 20_000, max: 101 },
      ],
      from: 5_000,
      to: 35_000,
      paneMs: PANE,
      windowMs: WINDOW,
    });
    const byT = Object.fromEntries(data.map((p) => [p.t, p]));
    expect(data.map((p) => p.t)).toEqual([
      5_000, 10_000, 12_000, 20_000, 25_000, 29_999, 30_000, 35_000,
    ]);
    expect(byT[5_000]).toEqual({ t: 5_000 });
    expect(byT[12_000]).toEqual({ t: 12_000, price: 100.5, paneMax: 100.75, windowMax: 100.75 });
    expect(byT[25_000]).toEqual({ t: 25_000, price: 101, paneMax: 101, windowMax: 101 });
    // the last pane's step is closed at its end; after it the pane line breaks, the window line goes on
    expect(byT[29_999]).toMatchObject({ paneMax: 101 });
    expect(byT[30_000]).toEqual({ t: 30_000, windowMax: 101 });
  });

  it("thins long tick histories to the last tick of each bucket", () => {
    const ticks = Array.from({ length: 1000 }, (_, i) => ({ t: i * 10, cents: i }));
    const data = buildChartData({
      ticks,
      panes: [],
      from: 0,
      to: 10_000,
      paneMs: PANE,
      windowMs: WINDOW,
      maxPricePoints: 100,
    });
    const prices = data.filter((p) => p.price !== undefined);
    expect(prices.length).toBeLessThanOrEqual(101);
    expect(prices.at(-1)).toMatchObject({ t: 9990, price: 9.99 });
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
