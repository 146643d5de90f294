import { describe, expect, it } from "vitest";
import { isLate, isPaneSealed, isWindowClosed, lastSealedPaneStart, openWindowStartsOfPane } from "./trigger.js";

const shape = { sizeMs: 60, slideMs: 10 };

describe("event-time trigger", () => {
  it("closes a window once the watermark reaches its end", () => {
    expect(isWindowClosed(60, 59)).toBe(false);
    expect(isWindowClosed(60, 60)).toBe(true);
  });

  it("a tick is late only when its latest window has closed", () => {
    // t = 55: pane 50, windows [0,60) … [50,110).
    expect(isLate(55, 109, shape)).toBe(false);
    expect(isLate(55, 110, shape)).toBe(true);
    // At watermark 60 its first window [0,60) is closed, the others still take it.
    expect(isLate(55, 60, shape)).toBe(false);
    expect(openWindowStartsOfPane(50, 60, shape)).toEqual([10, 20, 30, 40, 50]);
  });

  it("a tick exactly at a boundary under a watermark at that boundary", () => {
    // t = 60 at watermark 60: pane 60, windows [10,70) … [60,120), all open.
    expect(isLate(60, 60, shape)).toBe(false);
    expect(openWindowStartsOfPane(60, 60, shape)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(openWindowStartsOfPane(60, 70, shape)).toEqual([20, 30, 40, 50, 60]);
    expect(openWindowStartsOfPane(60, 119, shape)).toEqual([60]);
    expect(openWindowStartsOfPane(60, 120, shape)).toEqual([]);
  });

  it("tumbling windows: one window per pane, late as soon as it closes", () => {
    const tumbling = { sizeMs: 10, slideMs: 10 };
    expect(openWindowStartsOfPane(20, 29, tumbling)).toEqual([20]);
    expect(openWindowStartsOfPane(20, 30, tumbling)).toEqual([]);
    expect(isLate(29, 30, tumbling)).toBe(true);
    expect(isLate(30, 30, tumbling)).toBe(false);
  });

  it("every window is open before any watermark", () => {
    expect(openWindowStartsOfPane(50, Number.MIN_SAFE_INTEGER, shape)).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("a pane is sealed exactly when it has no open window, and the bound for loops agrees", () => {
    for (const s of [shape, { sizeMs: 10, slideMs: 10 }]) {
      for (let wm = 40; wm <= 130; wm += 5) {
        for (let p = 0; p <= 120; p += 10) {
          const sealed = isPaneSealed(p, wm, s);
          expect(sealed).toBe(openWindowStartsOfPane(p, wm, s).length === 0);
          expect(sealed).toBe(p <= lastSealedPaneStart(wm, s));
        }
      }
    }
    expect(isPaneSealed(0, Number.MIN_SAFE_INTEGER, shape)).toBe(false);
  });
});
