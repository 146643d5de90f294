import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Tick } from "../tick.js";
import { MAX_CENTS } from "./decimal.js";
import { decodeTickText, MAX_LEVEL, MAX_PRICE_LEVELS, type DecodeResult } from "./decode.js";
import { encodeJson, encodePipe, encodeTick } from "./encode.js";
import { MAX_INSTRUMENT_LENGTH } from "./instrument.js";
import { MAX_EPOCH_MS } from "./time.js";

function ok(result: DecodeResult): Tick {
  if (!result.ok) throw new Error(`expected a tick, got: ${result.reason}`);
  return result.tick;
}

const INSTRUMENT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~:^=+@!".split("");

const instrumentArb = fc.oneof(
  fc.constantFrom("0", "3", "A", "!", "AAPL", "BRK.B", "^GSPC", "ES=F", "EUR:USD"),
  fc.array(fc.constantFrom(...INSTRUMENT_CHARS), { minLength: 1, maxLength: MAX_INSTRUMENT_LENGTH }).map((cs) => cs.join("")),
);
// Small values (one-digit fields) as often as large ones.
const timeArb = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: MAX_EPOCH_MS }));
const centsArb = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: MAX_CENTS }));

const pipeTickArb: fc.Arbitrary<Tick> = fc.record({
  instrument: instrumentArb,
  eventTime: timeArb,
  receivedAt: fc.option(timeArb, { nil: null }),
  level: fc.option(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: MAX_LEVEL })), { nil: null }),
  pricesCents: fc.array(centsArb, { minLength: 1, maxLength: MAX_PRICE_LEVELS }),
});

