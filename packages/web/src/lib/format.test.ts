import { describe, expect, it } from "vitest";
import { describeChange, formatAge, formatCents, formatPrice, toCents } from "./format";

describe("cents and prices", () => {
  it("converts decimal prices to exact cents", () => {
    expect(toCents(123.45)).toBe(12345);
    expect(toCents(0.1 + 0.2)).toBe(30);
    expect(toCents(299.99)).toBe(29999);
    expect(toCents(1.005)).toBe(100); // 1.005 is 1.00499999… in binary: no half-cent is invented
  });

  it("formats cents as price strings", () => {
    expect(formatCents(12345)).toBe("123.45");
    expect(formatCents(5)).toBe("0.05");
    expect(formatCents(100)).toBe("1.00");
    expect(formatCents(0)).toBe("0.00");
    expect(formatCents(-5)).toBe("-0.05");
    expect(formatCents(123456789)).toBe("1,234,567.89");
    expect(formatCents(250, { withSign: true })).toBe("+2.50");
    expect(formatCents(-250, { withSign: true })).toBe("-2.50");
    expect(formatCents(0, { withSign: true })).toBe("0.00");
    expect(formatCents(Number.NaN)).toBe("—");
  });

  it("formats API prices", () => {
    expect(formatPrice(123.45)).toBe("123.45");
    expect(formatPrice(100)).toBe("100.00");
    expect(formatPrice(undefined)).toBe("—");
  });
});

describe("change against the previous tick", () => {
  it("points up, down or flat, with delta and percentage", () => {
    expect(describeChange(10100, 10000)).toEqual({
      direction: "up",
      arrow: "▲",
      delta: "+1.00",
      percent: "+1.00%",
      label: "up 1.00 (1.00%)",
    });
    expect(describeChange(9950, 10000)).toMatchObject({
      direction: "down",
      arrow: "▼",
      delta: "-0.50",
      percent: "-0.50%",
      label: "down 0.50 (0.50%)",
    });
    expect(describeChange(10000, 10000)).toMatchObject({
      direction: "flat",
      arrow: "▬",
      delta: "0.00",
      label: "unchanged",
    });
  });

  it("says so when there is no previous tick", () => {
    expect(describeChange(10000, undefined)).toMatchObject({
      direction: "none",
      arrow: "",
      delta: "",
    });
  });

  it("rounds the percentage to two decimals and survives a zero previous price", () => {
    expect(describeChange(12346, 12345).percent).toBe("+0.01%");
    expect(describeChange(100, 0)).toMatchObject({ direction: "up", percent: "" });
  });
});

describe("ages", () => {
  it.each([
    [0, "just now"],
    [999, "just now"],
    [-3000, "just now"],
    [1000, "1 s ago"],
    [2400, "2 s ago"],
    [59_999, "59 s ago"],
    [60_000, "1 min ago"],
    [3_599_999, "59 min ago"],
    [3_600_000, "1 h ago"],
    [47 * 3_600_000, "47 h ago"],
    [72 * 3_600_000, "3 d ago"],
  ])("%i ms -> %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
