import { describe, expect, it } from "vitest";
import { InvalidWindowShapeError } from "./errors.js";
import {
  alignedStartsIn,
  paneRangeOfWindows,
  panesOfWindow,
  paneStartOf,
  windowEndOf,
  windowShape,
  windowStartsOf,
  windowStartsOfPane,
} from "./assigner.js";

const sliding = { sizeMs: 60_000, slideMs: 10_000 };

describe("assigner", () => {
  it("puts a tick in size/slide windows, s in (t - size, t]", () => {
    expect(windowStartsOf(65_432, sliding)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it("a tick exactly at a window boundary opens that window and has left the one ending there", () => {
    const starts = windowStartsOf(60_000, sliding);
    expect(starts[starts.length - 1]).toBe(60_000); // [60000, 120000) holds it
    expect(starts[0]).toBe(10_000); // [0, 60000) does not: its end is exclusive
    expect(starts).not.toContain(0);
    expect(windowStartsOf(59_999, sliding)).toContain(0);
  });

  it("tumbling windows (size = slide) give one window per tick", () => {
    const tumbling = { sizeMs: 10_000, slideMs: 10_000 };
    expect(windowStartsOf(19_999, tumbling)).toEqual([10_000]);
    expect(windowStartsOf(20_000, tumbling)).toEqual([20_000]);
    expect(panesOfWindow(20_000, tumbling)).toEqual([20_000]);
  });

  it("windows near time zero start before it, as in Flink", () => {
    expect(windowStartsOf(5, { sizeMs: 30, slideMs: 10 })).toEqual([-20, -10, 0]);
  });

  it("panes of a window and windows of a pane are inverse", () => {
    for (const p of [0, 10_000, 70_000]) {
      for (const s of windowStartsOfPane(p, sliding)) expect(panesOfWindow(s, sliding)).toContain(p);
    }
    expect(panesOfWindow(0, sliding)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
  });

  it("the pane range of a run of windows spans the first pane of the first to the last pane of the last", () => {
    expect(paneRangeOfWindows(10_000, 30_000, sliding)).toEqual([10_000, 80_000]);
    expect(paneRangeOfWindows(20_000, 20_000, sliding)).toEqual([panesOfWindow(20_000, sliding)[0], panesOfWindow(20_000, sliding).at(-1)]);
    expect(paneRangeOfWindows(20_000, 20_000, { sizeMs: 10_000, slideMs: 10_000 })).toEqual([20_000, 20_000]);
    expect(windowEndOf(20_000, sliding)).toBe(80_000);
  });

  it("floors to the slide, also below zero", () => {
    expect(paneStartOf(19_999, 10_000)).toBe(10_000);
    expect(paneStartOf(20_000, 10_000)).toBe(20_000);
    expect(paneStartOf(-1, 10_000)).toBe(-10_000);
  });

  it("lists aligned starts in [from, to)", () => {
    expect(alignedStartsIn(5_000, 30_000, 10_000)).toEqual([10_000, 20_000]);
    expect(alignedStartsIn(10_000, 30_001, 10_000)).toEqual([10_000, 20_000, 30_000]);
    expect(alignedStartsIn(10_000, 10_000, 10_000)).toEqual([]);
  });

  it("refuses a size that is not a whole number of slides", () => {
    expect(() => windowShape({ windowSizeMs: 25_000, windowSlideMs: 10_000 })).toThrow(/whole number of slides/);
    expect(() => windowShape({ windowSizeMs: 0, windowSlideMs: 10_000 })).toThrow(InvalidWindowShapeError);
    expect(windowShape({ windowSizeMs: 30_000, windowSlideMs: 10_000 })).toEqual({ sizeMs: 30_000, slideMs: 10_000 });
  });
});
