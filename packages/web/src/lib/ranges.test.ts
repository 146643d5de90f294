import { describe, expect, it } from "vitest";
import { chartHistoryMs, isRangeKey, RANGE_KEYS, RANGES, rangeSpan } from "./ranges";

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

  it("asks for one window of panes more than it shows", () => {
    expect(chartHistoryMs("6h", 60_000)).toBe(6 * 3_600_000 + 60_000);
  });
});
