import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeTick, decodeTickText, MAX_RECORD_BYTES, type DecodeResult } from "./decode.js";
import { MAX_CENTS, formatCents } from "./decimal.js";
import type { Tick } from "../tick.js";

function ok(result: DecodeResult): Tick {
  if (!result.ok) throw new Error(`expected a tick, got: ${result.reason}`);
  return result.tick;
}

function bad(result: DecodeResult): string {
  if (result.ok) throw new Error(`expected a bad record, got ${JSON.stringify(result.tick)}`);
  return result.reason;
}

// Lines rendered by hand from the Kinesis Data Generator template of the seed:
// session={{date.now('YYYYMMDD')}}|sequence={{date.now('x')}}|reception={{date.now('x')}}|
// instrument={{random.number(9)}}|l={{random.number(20)}}|price_0={{random.number({min:10000,max:30000})}}|...|price_8=...|
const SEED_LINES = [
  "session=20261122|sequence=1763800000123|reception=1763800000150|instrument=3|l=7|price_0=12345|price_1=23456|price_2=10000|price_3=30000|price_4=15000|price_5=29999|price_6=10001|price_7=20000|price_8=23456|",
  "session=20261122|sequence=1763800000999|reception=1763800001000|instrument=0|l=0|price_0=10000|price_1=10000|price_2=10000|price_3=10000|price_4=10000|price_5=10000|price_6=10000|price_7=10000|price_8=10000|",
  "session=20261123|sequence=1763886400000|reception=1763886400001|instrument=9|l=20|price_0=30000|price_1=29000|price_2=28000|price_3=27000|price_4=26000|price_5=25000|price_6=24000|price_7=23000|price_8=22000|",
];

