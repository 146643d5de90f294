import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidCentsError, MalformedWindowRecordError, WindowError } from "./errors.js";
import { centsToDecimalText, parseWindowRecord, windowRecordJson } from "./result.js";

describe("window records", () => {
  it("prints cents as exact decimals", () => {
    expect(centsToDecimalText(12345)).toBe("123.45");
    expect(centsToDecimalText(12000)).toBe("120");
    expect(centsToDecimalText(12340)).toBe("123.4");
    expect(centsToDecimalText(5)).toBe("0.05");
    expect(centsToDecimalText(0)).toBe("0");
    expect(centsToDecimalText(999_999_999_999_999)).toBe("9999999999999.99");
  });

  it("has a fixed key order and reads back to the same value", () => {
    const json = windowRecordJson({ instrument: "3", windowStart: 0, windowEnd: 60_000, maxCents: 12345 });
    expect(json).toBe('{"instrument":"3","windowStart":0,"windowEnd":60000,"max":123.45}');
    expect(parseWindowRecord(json)).toEqual({ instrument: "3", windowStart: 0, windowEnd: 60_000, max: 123.45 });
  });

  it("refuses what is not a window record, and cents without an exact decimal, with named errors", () => {
    for (const text of ["", "null", "[]", '{"instrument":3,"windowStart":0,"windowEnd":1,"max":1}', '{"instrument":"3","windowStart":0.5,"windowEnd":1,"max":1}']) {
      expect(() => parseWindowRecord(text), text).toThrow(MalformedWindowRecordError);
    }
    expect(() => parseWindowRecord("{")).toThrow(/not a window record: \{/);
    expect(() => centsToDecimalText(1.5)).toThrow(InvalidCentsError);
    expect(() => centsToDecimalText(2 ** 53)).toThrow(WindowError);
  });

  it("the decimal equals cents / 100 as a JSON number, for every amount", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (cents) => {
        expect(JSON.parse(centsToDecimalText(cents))).toBe(cents / 100);
        expect(centsToDecimalText(cents)).toBe(JSON.stringify(cents / 100));
      }),
      { numRuns: 2000 },
    );
  });
});
