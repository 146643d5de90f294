import { describe, expect, it } from "vitest";
import { archiveObjectKey, hourPrefix, hourPrefixes } from "./keys.js";

const T = Date.UTC(2026, 10, 22, 10, 0, 0); // 2026-11-22T10:00:00Z
const H = 3_600_000;

describe("archive object keys", () => {
  it("lays objects out as the Firehose delivery does, by UTC hour", () => {
    const t = Date.UTC(2026, 10, 22, 9, 5, 7);
    expect(hourPrefix(t)).toBe("2026/11/22/09/");
    expect(archiveObjectKey("raw/", "tickstream-prices-archive", t, "abc")).toBe(
      "raw/2026/11/22/09/tickstream-prices-archive-1-2026-11-22-09-05-07-abc.gz",
    );
  });
});

describe("hourPrefixes", () => {
  it("lists every arrival hour that overlaps [from, to)", () => {
    expect(hourPrefixes(T + 30 * 60_000, T + 2 * H)).toEqual([
      "raw/2026/11/22/10/",
      "raw/2026/11/22/11/",
    ]);
    expect(hourPrefixes(T, T + 1)).toEqual(["raw/2026/11/22/10/"]);
    expect(hourPrefixes(T - 1, T + 1)).toEqual(["raw/2026/11/22/09/", "raw/2026/11/22/10/"]);
    expect(hourPrefixes(Date.UTC(2026, 11, 31, 23, 30), Date.UTC(2027, 0, 1, 0, 30))).toEqual([
      "raw/2026/12/31/23/",
      "raw/2027/01/01/00/",
    ]);
  });

  it("refuses an empty or inverted range", () => {
    expect(() => hourPrefixes(T, T)).toThrow(/later/);
    expect(() => hourPrefixes(T + 1, T)).toThrow(/later/);
  });
});