describe("decodeTick: pipe format (Kinesis Data Generator template)", () => {
  it("decodes the seed template's output exactly", () => {
    expect(ok(decodeTickText(SEED_LINES[0]!))).toEqual({
      instrument: "3",
      eventTime: 1763800000123,
      receivedAt: 1763800000150,
      level: 7,
      pricesCents: [12345, 23456, 10000, 30000, 15000, 29999, 10001, 20000, 23456],
    });
    expect(ok(decodeTickText(SEED_LINES[1]!))).toMatchObject({ instrument: "0", level: 0, eventTime: 1763800000999 });
    expect(ok(decodeTickText(SEED_LINES[2]!))).toMatchObject({ instrument: "9", level: 20, pricesCents: [30000, 29000, 28000, 27000, 26000, 25000, 24000, 23000, 22000] });
  });

  it("counts one-character fields and values (the seed's parser dropped them)", () => {
    const tick = ok(decodeTickText("sequence=5|instrument=3|l=5|price_0=7|t=q"));
    expect(tick).toEqual({ instrument: "3", eventTime: 5, receivedAt: null, level: 5, pricesCents: [7] });
    expect(ok(decodeTickText("l=1|instrument=A|sequence=1|price_0=1")).level).toBe(1);
    expect(ok(decodeTickText("level=12|instrument=AB|sequence=1|price_0=1"))).toMatchObject({ level: 12, instrument: "AB" });
  });

  it("accepts a trailing |, empty fields, no trailing separator, LF and CRLF endings", () => {
    const base = "sequence=1763800000123|instrument=3|l=5|price_0=12345";
    const expected = ok(decodeTickText(base));
    for (const variant of [`${base}|`, `${base}||`, `|${base}`, `${base}\n`, `${base}\r\n`, `${base}|\r\n`, `${base}|\n\n`, `  ${base}  `, `\ufeff${base}`, base.replace("|l=5|", "||l=5||")]) {
      expect(ok(decodeTickText(variant)), JSON.stringify(variant)).toEqual(expected);
    }
  });

  it("allows unknown fields (repeated too), type / t, and fields in any order", () => {
    const tick = ok(decodeTickText("price_1=2|type=quote|price_0=1|x=é|x=2|instrument=IBM|foo=|sequence=9|session=1"));
    expect(tick).toEqual({ instrument: "IBM", eventTime: 9, receivedAt: null, level: null, pricesCents: [1, 2] });
    // names that merely start like known ones are unknown fields
    const lookalikes = "price_0x=5|price_=1|sequences=2|sequence_=3|receptionist=4|instruments=5|lx=6|levels=7|types=8|p=9|s=1|r=2|i=3";
    expect(ok(decodeTickText(`sequence=1|instrument=Z|price_0=4|${lookalikes}`))).toEqual({ instrument: "Z", eventTime: 1, receivedAt: null, level: null, pricesCents: [4] });
    expect(bad(decodeTickText("sequence=1|instrument=Z|price_0=4|price_00=1"))).toMatch(/bad price field name "price_00"/);
    expect(bad(decodeTickText("sequence=1|instrument=Z|price_0=4|price_99=1"))).toMatch(/too many price levels/);
  });

  it("refuses duplicate fields the decoder reads, l together with level, t together with type", () => {
    expect(bad(decodeTickText("sequence=1|sequence=2|instrument=3|price_0=1"))).toMatch(/duplicate field "sequence"/);
    expect(bad(decodeTickText("sequence=1|instrument=3|instrument=4|price_0=1"))).toMatch(/duplicate field "instrument"/);
    expect(bad(decodeTickText("sequence=1|instrument=3|price_0=1|price_0=1"))).toMatch(/duplicate field "price_0"/);
    expect(bad(decodeTickText("sequence=1|instrument=3|price_0=1|l=1|level=1"))).toMatch(/duplicate field "level"/);
    expect(bad(decodeTickText("sequence=1|instrument=3|price_0=1|t=a|type=b"))).toMatch(/duplicate field "type"/);
  });

  it("names what is missing", () => {
    expect(bad(decodeTickText("sequence=1|price_0=1"))).toBe("missing instrument");
    expect(bad(decodeTickText("instrument=1|price_0=1"))).toBe("missing sequence (event time)");
    expect(bad(decodeTickText("sequence=1|instrument=1"))).toBe("missing price_0");
    expect(bad(decodeTickText("sequence=1|instrument=1|price_1=5"))).toBe("missing price_0");
    expect(bad(decodeTickText("sequence=1|instrument=1|price_0=5|price_2=5"))).toMatch(/missing price_1/);
  });

  it("refuses non-numeric, decimal, negative, empty and absurd values", () => {
    const r = (fields: string) => bad(decodeTickText(`sequence=1|instrument=1|${fields}`));
    expect(r("price_0=abc")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0=123.45")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0=-5")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0=")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0= 5")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0=1e5")).toBe("price_0 is not a non-negative integer");
    expect(r("price_0=1234567890123456")).toBe("price_0 is out of range");
    expect(r("price_0=1|price_64=1")).toMatch(/too many price levels/);
    expect(r("price_0=1|price_01=1")).toMatch(/bad price field name/);
    expect(r("price_0=1|l=x")).toBe("l is not a non-negative integer");
    expect(r("price_0=1|l=")).toBe("l is not a non-negative integer");
    expect(r("price_0=1|reception=soon")).toBe("reception is not a non-negative integer");
    expect(bad(decodeTickText("sequence=12x|instrument=1|price_0=1"))).toBe("sequence is not a non-negative integer");
    expect(bad(decodeTickText("sequence=99999999999999999|instrument=1|price_0=1"))).toBe("sequence is out of range");
  });

  it("keeps leading zeros of integers as value, not as text", () => {
    expect(ok(decodeTickText("sequence=0001|instrument=07|price_0=0042")).pricesCents).toEqual([42]);
    expect(ok(decodeTickText("sequence=1|instrument=07|price_0=0")).instrument).toBe("07");
  });

  it("checks instrument ids", () => {
    expect(bad(decodeTickText("sequence=1|instrument=|price_0=1"))).toBe("instrument is empty");
    expect(bad(decodeTickText("sequence=1|instrument=a b|price_0=1"))).toMatch(/instrument has a character outside/);
    expect(bad(decodeTickText("sequence=1|instrument=a/b|price_0=1"))).toMatch(/instrument has a character outside/);
    expect(bad(decodeTickText(`sequence=1|instrument=${"A".repeat(65)}|price_0=1`))).toMatch(/longer than 64/);
    expect(ok(decodeTickText(`sequence=1|instrument=${"A".repeat(64)}|price_0=1`)).instrument).toHaveLength(64);
    expect(ok(decodeTickText("sequence=1|instrument=ES=F|price_0=1")).instrument).toBe("ES=F");
  });

  it("refuses fields without '=' and control characters", () => {
    expect(bad(decodeTickText("sequence=1|instrument=1|price_0=1|oops"))).toBe('field "oops" has no \'=\'');
    expect(bad(decodeTickText("sequence=1|=5|instrument=1|price_0=1"))).toBe("field with an empty name");
    expect(bad(decodeTickText("sequence=1|instrument=1|price_0=1|x=a\u0000b"))).toBe("control character in record");
    expect(bad(decodeTickText("sequence=1|instrument=1\nsequence=2|instrument=1|price_0=1"))).toMatch(/instrument has a character/);
  });
});

