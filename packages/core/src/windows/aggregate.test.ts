import { describe, expect, it } from "vitest";
import type { Tick } from "../tick.js";
import { aggregateBatch, APPLIED, LATE, mergeMax, UNUSABLE, windowMaxOfPanes } from "./aggregate.js";
import { NO_WATERMARK } from "./trigger.js";

const shape = { sizeMs: 60, slideMs: 10 };
const tick = (instrument: string, eventTime: number, cents: number): Tick => ({
  instrument,
  eventTime,
  receivedAt: null,
  level: null,
  pricesCents: [cents, 1],
});

describe("max aggregate", () => {
  it("merges idempotently, commutatively", () => {
    expect(mergeMax(undefined, 5)).toBe(5);
    expect(mergeMax(7, 5)).toBe(7);
    expect(mergeMax(mergeMax(undefined, 5), 5)).toBe(5);
  });

  it("folds a batch into one max per (instrument, pane), using price_0", () => {
    const agg = aggregateBatch(
      [tick("a", 1, 100), tick("a", 9, 300), tick("b", 5, 50), tick("a", 10, 200), tick("a", 3, 250)],
      NO_WATERMARK,
      shape,
    );
    expect(agg.groups.map(({ instrument, paneStart, stats }) => ({ instrument, paneStart, maxCents: stats.high, count: stats.count }))).toEqual([
      { instrument: "a", paneStart: 0, maxCents: 300, count: 3 },
      { instrument: "b", paneStart: 0, maxCents: 50, count: 1 },
      { instrument: "a", paneStart: 10, maxCents: 200, count: 1 },
    ]);
    expect([...agg.groupOf]).toEqual([0, 0, 1, 2, 0]);
    expect(agg.maxEventTime).toBe(10);
    expect(agg.lateCount).toBe(0);
  });

  it("leaves out ticks whose windows are all closed, keeps ticks with one window open", () => {
    // watermark 60: pane 0 is sealed ([0,60) was its last window); pane 10 still has [10,70).
    const agg = aggregateBatch([tick("a", 9, 999), tick("a", 10, 5), tick("a", 69, 7)], 60, shape);
    expect(agg.groupOf[0]).toBe(LATE);
    expect(agg.lateCount).toBe(1);
    expect(agg.groups.map((g) => g.paneStart)).toEqual([10, 60]);
    expect(agg.maxEventTime).toBe(69); // late ticks still count for the shard's progress
  });

  it("folds each group's candle in batch order: first and last by event time, ties to the earlier and later record", () => {
    const agg = aggregateBatch([tick("a", 5, 300), tick("a", 2, 100), tick("a", 8, 50), tick("a", 2, 110), tick("a", 8, 70)], NO_WATERMARK, shape);
    expect(agg.groups[0]!.stats).toEqual({ open: 100, openAt: 2, high: 300, low: 50, close: 70, closeAt: 8, count: 5 });
  });

  it("leaves out the ticks the pane items already hold", () => {
    const agg = aggregateBatch([tick("a", 1, 100), tick("a", 2, 200), tick("b", 3, 5)], NO_WATERMARK, shape, (i) => i === 1);
    expect([...agg.groupOf]).toEqual([0, APPLIED, 1]);
    expect(agg.appliedCount).toBe(1);
    expect(agg.groups[0]!.stats.count).toBe(1);
    expect(agg.maxEventTime).toBe(3);
  });

  it("with lateness 0 a tick at exactly the watermark is on time", () => {
    const agg = aggregateBatch([tick("a", 60, 1)], 60, shape);
    expect(agg.lateCount).toBe(0);
  });

  it("marks ticks without a usable price or time", () => {
    const agg = aggregateBatch([{ ...tick("a", 1, 1), pricesCents: [] }, tick("a", -5, 1), tick("a", 1.5, 1)], NO_WATERMARK, shape);
    expect([...agg.groupOf]).toEqual([UNUSABLE, UNUSABLE, UNUSABLE]);
    expect(agg.maxEventTime).toBeUndefined();
  });

  it("a window's max is the max over its own panes only", () => {
    const panes = [
      { paneStart: 0, maxCents: 9 },
      { paneStart: 10, maxCents: 4 },
      { paneStart: 50, maxCents: 6 },
      { paneStart: 60, maxCents: 8 },
    ];
    expect(windowMaxOfPanes(panes, 0, shape)).toBe(9); // [0, 60): panes 0 … 50
    expect(windowMaxOfPanes(panes, 10, shape)).toBe(8); // [10, 70): pane 0 left out, 60 in
    expect(windowMaxOfPanes(panes, 20, shape)).toBe(8);
    expect(windowMaxOfPanes(panes, 70, shape)).toBeUndefined();
    expect(windowMaxOfPanes([], 0, shape)).toBeUndefined();
    expect(windowMaxOfPanes(panes, -50, shape)).toBe(9); // [-50, 10): pane 0 only
  });
});
