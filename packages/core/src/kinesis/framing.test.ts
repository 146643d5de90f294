import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { RecordPosition } from "../tick.js";
import { decodeTick } from "../ticks/decode.js";
import { encodeJson, encodePipe, encodeTick, type RecordFormat } from "../ticks/encode.js";
import { encodeAggregated } from "../ticks/kpl.js";
import { decodeBatch, FUTURE_EVENT_TIME, MAX_TICKS_PER_RECORD, type DecodedBatch } from "./batch.js";
import { toKinesisRecord } from "./records.js";

const SHARD = "shardId-000000000003";
const T = Date.UTC(2026, 10, 22, 10, 0, 0);
const ARRIVAL = T + 2_000;
let seqCounter = 1000n;
const nextPosition = (arrivalTime = ARRIVAL): RecordPosition => ({
  shardId: SHARD,
  sequenceNumber: (49590338271490256608559692538361571095921575989136588898n + seqCounter++).toString(),
  arrivalTime,
});

const pipe = (instrument: string, dt: number, cents: number) => encodePipe({ instrument, eventTime: T + dt, pricesCents: [cents] });
const json = (instrument: string, dt: number, cents: number) => encodeJson({ instrument, eventTime: T + dt, pricesCents: [cents] });
const kpl = (...datas: (string | Buffer)[]) => encodeAggregated(datas.map((d) => ({ partitionKey: "pk", data: Buffer.from(d) })));

function decodeOne(data: string | Uint8Array, options?: { maxClockSkewMs?: number }, position = nextPosition()): DecodedBatch & { position: RecordPosition } {
  return { ...decodeBatch([toKinesisRecord(data, position)], options), position };
}

/** Ticks as `subIndex instrument cents`, bad parts as `subIndex reason [raw]`. */
function summary(out: DecodedBatch): { ticks: string[]; bad: string[] } {
  return {
    ticks: out.ticks.map((t) => `${t.position.subIndex} ${t.tick.instrument} ${t.tick.pricesCents[0]}`),
    bad: out.bad.map((b) => `${b.position.subIndex} ${b.reason} [${Buffer.from(b.raw).toString("latin1")}]`),
  };
}

