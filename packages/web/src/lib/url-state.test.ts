import { describe, expect, it } from "vitest";
import { DEFAULT_RANGE, RANGE_KEYS } from "./ranges";
import { formatDashboardQuery, parseDashboardQuery, type DashboardQuery } from "./url-state";

describe("dashboard state in the address bar", () => {
  it("round-trips every range with and without an instrument", () => {
    for (const range of RANGE_KEYS) {
      for (const instrument of [undefined, "AAPL", "101", "BRK.B", "a b&c=d/é"]) {
        const query: DashboardQuery = instrument ? { instrument, range } : { range };
        expect(parseDashboardQuery(formatDashboardQuery(query))).toEqual(query);
      }
    }
  });

  it("writes the documented form", () => {
    expect(formatDashboardQuery({ instrument: "AAPL", range: "1h" })).toBe(
      "?instrument=AAPL&range=1h",
    );
  });

  it("keeps other parameters and drops a cleared instrument", () => {
    expect(formatDashboardQuery({ range: "6h" }, "?instrument=X&utm=mail")).toBe(
      "?utm=mail&range=6h",
    );
    expect(formatDashboardQuery({ instrument: "Y", range: "24h" }, "utm=mail&range=1h")).toBe(
      "?utm=mail&range=24h&instrument=Y",
    );
  });

  it("falls back to the defaults on unknown or malformed values", () => {
    expect(parseDashboardQuery("")).toEqual({ range: DEFAULT_RANGE });
    expect(parseDashboardQuery("?range=5y&instrument=")).toEqual({ range: DEFAULT_RANGE });
    expect(parseDashboardQuery("?range=toString")).toEqual({ range: DEFAULT_RANGE });
    expect(parseDashboardQuery(`?instrument=${"x".repeat(200)}`)).toEqual({ range: DEFAULT_RANGE });
    expect(parseDashboardQuery("?instrument=%20AAPL%20&range=24h")).toEqual({
      instrument: "AAPL",
      range: "24h",
    });
  });
});