describe("decodeTick: JSON stock trades", () => {
  it("decodes the generator's record", () => {
    expect(ok(decodeTickText('{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}'))).toEqual({
      instrument: "AAPL",
      eventTime: Date.UTC(2026, 10, 22, 10, 0, 0, 123),
      receivedAt: null,
      level: null,
      pricesCents: [8451],
    });
  });

  it("converts PRICE from its decimal digits, exactly", () => {
    const price = (p: string) => ok(decodeTickText(`{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":${p}}`)).pricesCents[0];
    expect(price("84.51")).toBe(8451);
    expect(price("84.5")).toBe(8450);
    expect(price("84")).toBe(8400);
    expect(price("0.07")).toBe(7);
    expect(price("0")).toBe(0);
    expect(price("1.1")).toBe(110);
    expect(price("1.005e2")).toBe(10050);
    expect(price("84.5100")).toBe(8451);
    expect(price("8451e-2")).toBe(8451);
    expect(price('"84.51"')).toBe(8451);
    expect(price("4.35")).toBe(435); // 4.35 * 100 = 434.99999999999994 in binary floating point
    expect(price("1.15")).toBe(115); // Math.floor(1.15 * 100) = 114
  });

  it("refuses negative, sub-cent, non-numeric and out-of-range prices", () => {
    const reason = (p: string) => bad(decodeTickText(`{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":${p}}`));
    expect(reason("-1")).toBe("PRICE is negative");
    expect(reason("-0.5")).toBe("PRICE is negative");
    expect(reason("84.515")).toBe("PRICE has digits below one cent");
    expect(reason("1e-3")).toBe("PRICE has digits below one cent");
    expect(reason('"abc"')).toBe("PRICE is not a number");
    expect(reason('"84,51"')).toBe("PRICE is not a number");
    expect(reason('""')).toBe("PRICE is not a number");
    expect(reason("null")).toBe("PRICE is not a number");
    expect(reason("true")).toBe("PRICE is not a number");
    expect(reason("[1]")).toBe("PRICE is not a number");
    expect(reason("1e30")).toBe("PRICE is out of range");
    expect(reason("01")).toBe("invalid JSON");
    expect(reason("1.")).toBe("invalid JSON");
  });

  it("accepts extra members of any kind, any key order, blanks and newlines", () => {
    const text = `{
      "meta": {"source": "kda", "tags": ["a", {"b": [1, 2.5e3, true, false, null]}]},
      "PRICE": 12.34,
      "VOLUME": 100,
      "TICKER": "MSFT",
      "note": "caf\\u00e9 \\"quoted\\" é",
      "EVENT_TIME": "2026-11-22 10:00:01Z"
    }\r\n`;
    expect(ok(decodeTickText(text))).toEqual({
      instrument: "MSFT",
      eventTime: Date.UTC(2026, 10, 22, 10, 0, 1),
      receivedAt: null,
      level: null,
      pricesCents: [1234],
    });
  });

  it("takes TICKER as a string id; an integer TICKER 3 is the same instrument as pipe instrument=3", () => {
    const pipe = ok(decodeTickText("sequence=1|instrument=3|price_0=1"));
    const json = ok(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"3","PRICE":1}'));
    const jsonNumber = ok(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":3,"PRICE":1}'));
    expect(json.instrument).toBe(pipe.instrument);
    expect(jsonNumber.instrument).toBe("3");
    expect(ok(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A\\u0041PL","PRICE":1}')).instrument).toBe("AAPL");
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":3.5,"PRICE":1}'))).toMatch(/TICKER/);
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"","PRICE":1}'))).toMatch(/TICKER/);
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A B","PRICE":1}'))).toMatch(/TICKER/);
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":null,"PRICE":1}'))).toMatch(/TICKER/);
  });

  it("reads EVENT_TIME as UTC, truncating micro- and nanoseconds to milliseconds", () => {
    const at = (t: string) => decodeTickText(`{"EVENT_TIME":"${t}","TICKER":"A","PRICE":1}`);
    const base = Date.UTC(2026, 10, 22, 10, 0, 0);
    expect(ok(at("2026-11-22T10:00:00.123456")).eventTime).toBe(base + 123);
    expect(ok(at("2026-11-22T10:00:00.999999")).eventTime).toBe(base + 999);
    expect(ok(at("2026-11-22T10:00:00.123456789")).eventTime).toBe(base + 123);
    expect(ok(at("2026-11-22T10:00:00.123456Z")).eventTime).toBe(base + 123);
    expect(ok(at("2026-11-22T10:00:00.1")).eventTime).toBe(base + 100);
    expect(ok(at("2026-11-22T10:00:00.12")).eventTime).toBe(base + 120);
    expect(ok(at("2026-11-22T10:00:00")).eventTime).toBe(base);
    expect(ok(at("2026-11-22T10:00:00z")).eventTime).toBe(base);
    expect(ok(at("2026-11-22T11:00:00+01:00")).eventTime).toBe(base);
    expect(ok(at("2026-11-22T05:30:00-0430")).eventTime).toBe(base);
    expect(ok(at("2024-02-29T00:00:00")).eventTime).toBe(Date.UTC(2024, 1, 29));
    for (const wrong of ["2026-02-29T00:00:00", "2026-11-22T24:00:00", "2026-11-22T10:60:00", "2026-11-22T10:00:60", "2026-13-01T00:00:00", "2026-11-22", "2026-11-22T10:00", "2026-11-22T10:00:00.", "2026-11-22T10:00:00 UTC", "1969-12-31T23:59:59", "1763800000123"]) {
      expect(bad(at(wrong)), wrong).toMatch(/EVENT_TIME is not an ISO-8601 timestamp/);
    }
    expect(bad(decodeTickText('{"EVENT_TIME":1763800000123,"TICKER":"A","PRICE":1}'))).toBe("EVENT_TIME is not a string");
  });

  it("names what is missing or repeated", () => {
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","PRICE":1}'))).toBe("missing TICKER (instrument)");
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A"}'))).toBe("missing PRICE");
    expect(bad(decodeTickText('{"TICKER":"A","PRICE":1}'))).toBe("missing EVENT_TIME (event time)");
    expect(bad(decodeTickText("{}"))).toBe("missing TICKER (instrument)");
    expect(bad(decodeTickText('{"ticker":"A","price":1,"event_time":"2026-11-22T10:00:00"}'))).toBe("missing TICKER (instrument)");
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"PRICE":2}'))).toBe('duplicate field "PRICE"');
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","TICKER":"A","PRICE":1}'))).toBe('duplicate field "TICKER"');
    expect(ok(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"x":1,"x":2}')).instrument).toBe("A");
  });

  it("refuses broken JSON", () => {
    for (const text of [
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1',
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,}',
      '{"EVENT_TIME":"2026-11-22T10:00:00" "TICKER":"A","PRICE":1}',
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"x":tru}',
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"x":"\\q"}',
      "{'TICKER':'A'}",
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1}}',
      '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1} {"a":1}',
    ]) {
      expect(bad(decodeTickText(text)), text).toMatch(/invalid JSON/);
    }
    const deep = `{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"x":${"[".repeat(100)}${"]".repeat(100)}}`;
    expect(bad(decodeTickText(deep))).toBe("JSON nested too deeply");
  });
});

