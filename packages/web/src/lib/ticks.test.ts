import { describe, expect, it } from "vitest";
import type { InstrumentTick } from "./api";
import { ingestInstruments } from "./ticks";

const tick = (instrument: string, price: number, eventTime: number): InstrumentTick => ({
  instrument,
  price,
  prices: [price],
  level: 1,
  eventTime,
  receivedAt: eventTime + 5,
});

describe("folding polls of GET /instruments", () => {
  it("keeps the previous tick across polls for the change arrow", () => {
    const s1 = ingestInstruments(undefined, [tick("3", 100, 1000)], 5000);
    expect(s1.list[0]).toMatchObject({ instrument: "3", currentCents: 10000 });
    expect(s1.list[0]?.previous).toBeUndefined();

    // same tick polled again: nothing moves, the very same object is kept
    const s2 = ingestInstruments(s1, [tick("3", 100, 1000)], 6000);
    expect(s2.list[0]).toBe(s1.list[0]);

    const s3 = ingestInstruments(s2, [tick("3", 101.5, 2000)], 7000);
    expect(s3.list[0]).toMatchObject({
      currentCents: 10150,
      previous: { t: 1000, cents: 10000 },
      seenAt: 7000,
    });

    // and again: the previous value survives polls that bring nothing new
    const s4 = ingestInstruments(s3, [tick("3", 101.5, 2000)], 8000);
    expect(s4.list[0]?.previous).toEqual({ t: 1000, cents: 10000 });
  });

  it("never goes back to an older tick", () => {
    const s1 = ingestInstruments(undefined, [tick("1", 10, 2000)], 0);
    const s2 = ingestInstruments(s1, [tick("1", 9, 1000)], 1);
    expect(s2.list[0]?.currentCents).toBe(1000);
    expect(s2.list[0]).toBe(s1.list[0]);
  });

  it("sorts instruments naturally", () => {
    const s = ingestInstruments(
      undefined,
      [tick("10", 1, 0), tick("2", 1, 0), tick("AAPL", 1, 0)],
      0,
    );
    expect(s.list.map((v) => v.instrument)).toEqual(["2", "10", "AAPL"]);
  });
});
