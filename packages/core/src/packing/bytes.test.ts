import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, MAX_SIGNED, PackedFormatError } from "./bytes.js";

describe("packed bytes", () => {
  it("round-trips any sequence of integers and one-byte strings", () => {
    const item = fc.oneof(
      fc.record({ kind: fc.constant("uint" as const), v: fc.maxSafeNat() }),
      fc.record({ kind: fc.constant("int" as const), v: fc.integer({ min: -MAX_SIGNED, max: MAX_SIGNED }) }),
      fc.record({ kind: fc.constant("latin1" as const), v: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }) }),
      fc.record({ kind: fc.constant("decimal" as const), v: fc.bigInt({ min: 0n, max: 10n ** 130n }).map(String) }),
    );
    fc.assert(
      fc.property(fc.array(item), (items) => {
        const w = new ByteWriter(1);
        for (const x of items) {
          if (x.kind === "latin1") w.latin1(x.v);
          else if (x.kind === "decimal") w.decimal(x.v);
          else w[x.kind](x.v);
        }
        const r = new ByteReader(w.bytes());
        for (const x of items) expect(x.kind === "latin1" ? r.latin1() : x.kind === "decimal" ? r.decimal() : r[x.kind]()).toBe(x.v);
        expect(r.done).toBe(true);
      }),
    );
  });

  it("writes a decimal as the LEB128 varint of its value", () => {
    // The reference: 7 bits at a time off the BigInt, the continuation bit on all but the last.
    const leb128 = (v: bigint) => {
      const out: number[] = [];
      for (; v >= 128n; v >>= 7n) out.push(Number(v & 127n) | 128);
      return [...out, Number(v)];
    };
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 130n }), fc.bigInt({ min: 0n, max: 1n << 20n })), (v) => {
        expect([...new ByteWriter(1).decimal(v.toString()).bytes()]).toEqual(leb128(v));
      }),
    );
    for (const v of [0n, 127n, 128n, 16_383n, 16_384n, (1n << 186n) - 1n, 1n << 186n]) expect([...new ByteWriter().decimal(v.toString()).bytes()]).toEqual(leb128(v));
  });

  it("small numbers take one byte, epoch milliseconds six", () => {
    expect(new ByteWriter().uint(127).length).toBe(1);
    expect(new ByteWriter().uint(128).length).toBe(2);
    expect(new ByteWriter().int(-64).length).toBe(1);
    expect(new ByteWriter().uint(1_763_800_000_123).length).toBe(6);
    expect(new ByteWriter().decimal("49590338271490256608559692538361571095921575989136588898").length).toBe(27);
  });

  it("refuses what it cannot hold, and malformed input", () => {
    expect(() => new ByteWriter().uint(-1)).toThrow(RangeError);
    expect(() => new ByteWriter().int(0.5)).toThrow(RangeError);
    expect(() => new ByteWriter().int(2 ** 52)).toThrow(RangeError);
    expect(() => new ByteWriter().latin1("€")).toThrow(RangeError);
    expect(() => new ByteWriter().decimal("012")).toThrow(RangeError);
    expect(() => new ByteReader(Uint8Array.of(0x80)).uint()).toThrow(PackedFormatError);
    expect(() => new ByteReader(Uint8Array.of(5, 65)).latin1()).toThrow(PackedFormatError);
    expect(() => new ByteReader(new Uint8Array(9).fill(0xff)).uint()).toThrow(PackedFormatError);
  });
});