describe("decodeTick: garbage, empty and huge records", () => {
  it("refuses empty and blank records", () => {
    for (const text of ["", "\n", "\r\n", "   ", "\t \r\n", "\ufeff"]) expect(bad(decodeTickText(text)), JSON.stringify(text)).toBe("empty record");
    expect(bad(decodeTick(new Uint8Array(0)))).toBe("empty record");
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(bad(decodeTick(Buffer.from([0xff, 0xfe, 0x00, 0x41])))).toBe("not valid UTF-8");
    expect(bad(decodeTick(Buffer.from([0xc3, 0x28])))).toBe("not valid UTF-8");
    const almost = Buffer.concat([Buffer.from("sequence=1|instrument=1|price_0=1|x="), Buffer.from([0xed, 0xa0, 0x80])]);
    expect(bad(decodeTick(almost))).toBe("not valid UTF-8");
    const json = Buffer.concat([Buffer.from('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":1,"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    expect(bad(decodeTick(json))).toBe("not valid UTF-8");
  });

  it("refuses valid UTF-8 that is neither format", () => {
    expect(bad(decodeTickText("🚀🚀🚀"))).toMatch(/unrecognised format/);
    expect(bad(decodeTickText("hello, world"))).toMatch(/unrecognised format/);
    expect(bad(decodeTickText("[1,2,3]"))).toMatch(/unrecognised format/);
    expect(bad(decodeTickText("sequence=1|instrument=Ω|price_0=1"))).toMatch(/instrument has a character outside/);
    expect(bad(decodeTickText("\u0000\u0001\u0002"))).toBe("control character in record");
  });

  it("refuses records over 1 MiB with a reason and accepts large ones up to the limit", () => {
    const head = "sequence=1|instrument=BIG|price_0=1|pad=";
    const atLimit = Buffer.alloc(MAX_RECORD_BYTES, 0x61);
    atLimit.write(head, 0, "latin1");
    expect(ok(decodeTick(atLimit)).instrument).toBe("BIG");
    const over = Buffer.alloc(MAX_RECORD_BYTES + 1, 0x61);
    over.write(head, 0, "latin1");
    expect(bad(decodeTick(over))).toBe(`record too large: ${MAX_RECORD_BYTES + 1} bytes (at most ${MAX_RECORD_BYTES})`);
  });

  it("never throws, whatever the bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeTick(bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
    const alphabet = fc.constantFrom(..."{}[]\":,|=\\0123456789.-+eE tnfalsru_lpicsqAIRTCKEVNMP\n\r\u00e9");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), (chars) => {
        const r = decodeTickText(chars.join(""));
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
  });

  it("works on a Buffer that is a slice of a larger pooled buffer", () => {
    const pool = Buffer.from(`xxxx${SEED_LINES[0]}yyyy`);
    expect(ok(decodeTick(pool.subarray(4, pool.length - 4))).instrument).toBe("3");
  });
});

describe("decodeTick: properties", () => {
  const instrumentArb = fc.stringMatching(/^[A-Za-z0-9._~:^=+@!-]{1,64}$/);
  const centsArb = fc.integer({ min: 0, max: MAX_CENTS });

  it("round-trips integer cents exactly through the JSON decimal form and the pipe integer form", () => {
    fc.assert(
      fc.property(centsArb, (cents) => {
        const asDecimal = formatCents(cents); // "123.45"
        const asNumber = JSON.stringify(cents / 100); // what a JSON producer writes: 123.45, 84.5, 7
        const json = (p: string) => decodeTickText(`{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"A","PRICE":${p}}`);
        expect(ok(json(asDecimal)).pricesCents).toEqual([cents]);
        expect(ok(json(asNumber)).pricesCents).toEqual([cents]);
        expect(ok(json(JSON.stringify(asDecimal))).pricesCents).toEqual([cents]);
        expect(ok(decodeTickText(`sequence=1|instrument=A|price_0=${cents}`)).pricesCents).toEqual([cents]);
      }),
      { numRuns: 5000 },
    );
  });

  it("decodes any well-formed pipe record to its fields, whatever the field order and separators", () => {
    const record = fc.record({
      instrument: instrumentArb,
      eventTime: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      receivedAt: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: null }),
      level: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      pricesCents: fc.array(centsArb, { minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(
        record,
        fc.boolean(),
        fc.constantFrom("", "|", "\n", "\r\n", "|\r\n"),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z]{2,8}$/), fc.stringMatching(/^[ -{}~]{0,10}$/)), { maxLength: 3 }),
        fc.integer(),
        (tick, longLevel, ending, extra, seed) => {
          const fields = [
            `sequence=${tick.eventTime}`,
            `instrument=${tick.instrument}`,
            ...tick.pricesCents.map((c, i) => `price_${i}=${c}`),
            ...(tick.receivedAt === null ? [] : [`reception=${tick.receivedAt}`]),
            ...(tick.level === null ? [] : [`${longLevel ? "level" : "l"}=${tick.level}`]),
            ...extra
              .filter(([k]) => !["sequence", "reception", "instrument", "level", "type"].includes(k))
              .map(([k, v]) => `${k}=${v}`),
          ];
          // deterministic shuffle from the seed
          let s = seed >>> 0;
          for (let i = fields.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = s % (i + 1);
            [fields[i], fields[j]] = [fields[j]!, fields[i]!];
          }
          expect(ok(decodeTickText(fields.join("|") + ending))).toEqual(tick);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("decodeTick: the common-record path and the full decoder agree", () => {
  it("accepts the rarer forms the full decoder reads (tabs, price levels above 30, long zero-padded numbers)", () => {
    const prices = Array.from({ length: 40 }, (_, k) => `price_${k}=${k}`).join("|");
    expect(ok(decodeTickText(`sequence=1|instrument=3|${prices}|`)).pricesCents).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(ok(decodeTickText("sequence=1|note=a\tb|instrument=3|price_0=0000000000000000005|")).pricesCents).toEqual([5]);
    expect(ok(decodeTickText("sequence=1|note=é|instrument=3|price_0=5|")).instrument).toBe("3");
    expect(ok(decodeTickText("sequence=1|price_1x=9|instrument=3|price_0=5|")).pricesCents).toEqual([5]);
  });

  it("gives the full decoder's reasons for records the common path leaves to it", () => {
    expect(bad(decodeTickText("sequence=1|instrument=3|price_0=5|price_0=6|"))).toBe('duplicate field "price_0"');
    expect(bad(decodeTickText("sequence=1|instrument=3|price_0=5|price_2=6|"))).toBe("missing price_1 (prices must run from price_0 without a gap)");
    expect(bad(decodeTickText('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"3","PRICE":1.5,"PRICE":2}'))).toBe('duplicate field "PRICE"');
  });

  it("reads JSON trades with other members, strings for PRICE and escapes", () => {
    const t = ok(decodeTickText('{"x": [1, {"y": null}], "EVENT_TIME": "2026-11-22T10:00:00.5Z", "TICKER": "A\\u0042", "PRICE": "84.5"}'));
    expect(t).toEqual({ instrument: "AB", eventTime: Date.UTC(2026, 10, 22, 10, 0, 0, 500), receivedAt: null, level: null, pricesCents: [8450] });
  });
});
