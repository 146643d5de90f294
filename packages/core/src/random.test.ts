import { describe, expect, it } from "vitest";
import { seededRandom } from "./random.js";

describe("seededRandom", () => {
  it("repeats its sequence for a seed, differs between seeds, stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // roughly uniform: each tenth of [0, 1) gets 5–15% of 1,000 draws
    const tenths = new Array<number>(10).fill(0);
    for (const x of xs) tenths[Math.floor(x * 10)]!++;
    for (const n of tenths) {
      expect(n).toBeGreaterThan(50);
      expect(n).toBeLessThan(150);
    }
  });
});
