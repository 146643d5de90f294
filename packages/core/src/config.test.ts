import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_CLOCK_SKEW_MS, readLatestViewRefreshMs, readMaxClockSkewMs, readWindowConfig } from "./config.js";

describe("maximum clock skew setting", () => {
  it("defaults to five minutes, read from TICKSTREAM_MAX_CLOCK_SKEW_MS otherwise", () => {
    expect(DEFAULT_MAX_CLOCK_SKEW_MS).toBe(300_000);
    expect(readMaxClockSkewMs({})).toBe(300_000);
    expect(readMaxClockSkewMs({ TICKSTREAM_MAX_CLOCK_SKEW_MS: "60000" })).toBe(60_000);
    expect(readMaxClockSkewMs({ TICKSTREAM_MAX_CLOCK_SKEW_MS: "0" })).toBe(0);
    expect(readWindowConfig({}).maxClockSkewMs).toBe(300_000);
    expect(readWindowConfig({ TICKSTREAM_MAX_CLOCK_SKEW_MS: "1000" }).maxClockSkewMs).toBe(1000);
  });

  it("reads an empty variable as unset, in both readers", () => {
    expect(readMaxClockSkewMs({ TICKSTREAM_MAX_CLOCK_SKEW_MS: "" })).toBe(300_000);
    const empty = Object.fromEntries(
      ["TICKSTREAM_WINDOW_SIZE_MS", "TICKSTREAM_WINDOW_SLIDE_MS", "TICKSTREAM_ALLOWED_LATENESS_MS", "TICKSTREAM_MAX_CLOCK_SKEW_MS"].map((k) => [k, ""]),
    );
    expect(readWindowConfig(empty)).toEqual(readWindowConfig({}));
    expect(readWindowConfig(empty).maxClockSkewMs).toBe(300_000);
  });

  it("refuses what is not a whole number of milliseconds", () => {
    for (const bad of ["-1", "1.5", "five minutes"]) {
      expect(() => readMaxClockSkewMs({ TICKSTREAM_MAX_CLOCK_SKEW_MS: bad })).toThrow(/TICKSTREAM_MAX_CLOCK_SKEW_MS/);
      expect(() => readWindowConfig({ TICKSTREAM_MAX_CLOCK_SKEW_MS: bad })).toThrow(/maxClockSkewMs/);
    }
  });
});

describe("latest view refresh setting", () => {
  it("is absent unless TICKSTREAM_LATEST_VIEW_REFRESH_MS is set, and refuses what is not a positive whole number", () => {
    expect(readLatestViewRefreshMs({})).toBeUndefined();
    expect(readLatestViewRefreshMs({ TICKSTREAM_LATEST_VIEW_REFRESH_MS: "" })).toBeUndefined();
    expect(readLatestViewRefreshMs({ TICKSTREAM_LATEST_VIEW_REFRESH_MS: "1000" })).toBe(1_000);
    for (const bad of ["0", "-5", "1.5", "soon"])
      expect(() => readLatestViewRefreshMs({ TICKSTREAM_LATEST_VIEW_REFRESH_MS: bad })).toThrow(/TICKSTREAM_LATEST_VIEW_REFRESH_MS/);
  });
});
