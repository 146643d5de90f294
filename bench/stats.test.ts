import { describe, expect, it } from "vitest";
import { latencySummary, median, pairedRatio, percentile, slope, summarize } from "./stats.js";

describe("stats", () => {
  it("median of odd and even samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it("percentiles interpolate between closest ranks (R-7)", () => {
    const xs = [10, 20, 30, 40, 50];
    expect(percentile(xs, 0)).toBe(10);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(xs, 25)).toBe(20);
    expect(percentile(xs, 90)).toBeCloseTo(46, 10);
    // 1..100: p99 lies between 99 and 100 at 0.01 of the gap.
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(hundred, 50)).toBeCloseTo(50.5, 10);
    expect(() => percentile(xs, 101)).toThrow();
  });

  it("does not reorder the caller's array and refuses NaN", () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
    expect(() => median([1, Number.NaN])).toThrow();
  });

  it("summarize gives median, min, max and the interquartile range", () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ n: 5, median: 3, min: 1, max: 5, p25: 2, p75: 4 });
  });

  it("latency summary", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const s = latencySummary(xs);
    expect(s.p50).toBeCloseTo(499.5, 6);
    expect(s.p95).toBeCloseTo(949.05, 6);
    expect(s.p99).toBeCloseTo(989.01, 6);
    expect(s.max).toBe(999);
  });

  it("paired ratio is the median of per-pair ratios", () => {
    const r = pairedRatio([30, 20, 90], [10, 10, 30]);
    expect(r.median).toBe(3);
    expect(r.min).toBe(2);
    expect(r.max).toBe(3);
    expect(() => pairedRatio([1], [1, 2])).toThrow();
  });

  it("slope of a line", () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2, 10);
    expect(slope([0, 1, 2], [4, 4, 4])).toBe(0);
    expect(slope([1], [1])).toBe(0);
  });
});
