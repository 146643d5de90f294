import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_CENTS, centsToNumber, decimalToCents, formatCents, numberToCents } from "./decimal.js";
import { instrumentHash, isValidInstrument } from "./instrument.js";

/** Reference: exact decimal arithmetic with BigInt, following the documented rules. */
function referenceCents(text: string): number | null {
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m) return null;
  if (m[1] === "-") return null;
  const frac = m[3] ?? "";
  const exp = Number(m[4] ?? "0") - frac.length + 2; // cents = digits * 10^exp
  let digits = BigInt(m[2]! + frac);
  if (digits === 0n) return 0;
  if (exp >= 0) {
    if (exp > 40) return null;
    digits *= 10n ** BigInt(exp);
  } else {
    const div = 10n ** BigInt(-exp);
    if (digits % div !== 0n) return null;
    digits /= div;
  }
  return digits <= BigInt(MAX_CENTS) ? Number(digits) : null;
}

describe("exact cents", () => {
  it("converts decimals without float drift", () => {
    expect(decimalToCents("84.51")).toBe(8451);
    expect(decimalToCents("84.5")).toBe(8450);
    expect(decimalToCents("1.005e1")).toBe(1005);
    expect(decimalToCents("0.29")).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(decimalToCents("84.515")).toBeNull();
    expect(decimalToCents("-1")).toBeNull();
    expect(decimalToCents(" 1")).toBeNull();
    expect(decimalToCents("١")).toBeNull();
    expect(numberToCents(84.51)).toBe(8451);
    expect(numberToCents(0.1 + 0.2)).toBeNull(); // 0.30000000000000004 is below a cent off
    expect(numberToCents(Number.NaN)).toBeNull();
    expect(centsToNumber(12345)).toBe(123.45);
    expect(JSON.stringify(centsToNumber(12345))).toBe("123.45");
    expect(formatCents(5)).toBe("0.05");
    expect(formatCents(12340)).toBe("123.40");
  });

  it("agrees with an exact BigInt reference on arbitrary numeric text", () => {
    const numeric = fc.stringMatching(/^-?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/);
    const noisy = fc.string({ unit: fc.constantFrom(..."0123456789.-+eE x"), maxLength: 25 });
    fc.assert(
      fc.property(fc.oneof(numeric, noisy), (text) => {
        expect(decimalToCents(text)).toBe(referenceCents(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("round-trips every integer cents value through a JavaScript number and its decimal text", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CENTS }), (cents) => {
        expect(numberToCents(centsToNumber(cents))).toBe(cents);
        expect(decimalToCents(formatCents(cents))).toBe(cents);
        expect(decimalToCents(String(centsToNumber(cents)))).toBe(cents);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("instrument ids", () => {
  it("validates and hashes stably", () => {
    expect(isValidInstrument("3")).toBe(true);
    expect(isValidInstrument("BRK.B")).toBe(true);
    expect(isValidInstrument("")).toBe(false);
    expect(isValidInstrument("a/b")).toBe(false);
    expect(isValidInstrument("é")).toBe(false);
    // FNV-1a 32-bit reference values: the latest table's partitions depend on them.
    expect(instrumentHash("")).toBe(0x811c9dc5);
    expect(instrumentHash("a")).toBe(0xe40c292c);
    expect(instrumentHash("foobar")).toBe(0xbf9cf968);
  });
});
