import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeTickRange, fastLine, lastDecodeFailure, lineEnd } from "./decode.js";
import { decodeJson, fastJson } from "./json.js";
import { decodePipe, fastPipe } from "./pipe.js";
import type { DecodeResult } from "./result.js";
import { isBlank } from "./scan.js";
import type { Tick } from "../tick.js";

type Decoder<T> = (b: Uint8Array, start: number, end: number) => T;

/**
 * The fast paths are an optimisation only: whatever they accept, the full decoders accept as the
 * same tick, and a line read by the line-aware fast path is the tick the line alone decodes to.
 * Records are built from the formats' own pieces, near misses included, so that both paths are
 * reached often.
 */

const PIPE_KEYS = [
  "session", "sequence", "reception", "instrument", "l", "level", "t", "type",
  "price_0", "price_1", "price_2", "price_3", "price_10", "price_30", "price_31", "price_01", "price_", "price_1x",
  "sequences", "instrument_", "lx", "p", "x", "",
];
const PIPE_VALUES = [
  "", "0", "7", "12345", "000000000000000005", "1795341600000", "999999999999999", "1000000000000000",
  "253402300799999", "253402300800000", "1000000", "1000001", "AAPL", "BRK.B", "a b", "é", "x\ty", "3|", "=", "-1", "1.5",
];
const pipeField = fc.tuple(fc.constantFrom(...PIPE_KEYS), fc.constantFrom(...PIPE_VALUES)).map(([k, v]) => `${k}=${v}`);
const pipeRecord = fc
  .tuple(
    fc.array(fc.oneof(pipeField, fc.constantFrom("sequence=1795341600000", "instrument=7", "price_0=12345", "l=3", "")), { maxLength: 14 }),
    fc.constantFrom("|", "||"),
    fc.constantFrom("", "|", "\r", " "),
  )
  .map(([fields, sep, tail]) => fields.join(sep) + tail);
/** One of `usual` most of the time, else one of `edges`. */
function mostly(usual: string[], edges: string[]): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 9 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

/** A template record with its fields in their usual order, so that the fast path accepts most. */
const templateRecord = fc
  .record({
    sequence: mostly(["1795341600000", "0", "253402300799999"], ["253402300800000", "0000000000000001", ""]),
    reception: mostly(["", "reception=1795341600012|"], ["reception=253402300800000|", "reception=x|"]),
    level: mostly(["", "l=3|", "level=12|", "t=q|l=0|", "l=1000000|"], ["l=1000001|", "l=3|level=3|", "type=a|t=b|"]),
    instrument: mostly(["7", "AAPL", "ES=F", "a".repeat(64)], ["a".repeat(65), "A B"]),
    prices: fc.array(mostly(["10234", "0", "999999999999999", "0012"], ["1000000000000000", "", "1.5"]), { minLength: 0, maxLength: 33 }),
    order: fc.boolean(),
    last: fc.constantFrom("|", ""),
  })
  .map((r) => {
    const prices = r.prices.map((v, k) => `price_${k}=${v}`);
    if (r.order && prices.length > 2) [prices[0], prices[1]] = [prices[1]!, prices[0]!];
    return `session=20261122|sequence=${r.sequence}|${r.reception}instrument=${r.instrument}|${r.level}${prices.join("|")}${r.last}`;
  });

const JSON_TRADES = [
  '{"EVENT_TIME": "2026-11-22T10:00:00.000000", "TICKER": "7", "PRICE": 102.34}',
  '{"TICKER":"AAPL","PRICE":84.5,"EVENT_TIME":"2026-11-22T10:00:00Z"}',
  '{ "EVENT_TIME" : "2026-11-22T10:00:00.5" , "TICKER" : "A" , "PRICE" : 1e2 }',
];
const jsonRecord = fc
  .tuple(fc.constantFrom(...JSON_TRADES), fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "\n", "\r", "\t", "x", "\"", ",", "1", "-", ".", "}", "\\")), { maxLength: 2 }))
  .map(([text, edits]) => {
    let s = text;
    for (const [at, ch] of edits) {
      const k = at % (s.length + 1);
      s = s.slice(0, k) + ch + s.slice(k);
    }
    return s;
  });

