import { describe, expect, it } from "vitest";
import {
  formatPrice,
  jsonLine,
  parseWindowResult,
  ResultFilter,
  tableHeader,
  tableRow,
  type WindowResult,
} from "./windows.js";

const result = (instrument: string, windowStart: number, max = 1.5): WindowResult => {
  const r = parseWindowResult(
    JSON.stringify({ instrument, windowStart, windowEnd: windowStart + 60_000, max }),
  );
  if (r instanceof Error) throw r;
  return r;
};

describe("window results", () => {
  it("parses the emitted JSON, numbers or numeric strings", () => {
    const r = parseWindowResult(
      new TextEncoder().encode(
        '{"instrument":"3","windowStart":1795341600000,"windowEnd":1795341660000,"max":299.87}\n',
      ),
    );
    expect(r).toMatchObject({
      instrument: "3",
      windowStart: 1795341600000,
      windowEnd: 1795341660000,
      max: 299.87,
    });
    expect(
      parseWindowResult('{"instrument":3,"windowStart":"1","windowEnd":"2","max":"3.5"}'),
    ).toMatchObject({ instrument: "3", max: 3.5 });
  });

  it("explains what is wrong with other records", () => {
    expect((parseWindowResult("session=1|sequence=2|") as Error).message).toMatch(/^not JSON/);
    expect((parseWindowResult("[1]") as Error).message).toMatch(/not a JSON object/);
    expect((parseWindowResult('{"instrument":"3","max":1}') as Error).message).toMatch(
      /missing or invalid windowStart, windowEnd/,
    );
  });

  it("filters by instrument and drops repeats of a window", () => {
    const f = new ResultFilter({ instruments: ["3", "AAPL"] });
    expect(f.accept(result("3", 0))).toBe(true);
    expect(f.accept(result("3", 0))).toBe(false);
    expect(f.accept(result("3", 10_000))).toBe(true);
    expect(f.accept(result("AAPL", 0))).toBe(true);
    expect(f.accept(result("4", 0))).toBe(false);
    const all = new ResultFilter({ dedupe: false });
    expect(all.accept(result("3", 0)) && all.accept(result("3", 0))).toBe(true);
  });

  it("remembers a bounded number of windows", () => {
    const f = new ResultFilter({ capacity: 2 });
    f.accept(result("1", 0));
    f.accept(result("2", 0));
    f.accept(result("3", 0));
    expect(f.accept(result("1", 0))).toBe(true);
    expect(f.accept(result("3", 0))).toBe(false);
  });

  it("prints aligned table rows and JSON lines", () => {
    const row = tableRow(result("3", Date.UTC(2026, 10, 22, 10, 0, 0), 299.8));
    expect(row).toBe(`3           2026-11-22 10:00:00.000 → 10:01:00.000      299.80`);
    expect(row.length).toBe(tableHeader().length);
    expect(jsonLine(result("3", 0, 2))).toBe(
      '{"instrument":"3","windowStart":0,"windowEnd":60000,"max":2}',
    );
    expect(formatPrice(1)).toBe("1.00");
    expect(formatPrice(1.005)).toBe("1.005");
  });
});
