import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLatestValues, encodeLatestValues } from "./packed.js";
import type { LatestItem } from "./store.js";

const itemArb: fc.Arbitrary<LatestItem> = fc
  .record({
    instrument: fc.stringMatching(/^[A-Za-z0-9.^=:_-]{1,12}$/),
    pricesCents: fc.array(fc.integer({ min: -1_000_000, max: 10_000_000_000 }), { minLength: 1, maxLength: 12 }),
    level: fc.option(fc.integer({ min: -5, max: 1000 }), { nil: null }),
    eventTime: fc.integer({ min: 0, max: 253_402_300_799_999 }),
    receivedDelta: fc.option(fc.integer({ min: -1e9, max: 1e9 }), { nil: null }),
    arrivalDelta: fc.integer({ min: -1e9, max: 1e9 }),
    shardId: fc.constantFrom("shardId-000000000000", "shardId-000000000001", "shardId-unknown"),
    sequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 128n }).map(String),
    subIndex: fc.nat({ max: 70_000 }),
  })
  .map((r) => ({
    instrument: r.instrument,
    priceCents: r.pricesCents[0]!,
    pricesCents: r.pricesCents,
    level: r.level,
    eventTime: r.eventTime,
    receivedAt: r.receivedDelta === null ? null : r.eventTime + r.receivedDelta,
    arrivalTime: r.eventTime + r.arrivalDelta,
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
    subIndex: r.subIndex,
  }));

describe("packed latest values", () => {
  it("round-trip, one value per instrument, in instrument order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(itemArb, { selector: (i) => i.instrument, maxLength: 30 }), (items) => {
        const sorted = [...items].sort((a, b) => (a.instrument < b.instrument ? -1 : 1));
        expect(decodeLatestValues(encodeLatestValues(items))).toEqual(sorted);
      }),
    );
  });

  it("a tick of the generator's template takes about 70 bytes", () => {
    const item: LatestItem = {
      instrument: "123",
      priceCents: 12_345,
      pricesCents: [12_345, 23_456, 11_111, 29_999, 10_001, 15_000, 20_000, 25_000, 17_777],
      level: 7,
      eventTime: 1_763_800_000_123,
      receivedAt: 1_763_800_000_150,
      arrivalTime: 1_763_800_000_400,
      shardId: "shardId-000000000001",
      sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
      subIndex: 0,
    };
    const one = encodeLatestValues([item]).length;
    const hundred = encodeLatestValues(Array.from({ length: 100 }, (_, i) => ({ ...item, instrument: String(i) }))).length;
    expect(hundred / 100).toBeLessThan(75);
    expect(one).toBeLessThan(100);
  });
});