describe("fast paths agree with the full decoders", () => {
  /** Asserts that whatever `fast` accepts, `full` accepts as the same tick; counts the accepted. */
  function agree(records: fc.Arbitrary<string>, fast: Decoder<Tick | null>, full: Decoder<DecodeResult>, numRuns: number): number {
    let accepted = 0;
    fc.assert(
      fc.property(records, (text) => {
        const b = Buffer.from(text, "utf8");
        let end = b.length;
        while (end > 0 && isBlank(b[end - 1]!)) end--;
        const tick = fast(b, 0, end);
        if (tick !== null) {
          accepted++;
          expect(full(b, 0, end)).toEqual({ ok: true, tick });
        }
      }),
      { numRuns },
    );
    return accepted;
  }

  it("pipe: what fastPipe accepts, decodePipe accepts as the same tick (property)", () => {
    expect(agree(fc.oneof(pipeRecord, templateRecord), (b, s, e) => fastPipe(b, s, e, false), decodePipe, 5000)).toBeGreaterThan(250);
  });

  it("json: what fastJson accepts, decodeJson accepts as the same tick (property)", () => {
    const objects = jsonRecord.filter((text) => text.startsWith("{"));
    expect(agree(objects, (b, s, e) => fastJson(b, s, e, false), decodeJson, 3000)).toBeGreaterThan(300);
  });

  it("a line the line-aware fast path reads is the tick that line alone decodes to, and ends where the line does (property)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(pipeRecord, templateRecord, jsonRecord), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("\n", "\r\n", "\n\n", " \n"),
        (records, sep) => {
          const b = Buffer.from(records.join(sep), "utf8");
          let i = 0;
          while (i < b.length) {
            let j = b.indexOf(0x0a, i);
            if (j < 0) j = b.length;
            const c = b[i]!;
            if (!isBlank(c) && c !== 0xef) {
              const fast = fastLine(b, i, b.length);
              const end = lineEnd();
              const alone = decodeTickRange(b, i, j, false);
              if (fast !== null) {
                accepted++;
                expect(end).toBe(j);
                expect(alone, alone === null ? lastDecodeFailure() : "").toEqual(fast);
              }
            }
            i = j + 1;
          }
        },
      ),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it("stops a line at its line break in both formats, and refuses a break inside a field or object", () => {
    const pipe = Buffer.from("sequence=5|instrument=A|price_0=7\r\nsequence=6|instrument=B|price_0=8|\nx");
    expect(fastLine(pipe, 0, pipe.length)).toEqual({ instrument: "A", eventTime: 5, receivedAt: null, level: null, pricesCents: [7] });
    expect(lineEnd()).toBe(34);
    expect(fastLine(pipe, 35, pipe.length)).toMatchObject({ instrument: "B", eventTime: 6 });
    expect(lineEnd()).toBe(pipe.length - 2);
    expect(fastLine(Buffer.from("sequence=5|instrument=A|price_0=7\rx\n"), 0, 36)).toBeNull();
    expect(fastLine(Buffer.from("sequence=5|instrument=A\n|price_0=7"), 0, 34)).toBeNull();
    const json = Buffer.from('{"EVENT_TIME": "2026-11-22T10:00:00", "TICKER": "A", "PRICE": 1} \r\n{}');
    expect(fastLine(json, 0, json.length)).toMatchObject({ instrument: "A", pricesCents: [100] });
    expect(lineEnd()).toBe(json.length - 3);
    const spread = Buffer.from('{"EVENT_TIME": "2026-11-22T10:00:00",\n"TICKER": "A", "PRICE": 1}');
    expect(fastLine(spread, 0, spread.length)).toBeNull();
    expect(fastJson(spread, 0, spread.length, false)).toMatchObject({ instrument: "A" });
  });
});