describe("encodePipe", () => {
  it("writes the Kinesis Data Generator template's line", () => {
    const t = Date.UTC(2026, 10, 22, 10, 0, 0, 123);
    expect(encodePipe({ instrument: "3", eventTime: t, receivedAt: t + 27, level: 7, pricesCents: [12345, 23456] })).toBe(
      `session=20261122|sequence=${t}|reception=${t + 27}|instrument=3|l=7|price_0=12345|price_1=23456|`,
    );
    expect(encodePipe({ instrument: "3", eventTime: t, pricesCents: [5] }, { session: "1" })).toBe(`session=1|sequence=${t}|instrument=3|price_0=5|`);
  });

  it("decodes back to the same tick, whatever the fields (property)", () => {
    fc.assert(
      fc.property(pipeTickArb, (tick) => {
        expect(ok(decodeTickText(encodePipe(tick)))).toEqual(tick);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps one-character fields and exact cents", () => {
    const tick: Tick = { instrument: "7", eventTime: 5, receivedAt: 6, level: 1, pricesCents: [1, 0, 9, 100, 10049, 100_500, MAX_CENTS] };
    const line = encodePipe(tick);
    expect(line).toContain("|instrument=7|l=1|price_0=1|price_1=0|price_2=9|price_3=100|price_4=10049|price_5=100500|price_6=999999999999999|");
    expect(ok(decodeTickText(line))).toEqual(tick);
  });

  it("refuses what the decoder would refuse, naming the field", () => {
    const good = { instrument: "3", eventTime: 1, pricesCents: [1] };
    expect(() => encodePipe({ ...good, instrument: "" })).toThrow(/instrument "" is not a valid instrument id/);
    expect(() => encodePipe({ ...good, instrument: "A|B" })).toThrow(/instrument "A\|B"/);
    expect(() => encodePipe({ ...good, instrument: "x".repeat(65) })).toThrow(/not a valid instrument id/);
    expect(() => encodePipe({ ...good, eventTime: -1 })).toThrow(/eventTime must be an integer from 0/);
    expect(() => encodePipe({ ...good, eventTime: 1.5 })).toThrow(/eventTime/);
    expect(() => encodePipe({ ...good, eventTime: MAX_EPOCH_MS + 1 })).toThrow(/eventTime/);
    expect(() => encodePipe({ ...good, receivedAt: Number.NaN })).toThrow(/receivedAt/);
    expect(() => encodePipe({ ...good, level: MAX_LEVEL + 1 })).toThrow(/level/);
    expect(() => encodePipe({ ...good, pricesCents: [] })).toThrow(/1 to 64 prices, not 0/);
    expect(() => encodePipe({ ...good, pricesCents: new Array<number>(65).fill(1) })).toThrow(/not 65/);
    expect(() => encodePipe({ ...good, pricesCents: [1, 84.51] })).toThrow(/pricesCents\[1\] must be an integer/);
    expect(() => encodePipe({ ...good, pricesCents: [MAX_CENTS + 1] })).toThrow(/pricesCents\[0\]/);
    expect(() => encodePipe(good, { session: "1|x" })).toThrow(/session "1\|x"/);
  });
});

describe("encodeJson", () => {
  it("writes the tutorials' stock trade: UTC time without a zone, microseconds, Python's float text", () => {
    const t = Date.UTC(2026, 10, 22, 10, 0, 0, 123);
    expect(encodeJson({ instrument: "AAPL", eventTime: t, pricesCents: [8451] }, { microseconds: 456 })).toBe(
      '{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}',
    );
    expect(JSON.parse(encodeJson({ instrument: "A", eventTime: 0, pricesCents: [0] }))).toEqual({ EVENT_TIME: "1970-01-01T00:00:00.000000", TICKER: "A", PRICE: 0 });
    const text = (cents: number) => /"PRICE": (.*)\}$/.exec(encodeJson({ instrument: "A", eventTime: 0, pricesCents: [cents] }))![1];
    expect([0, 5, 50, 100, 8450, 8400, 8451, 100_500, MAX_CENTS].map(text)).toEqual([
      "0.0",
      "0.05",
      "0.5",
      "1.0",
      "84.5",
      "84.0",
      "84.51",
      "1005.0",
      "9999999999999.99",
    ]);
  });

  it("decodes back to the trade: instrument, event time to the millisecond, exact price (property)", () => {
    fc.assert(
      fc.property(pipeTickArb, fc.integer({ min: 0, max: 999 }), (tick, microseconds) => {
        const decoded = ok(decodeTickText(encodeJson(tick, { microseconds })));
        expect(decoded).toEqual({ instrument: tick.instrument, eventTime: tick.eventTime, receivedAt: null, level: null, pricesCents: [tick.pricesCents[0]] });
      }),
      { numRuns: 500 },
    );
  });

  it("keeps one-character tickers and exact cents", () => {
    for (const cents of [1, 10, 99, 1005, 10049]) {
      expect(ok(decodeTickText(encodeJson({ instrument: "X", eventTime: 1, pricesCents: [cents] })))).toEqual({
        instrument: "X",
        eventTime: 1,
        receivedAt: null,
        level: null,
        pricesCents: [cents],
      });
    }
  });

  it("refuses what the decoder would refuse", () => {
    expect(() => encodeJson({ instrument: 'A"B', eventTime: 1, pricesCents: [1] })).toThrow(/not a valid instrument id/);
    expect(() => encodeJson({ instrument: "A", eventTime: 1, pricesCents: [] })).toThrow(/needs a price/);
    expect(() => encodeJson({ instrument: "A", eventTime: 1, pricesCents: [0.5] })).toThrow(/pricesCents\[0\] must be an integer/);
    expect(() => encodeJson({ instrument: "A", eventTime: MAX_EPOCH_MS + 1, pricesCents: [1] })).toThrow(/eventTime/);
    expect(() => encodeJson({ instrument: "A", eventTime: 1, pricesCents: [1] }, { microseconds: 1000 })).toThrow(/microseconds/);
  });
});

describe("encodeTick", () => {
  it("writes the format asked for", () => {
    const tick = { instrument: "3", eventTime: 1, receivedAt: 2, level: 3, pricesCents: [4, 5] };
    expect(encodeTick(tick, "pipe")).toBe(encodePipe(tick));
    expect(encodeTick(tick, "json")).toBe(encodeJson(tick));
  });
});
