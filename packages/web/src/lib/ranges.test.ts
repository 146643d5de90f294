import { describe, expect, it } from "vitest";
import { chartStep, isRangeKey, MAX_CHART_POINTS, RANGE_KEYS, RANGES, rangeSpan, recentPanesHistory } from "./ranges";

describe("chart ranges", () => {
  it("offers 15 min, 1 h, 6 h and 24 h", () => {
    expect(RANGE_KEYS.map((k) => RANGES[k].ms / 60_000)).toEqual([15, 60, 360, 1440]);
    expect(isRangeKey("6h")).toBe(true);
    expect(isRangeKey("5m")).toBe(false);
    expect(isRangeKey("hasOwnProperty")).toBe(false);
  });

  it("ends now, or at a newer tick, and spans the range", () => {
    const now = 1_763_800_000_000;
    expect(rangeSpan("1h", now)).toEqual({ from: now - 3_600_000, to: now });
    expect(rangeSpan("15m", now, now + 2000)).toEqual({
      from: now + 2000 - 900_000,
      to: now + 2000,
    });
    expect(rangeSpan("24h", now, now - 5000)).toEqual({ from: now - 86_400_000, to: now });
  });

  it("picks a candle length per range: a multiple of the slide, at most about 400 candles", () => {
    for (const slide of [1000, 5000, 10_000, 15_000, 60_000, 7000]) {
      for (const key of RANGE_KEYS) {
        const step = chartStep(key, slide);
        expect(step % slide).toBe(0);
        expect(step).toBeGreaterThan(0);
        expect(RANGES[key].ms / step).toBeLessThanOrEqual(MAX_CHART_POINTS);
        // not coarser than needed: half the step would exceed the bound, or it is one slide
        if (step > slide) expect(RANGES[key].ms / (step / 2)).toBeGreaterThan(MAX_CHART_POINTS / 2);
      }
    }
    expect(RANGE_KEYS.map((k) => chartStep(k, 10_000))).toEqual([10_000, 10_000, 60_000, 240_000]);
    expect(chartStep("24h", 10_000, 100)).toBe(900_000);
    expect(() => chartStep("1h", 0)).toThrow(/slide/);
    expect(() => chartStep("1h", 2.5)).toThrow(/slide/);
  });

  it("asks for the chart's history for the current window's panes when its candles are single panes", () => {
    expect(RANGE_KEYS.map((k) => recentPanesHistory(k, 10_000, 60_000))).toEqual([900_000, 3_600_000, 60_000, 60_000]);
  });
});
