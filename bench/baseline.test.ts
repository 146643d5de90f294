import { describe, expect, it } from "vitest";
import { seedParse, seedWrites } from "./baseline.js";
import { encodePipe } from "../packages/core/src/ticks/encode.js";
import { genTicks, kinesisEvents } from "./records.js";

describe("baseline (the seed's consumer)", () => {
  it("drops every field of three characters or fewer, as the seed did", () => {
    const item = seedParse("session=20261122|sequence=1763800000123|reception=1763800000150|instrument=3|l=7|price_0=12345|price_1=9|");
    expect(item.instrument).toBe(3);
    expect(item.seq).toBe(1763800000123);
    expect(item.price_0).toBeCloseTo(123.45, 10);
    // `l=7` is three characters long: lost. A two-digit level survives.
    expect("l" in item).toBe(false);
    expect(seedParse("instrument=3|l=15|").l).toBe("15");
    // `price_1=9` is longer than three characters, so it is kept.
    expect(item.price_1).toBeCloseTo(0.09, 10);
  });

  it("turns cents into floating-point units (not exact)", () => {
    expect(seedParse("price_0=1001|").price_0).toBe(10.01);
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it("builds exactly one write request per record", () => {
    const ticks = genTicks({ count: 250, instruments: 3 });
    const [event] = kinesisEvents(ticks, "pipe", 250);
    const writes = seedWrites("t", event!.Records);
    expect(writes).toHaveLength(250);
    expect(writes[0]!.Key).toEqual({ instrument: { N: ticks[0]!.instrument } });
    expect(encodePipe(ticks[0]!)).toContain(`instrument=${ticks[0]!.instrument}|`);
  });

  it("reads JSON stock trades one write per record too", () => {
    const ticks = genTicks({ count: 10, instruments: 2 });
    const [event] = kinesisEvents(ticks, "json", 10);
    const writes = seedWrites("t", event!.Records);
    expect(writes).toHaveLength(10);
    expect(writes[0]!.ExpressionAttributeValues![":price_0"]).toEqual({ N: String(ticks[0]!.pricesCents[0]! / 100) });
  });
});
