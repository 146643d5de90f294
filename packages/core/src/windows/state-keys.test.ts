import { describe, expect, it } from "vitest";
import { KeyTimeOutOfRangeError } from "./errors.js";
import { padTime, windowKey } from "./state-keys.js";

describe("State keys", () => {
  it("pad times to 16 digits so that string order is time order", () => {
    expect(padTime(60_000)).toBe("0000000000060000");
    expect(windowKey(60_000, "3") < windowKey(120_000, "10")).toBe(true);
  });

  it("refuse a time a key cannot hold", () => {
    for (const t of [-1, 10 ** 16, 1.5]) expect(() => padTime(t), String(t)).toThrow(KeyTimeOutOfRangeError);
  });
});