describe("record framing: plain records", () => {
  it("a one-tick record is subIndex 0, with or without its trailing newline", () => {
    for (const text of [pipe("3", 0, 100), `${pipe("3", 0, 100)}\n`, `${pipe("3", 0, 100)}\r\n`, json("3", 0, 100)]) {
      const out = decodeOne(text);
      expect(summary(out)).toEqual({ ticks: ["0 3 100"], bad: [] });
      expect(out.ticks[0]!.position).toEqual({ ...out.position, subIndex: 0 });
    }
  });

  it("newline-separated lines are one tick each, in either format; blank lines do not count", () => {
    const text = `${pipe("1", 0, 1)}\n\n${json("2", 1, 2)}\r\n   \n${pipe("3", 2, 3)}\n`;
    expect(summary(decodeOne(text))).toEqual({ ticks: ["0 1 1", "1 2 2", "2 3 3"], bad: [] });
  });

  it("mixed formats in one record: each bad line is a bad part with its own bytes; good siblings stay", () => {
    const out = decodeOne(`${pipe("1", 0, 1)}\n${json("2", 1, 2)}\ngarbage\nsequence=5|price_0=1\n${pipe("3", 2, 3)}`);
    expect(summary(out).ticks).toEqual(["0 1 1", "1 2 2", "4 3 3"]);
    expect(out.bad.map((b) => [b.position.subIndex, Buffer.from(b.raw).toString()])).toEqual([
      [2, "garbage"],
      [3, "sequence=5|price_0=1"],
    ]);
    for (const b of out.bad) {
      expect(b.reason).toBe((decodeTick(b.raw) as { reason: string }).reason);
      expect(b.position).toMatchObject({ shardId: SHARD, sequenceNumber: out.position.sequenceNumber, arrivalTime: ARRIVAL });
    }
  });

  it("a record of blanks only is one bad part, as before", () => {
    expect(summary(decodeOne("\n \r\n"))).toEqual({ ticks: [], bad: ["0 empty record [\n \r\n]"] });
    expect(summary(decodeOne(""))).toEqual({ ticks: [], bad: ["0 empty record []"] });
  });

  it("what the previous record was does not change how the next one is read", () => {
    const lines = toKinesisRecord(`${pipe("1", 0, 1)}\n${pipe("2", 0, 2)}`, nextPosition());
    for (const next of [Buffer.alloc(0), Buffer.from("\n\n"), Buffer.from([0xf3, 0x41, 0x0a, 0x0a]), Buffer.from(`${pipe("3", 0, 3)}\n`)]) {
      const alone = decodeBatch([toKinesisRecord(next, nextPosition())]);
      const after = decodeBatch([lines, toKinesisRecord(next, nextPosition())]);
      expect(summary({ ticks: after.ticks.slice(2), bad: after.bad })).toEqual(summary(alone));
      expect(alone.ticks.length + alone.bad.length).toBe(1);
    }
  });

  it("a JSON object spread over lines stays one tick", () => {
    const text = `{\n  "EVENT_TIME": "2026-11-22T10:00:00.000000",\n  "TICKER": "AAPL",\n  "PRICE": 84.51\n}\n`;
    expect(summary(decodeOne(text))).toEqual({ ticks: ["0 AAPL 8451"], bad: [] });
  });

  it("a record with more than MAX_TICKS_PER_RECORD parts is bad as a whole", () => {
    // No tick is short enough to reach the cap inside 1 MiB; bad lines are.
    const at = decodeOne("x\n".repeat(MAX_TICKS_PER_RECORD - 1) + pipe("1", 0, 1));
    expect(at.bad).toHaveLength(MAX_TICKS_PER_RECORD - 1);
    expect(at.ticks.map((t) => t.position.subIndex)).toEqual([MAX_TICKS_PER_RECORD - 1]);
    const over = decodeOne("x\n".repeat(MAX_TICKS_PER_RECORD) + pipe("1", 0, 1));
    expect(over.ticks).toEqual([]);
    expect(over.bad).toHaveLength(1);
    expect(over.bad[0]!.reason).toBe(`too many ticks in one record (more than ${MAX_TICKS_PER_RECORD})`);
    expect(over.bad[0]!.position.subIndex).toBeNull();
    expect(over.bad[0]!.raw.length).toBe(2 * MAX_TICKS_PER_RECORD + pipe("1", 0, 1).length);
    // Blank lines are not parts.
    expect(decodeOne("\n".repeat(MAX_TICKS_PER_RECORD + 5) + `${pipe("1", 0, 1)}\n${pipe("2", 0, 2)}`).ticks).toHaveLength(2);
  });

  it("lines of random ticks come out in order, subIndex 0..n-1 (property)", () => {
    const tickArb = fc.record({
      instrument: fc.constantFrom("1", "2", "AAPL"),
      dt: fc.integer({ min: -100_000, max: 1_000 }),
      cents: fc.integer({ min: 0, max: 1_000_000 }),
      format: fc.constantFrom<RecordFormat>("pipe", "json"),
    });
    fc.assert(
      fc.property(fc.array(tickArb, { minLength: 1, maxLength: 30 }), fc.boolean(), fc.constantFrom("\n", "\r\n"), (ticks, trailing, eol) => {
        const lines = ticks.map((t) => encodeTick({ instrument: t.instrument, eventTime: T + t.dt, pricesCents: [t.cents] }, t.format).replace(/\n$/, ""));
        const out = decodeOne(lines.join(eol) + (trailing ? eol : ""));
        expect(out.bad).toEqual([]);
        expect(out.ticks.map((t) => [t.position.subIndex, t.tick.instrument, t.tick.eventTime, t.tick.pricesCents[0]])).toEqual(
          ticks.map((t, i) => [i, t.instrument, T + t.dt, t.cents]),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("record framing: KPL aggregates", () => {
  it("each sub-record is a tick; sub-records holding lines count on line by line", () => {
    const out = decodeOne(kpl(pipe("1", 0, 1), `${json("2", 1, 2)}\n${pipe("3", 2, 3)}\n`, json("4", 3, 4)));
    expect(summary(out)).toEqual({ ticks: ["0 1 1", "1 2 2", "2 3 3", "3 4 4"], bad: [] });
    for (const t of out.ticks) expect(t.position.sequenceNumber).toBe(out.position.sequenceNumber);
  });

  it("mixed formats inside one sub-record: the bad line alone is dead, with its own bytes", () => {
    const out = decodeOne(kpl(pipe("1", 0, 1), `${pipe("2", 1, 2)}\n${json("3", 2, 3)}\nnot a tick\n`, "", pipe("4", 3, 4)));
    expect(summary(out).ticks).toEqual(["0 1 1", "1 2 2", "2 3 3", "5 4 4"]);
    expect(out.bad.map((b) => [b.position.subIndex, b.reason, Buffer.from(b.raw).toString()])).toEqual([
      [3, (decodeTick(Buffer.from("not a tick")) as { reason: string }).reason, "not a tick"],
      [4, "empty record", ""],
    ]);
  });

  it("a damaged aggregate is one bad record with its whole bytes and subIndex null", () => {
    const good = kpl(pipe("1", 0, 1), pipe("2", 1, 2));
    const wrongMagic = Buffer.from(good);
    wrongMagic[3] = 0xc3;
    const badDigest = Buffer.from(good);
    badDigest[badDigest.length - 1]! ^= 0xff;
    const cases: [Buffer, RegExp][] = [
      [good.subarray(0, good.length - 10), /^bad KPL aggregate: (malformed protobuf: .*truncated|MD5 digest mismatch)/],
      [good.subarray(0, 12), /^bad KPL aggregate: truncated/],
      [good.subarray(0, 3), /^bad KPL aggregate: truncated/],
      [wrongMagic, /^bad KPL aggregate: wrong magic number f3899ac3$/],
      [badDigest, /^bad KPL aggregate: MD5 digest mismatch$/],
    ];
    for (const [bytes, reason] of cases) {
      const out = decodeOne(bytes);
      expect(out.ticks).toEqual([]);
      expect(out.bad).toHaveLength(1);
      expect(out.bad[0]!.reason).toMatch(reason);
      expect(out.bad[0]!.position).toEqual({ ...out.position, subIndex: null });
      expect(Buffer.from(out.bad[0]!.raw)).toEqual(bytes);
    }
  });

  it("a sub-record over the limits is a bad part; its siblings stay good", () => {
    const bytes = encodeAggregated([
      { partitionKey: "a", data: Buffer.from(pipe("1", 0, 1)) },
      { partitionKey: "b", data: Buffer.from(pipe("2", 1, 2)) },
      { partitionKey: "c", data: Buffer.from(pipe("3", 2, 3)) },
    ]);
    // Swap the second key for one of 257 characters, keeping the protobuf and digest valid.
    const body = bytes.subarray(4, bytes.length - 16);
    const long = "k".repeat(257);
    const patched = Buffer.concat([
      Buffer.from([0x0a, 0x01, 0x61, 0x0a, 0x81, 0x02]),
      Buffer.from(long),
      body.subarray(6),
    ]);
    expect(body.subarray(0, 6)).toEqual(Buffer.from([0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]));
    const record = Buffer.concat([bytes.subarray(0, 4), patched, createHash("md5").update(patched).digest()]);
    const out = decodeOne(record);
    expect(summary(out).ticks).toEqual(["0 1 1", "2 3 3"]);
    expect(out.bad.map((b) => [b.position.subIndex, b.reason, Buffer.from(b.raw).toString()])).toEqual([
      [1, "bad KPL sub-record: partition key longer than 256 characters", pipe("2", 1, 2)],
    ]);
  });

  it("an aggregate inside an aggregate is a bad part", () => {
    const inner = kpl(pipe("9", 0, 9));
    const out = decodeOne(kpl(pipe("1", 0, 1), inner));
    expect(summary(out).ticks).toEqual(["0 1 1"]);
    expect(out.bad.map((b) => [b.position.subIndex, b.reason])).toEqual([[1, "bad KPL sub-record: nested KPL aggregate"]]);
    expect(Buffer.from(out.bad[0]!.raw)).toEqual(inner);
  });

  it("decodes what aws-kinesis-agg aggregates", () => {
    const agg = createRequire(import.meta.url)("aws-kinesis-agg") as {
      RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer }): void; build(): { data: Buffer } };
    };
    const aggregator = new agg.RecordAggregator();
    const texts = [pipe("1", 0, 1), json("AAPL", 1, 8451), `${pipe("2", 2, 2)}\n${pipe("3", 3, 3)}`];
    for (const [i, data] of texts.entries()) aggregator.addUserRecord({ partitionKey: `key-${i}`, data: Buffer.from(data) });
    expect(summary(decodeOne(aggregator.build().data))).toEqual({ ticks: ["0 1 1", "1 AAPL 8451", "2 2 2", "3 3 3"], bad: [] });
  });

  it("never throws, and keeps every record's parts in order, on mutated aggregates in a batch (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("1", "2"), fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.boolean(),
        (ticks, edits, fixDigest) => {
          const bytes = Buffer.from(kpl(...ticks.map(([id, c]) => pipe(id, c, c))));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          if (fixDigest) createHash("md5").update(bytes.subarray(4, bytes.length - 16)).digest().copy(bytes, bytes.length - 16);
          const position = nextPosition();
          const out = decodeBatch([toKinesisRecord(pipe("0", 0, 0), nextPosition()), toKinesisRecord(bytes, position), toKinesisRecord(pipe("0", 1, 1), nextPosition())]);
          expect(out.ticks[0]!.tick.pricesCents).toEqual([0]);
          expect(out.ticks.at(-1)!.tick.pricesCents).toEqual([1]);
          const mine = [...out.ticks.filter((t) => t.position.sequenceNumber === position.sequenceNumber), ...out.bad];
          const indexes = mine.map((p) => p.position.subIndex);
          if (indexes.includes(null)) expect(indexes).toEqual([null]);
          else expect([...indexes].sort((a, b) => a! - b!)).toEqual(indexes.map((_, i) => i));
          if (edits.length === 0) expect(out.bad).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("record framing: event time bounded by arrival time", () => {
  const SKEW = 300_000;

  it("a tick more than the allowed skew ahead of its record's arrival is bad: event time in the future", () => {
    const at = (dt: number) => encodePipe({ instrument: "1", eventTime: ARRIVAL + dt, pricesCents: [1] });
    expect(summary(decodeOne(at(SKEW))).ticks).toEqual(["0 1 1"]);
    const out = decodeOne(at(SKEW + 1));
    expect(out.ticks).toEqual([]);
    expect(out.bad.map((b) => [b.position.subIndex, b.reason, Buffer.from(b.raw).toString()])).toEqual([[0, FUTURE_EVENT_TIME, at(SKEW + 1)]]);
  });

  it("the far-future tick of 2100 is dead in every framing; its siblings stay", () => {
    const future = json("1", Date.UTC(2100, 0, 1) - T, 5);
    expect(future).toContain('"EVENT_TIME": "2100-01-01T00:00:00');
    for (const data of [future, `${pipe("2", 0, 2)}\n${future}\n${pipe("3", 0, 3)}`, kpl(pipe("2", 0, 2), future, pipe("3", 0, 3))]) {
      const out = decodeOne(data);
      expect(out.bad.map((b) => [b.reason, Buffer.from(b.raw).toString()])).toEqual([[FUTURE_EVENT_TIME, future]]);
      expect(out.ticks.every((t) => t.tick.instrument !== "1")).toBe(true);
    }
  });

  it("the skew is configurable; 0 allows nothing ahead of arrival", () => {
    const ahead = encodePipe({ instrument: "1", eventTime: ARRIVAL + 1, pricesCents: [1] });
    expect(decodeOne(ahead, { maxClockSkewMs: 0 }).bad.map((b) => b.reason)).toEqual([FUTURE_EVENT_TIME]);
    expect(decodeOne(ahead, { maxClockSkewMs: 1 }).ticks).toHaveLength(1);
    const hourAhead = encodePipe({ instrument: "1", eventTime: ARRIVAL + 3_600_000, pricesCents: [1] });
    expect(decodeOne(hourAhead).bad).toHaveLength(1);
    expect(decodeOne(hourAhead, { maxClockSkewMs: 3_600_000 }).ticks).toHaveLength(1);
  });

  it("old ticks are not bounded: a week-old tick, and one from 1970, decode", () => {
    const old = [encodePipe({ instrument: "1", eventTime: ARRIVAL - 7 * 86_400_000, pricesCents: [1] }), encodePipe({ instrument: "1", eventTime: 0, pricesCents: [1] })];
    for (const text of old) expect(decodeOne(text).ticks).toHaveLength(1);
  });

  it("decides by arrival time, so a retried record decides the same", () => {
    const text = encodePipe({ instrument: "1", eventTime: ARRIVAL + SKEW + 1, pricesCents: [1] });
    const position = nextPosition();
    const first = decodeBatch([toKinesisRecord(text, position)]);
    const again = decodeBatch([toKinesisRecord(text, position)]);
    expect(again).toEqual(first);
    expect(first.bad).toHaveLength(1);
  });
});
