import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AggregateBuilder,
  MAX_PARTITION_KEY_LENGTH,
  MAX_SUB_RECORDS,
  decodeAggregated,
  encodeAggregated,
  isAggregated,
  looksAggregated,
  type AggregateInput,
  type AggregateResult,
  type SubRecord,
} from "./kpl.js";

// The awslabs implementation (protobufjs underneath): an independent oracle for the format.
interface Oracle {
  RecordAggregator: new () => {
    addUserRecord(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void;
    build(): { partitionKey: string; data: Buffer } | undefined;
  };
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (err: Error | null, records?: { partitionKey: string; explicitPartitionKey?: string; data: string; subSequenceNumber: number }[]) => void,
  ): void;
}
const oracle = createRequire(import.meta.url)("aws-kinesis-agg") as Oracle;

const MAGIC = Buffer.from("f3899ac2", "hex");

// Hand-written protobuf pieces, for aggregates the encoder refuses to produce.
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const bytesField = (field: number, payload: Buffer | string) => {
  const p = Buffer.from(payload);
  return Buffer.concat([tag(field, 2), varint(p.length), p]);
};
const varintField = (field: number, value: number) => Buffer.concat([tag(field, 0), varint(value)]);
const record = (...parts: Buffer[]) => bytesField(3, Buffer.concat(parts));
const md5 = (b: Buffer) => createHash("md5").update(b).digest();
const frame = (...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([MAGIC, body, md5(body)]);
};

function good(result: AggregateResult) {
  if (!result.ok) throw new Error(`expected an aggregate, got: ${result.reason}`);
  return result.records;
}
function bad(result: AggregateResult): string {
  if (result.ok) throw new Error("expected a bad aggregate");
  return result.reason;
}

const text = (s: string) => Buffer.from(s, "utf8");

const input: fc.Arbitrary<AggregateInput> = fc.record(
  {
    partitionKey: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((s) => s.length <= MAX_PARTITION_KEY_LENGTH),
    data: fc.uint8Array({ maxLength: 300 }),
    explicitHashKey: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String),
  },
  { requiredKeys: ["partitionKey", "data"] },
);
// Few distinct keys, so the tables are shared.
const inputs = fc.array(
  fc.tuple(input, fc.integer({ min: 0, max: 3 })).map(([sub, k]) => (k === 0 ? sub : { ...sub, partitionKey: `pk${k}` })),
  { minLength: 1, maxLength: 40 },
);

function plain(records: SubRecord[]) {
  return records.map((r) => {
    if (!r.ok) throw new Error(`expected good sub-records, got: ${r.reason}`);
    return { partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey ?? undefined, data: Buffer.from(r.data) };
  });
}

describe("KPL aggregates: encode and decode", () => {
  it("round-trips any sub-records, keys and data", () => {
    fc.assert(
      fc.property(inputs, (subs) => {
        const encoded = encodeAggregated(subs);
        expect(isAggregated(encoded)).toBe(true);
        const decoded = plain(good(decodeAggregated(encoded)));
        expect(decoded).toEqual(subs.map((s) => ({ partitionKey: s.partitionKey, explicitHashKey: s.explicitHashKey, data: Buffer.from(s.data) })));
      }),
    );
  });

  it("the builder knows each aggregate's size before it adds, and builds what encodeAggregated does", () => {
    fc.assert(
      fc.property(inputs, (subs) => {
        const builder = new AggregateBuilder();
        for (const sub of subs) {
          const expected = builder.sizeWith(sub);
          builder.add(sub);
          expect(builder.byteLength).toBe(expected);
        }
        expect(builder.length).toBe(subs.length);
        const built = builder.build();
        expect(built.length).toBe(expected(subs));
        expect(built).toEqual(encodeAggregated(subs));
        expect(builder.length).toBe(0);
      }),
    );
    function expected(subs: AggregateInput[]) {
      return encodeAggregated(subs).length;
    }
  });

  it("decodes what aws-kinesis-agg aggregates", () => {
    // aws-kinesis-agg 4.2.8 builds its key tables with Object.keys, which lists integer-like
    // keys in numeric order rather than in the order its indexes assume: keys "3" then "1" come
    // out swapped. Keys here start with a letter and one explicit hash key serves them all.
    const oracleSafe = fc.tuple(inputs, fc.option(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String), { nil: undefined })).map(([subs, ehk]) =>
      subs.map((s) => ({ partitionKey: `k${s.partitionKey}`, data: Buffer.concat([Buffer.from("x"), s.data]), explicitHashKey: ehk })),
    );
    fc.assert(
      fc.property(oracleSafe, (subs) => {
        const aggregator = new oracle.RecordAggregator();
        for (const sub of subs) aggregator.addUserRecord({ partitionKey: sub.partitionKey, data: Buffer.from(sub.data), explicitHashKey: sub.explicitHashKey });
        const built = aggregator.build()!;
        const decoded = plain(good(decodeAggregated(built.data)));
        expect(decoded.map((d) => [d.partitionKey, d.explicitHashKey, d.data.toString("hex")])).toEqual(
          subs.map((s) => [s.partitionKey, s.explicitHashKey, Buffer.from(s.data).toString("hex")]),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("aws-kinesis-agg de-aggregates what this encoder writes, checksums on", () => {
    fc.assert(
      fc.property(inputs, (subs) => {
        const encoded = encodeAggregated(subs);
        let out: { partitionKey: string; explicitPartitionKey?: string; data: string; subSequenceNumber: number }[] = [];
        oracle.deaggregateSync({ data: encoded.toString("base64"), partitionKey: "p", sequenceNumber: "1" }, true, (err, records) => {
          if (err) throw err;
          out = records ?? [];
        });
        // protobufjs reads an absent explicit_hash_key_index as 0: compare the keys that are set.
        expect(out.map((r, i) => [r.partitionKey, subs[i]?.explicitHashKey === undefined ? undefined : r.explicitPartitionKey, Buffer.from(r.data, "base64").toString("hex"), r.subSequenceNumber])).toEqual(
          subs.map((s, i) => [s.partitionKey, s.explicitHashKey, Buffer.from(s.data).toString("hex"), i]),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("writes the tables once and the records in order", () => {
    const encoded = encodeAggregated([
      { partitionKey: "a", data: text("1") },
      { partitionKey: "b", data: text("2"), explicitHashKey: "7" },
      { partitionKey: "a", data: text("3") },
    ]);
    expect(encoded).toEqual(
      frame(
        bytesField(1, "a"),
        bytesField(1, "b"),
        bytesField(2, "7"),
        record(varintField(1, 0), bytesField(3, "1")),
        record(varintField(1, 1), varintField(2, 0), bytesField(3, "2")),
        record(varintField(1, 0), bytesField(3, "3")),
      ),
    );
  });

  it("refuses to encode what no aggregate may hold", () => {
    expect(() => encodeAggregated([])).toThrow(RangeError);
    expect(() => encodeAggregated([{ partitionKey: "", data: text("x") }])).toThrow(/partition key/);
    expect(() => encodeAggregated([{ partitionKey: "k".repeat(257), data: text("x") }])).toThrow(/partition key/);
    expect(() => encodeAggregated([{ partitionKey: "\ud800", data: text("x") }])).toThrow(/Unicode/);
    expect(() => encodeAggregated([{ partitionKey: "k", data: text("x"), explicitHashKey: String(1n << 128n) }])).toThrow(/hash key/);
    expect(() => encodeAggregated([{ partitionKey: "k", data: text("x"), explicitHashKey: "-1" }])).toThrow(/hash key/);
    expect(() => encodeAggregated([{ partitionKey: "k", data: Buffer.alloc(1_048_576) }])).toThrow(/at most 1048576/);
    const builder = new AggregateBuilder();
    builder.add({ partitionKey: "k", data: Buffer.alloc(1_000_000) });
    expect(() => builder.add({ partitionKey: "k", data: Buffer.alloc(100_000) })).toThrow(/at most 1048576/);
    expect(builder.length).toBe(1);
  });
});

describe("KPL aggregates: bad input", () => {
  const valid = encodeAggregated([
    { partitionKey: "a", data: text("sequence=1|instrument=1|price_0=1") },
    { partitionKey: "b", data: text("sequence=2|instrument=2|price_0=2") },
  ]);

  it("tells the magic number apart", () => {
    expect(isAggregated(valid)).toBe(true);
    expect(isAggregated(text("sequence=1|"))).toBe(false);
    expect(isAggregated(MAGIC.subarray(0, 3))).toBe(false);
    expect(looksAggregated(Buffer.from("f3899ac3", "hex"))).toBe(true);
    expect(bad(decodeAggregated(Buffer.concat([Buffer.from("f3899ac3", "hex"), valid.subarray(4)])))).toBe("bad KPL aggregate: wrong magic number f3899ac3");
    expect(bad(decodeAggregated(text("sequence=1|")))).toMatch(/no magic number/);
  });

  it("a truncated aggregate is bad, at every cut", () => {
    for (let n = 0; n < valid.length; n++) {
      const reason = bad(decodeAggregated(valid.subarray(0, n)));
      if (n >= 20) expect(reason).toMatch(/^bad KPL aggregate: (malformed protobuf: .*truncated|MD5 digest mismatch|holds no sub-records)/);
    }
    expect(bad(decodeAggregated(valid.subarray(0, 19)))).toBe("bad KPL aggregate: truncated (19 bytes, shorter than magic and digest)");
    expect(bad(decodeAggregated(valid.subarray(0, valid.length - 20)))).toMatch(/runs past the end \(truncated\)/);
  });

  it("a wrong MD5 digest is bad, even when the protobuf parses", () => {
    const copy = Buffer.from(valid);
    copy[copy.length - 1]! ^= 1;
    expect(bad(decodeAggregated(copy))).toBe("bad KPL aggregate: MD5 digest mismatch");
    const body = Buffer.from(valid);
    body[body.indexOf("sequence=2") + 9] = "3".charCodeAt(0);
    expect(bad(decodeAggregated(body))).toBe("bad KPL aggregate: MD5 digest mismatch");
  });

  it("malformed protobuf is bad as a whole", () => {
    const cases: [Buffer, RegExp][] = [
      [frame(Buffer.from([0x0a])), /truncated varint/],
      [frame(Buffer.from([0x0a, 0x05, 0x61])), /table entry runs past the end/],
      [frame(Buffer.from([0x1a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), /varint longer than 64 bits/],
      [frame(Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])), /varint longer than 64 bits/],
      [frame(varintField(1, 3)), /aggregate field 1 has wire type 0/],
      [frame(bytesField(1, "a"), record(bytesField(1, "x"), bytesField(3, "d"))), /record field 1 has wire type 2/],
      [frame(bytesField(1, "a"), tag(9, 3), record(varintField(1, 0), bytesField(3, "d"))), /unsupported wire type 3/],
      [frame(bytesField(1, "a"), Buffer.from([0x00, 0x00])), /field number 0/],
      [frame(bytesField(1, "a"), record(varintField(1, 0), tag(3, 2), varint(5), text("ab"))), /record data runs past the end/],
      [frame(bytesField(1, "a"), record(varintField(1, 0), bytesField(3, "d"), bytesField(4, Buffer.concat([bytesField(1, "k"), tag(2, 1)])))), /field 2|tag field 2 has wire type 1/],
      [frame(bytesField(1, "a"), tag(9, 1), Buffer.from([1, 2, 3])), /field 9 runs past the end/],
    ];
    for (const [bytes, reason] of cases) expect(bad(decodeAggregated(bytes))).toMatch(reason);
    expect(bad(decodeAggregated(frame(bytesField(1, "a"))))).toBe("bad KPL aggregate: holds no sub-records");
  });

  it("caps the number of sub-records", () => {
    const one = record(varintField(1, 0), bytesField(3, ""));
    const at = frame(bytesField(1, "a"), Buffer.concat(new Array(MAX_SUB_RECORDS).fill(one)));
    expect(good(decodeAggregated(at))).toHaveLength(MAX_SUB_RECORDS);
    const over = frame(bytesField(1, "a"), Buffer.concat(new Array(MAX_SUB_RECORDS + 1).fill(one)));
    expect(bad(decodeAggregated(over))).toMatch(/too many sub-records/);
  });

  it("skips unknown fields and reads records written before the tables", () => {
    const bytes = frame(
      varintField(7, 300),
      record(bytesField(3, "d1"), varintField(1, 1), tag(15, 5), Buffer.from([1, 2, 3, 4]), bytesField(4, Buffer.concat([bytesField(1, "k"), bytesField(2, "v"), varintField(5, 1)]))),
      tag(8, 1),
      Buffer.alloc(8),
      bytesField(1, "a"),
      bytesField(1, "b"),
      bytesField(20, "ignored"),
    );
    expect(plain(good(decodeAggregated(bytes)))).toEqual([{ partitionKey: "b", explicitHashKey: undefined, data: text("d1") }]);
  });

  it("a sub-record that breaks the rules is bad alone; its siblings stay good", () => {
    const bytes = frame(
      bytesField(1, "a"),
      bytesField(1, "k".repeat(MAX_PARTITION_KEY_LENGTH + 1)),
      bytesField(1, Buffer.from([0xff, 0xfe])),
      bytesField(2, "123"),
      bytesField(2, "12a"),
      record(varintField(1, 0), bytesField(3, "good0")),
      record(varintField(1, 1), bytesField(3, "longkey")),
      record(varintField(1, 2), bytesField(3, "notutf8")),
      record(varintField(1, 9), bytesField(3, "pkindex")),
      record(varintField(1, 0), varintField(2, 5), bytesField(3, "ehkindex")),
      record(varintField(1, 0), varintField(2, 1), bytesField(3, "ehkbad")),
      record(bytesField(3, "nopk")),
      record(varintField(1, 0)),
      record(varintField(1, 0), bytesField(3, "tag"), bytesField(4, bytesField(2, "v"))),
      record(varintField(1, 0), varintField(2, 0), bytesField(3, "good1")),
    );
    const records = good(decodeAggregated(bytes));
    expect(records.map((r) => (r.ok ? `ok ${r.partitionKey} ${Buffer.from(r.data)}` : `${r.reason} [${Buffer.from(r.data)}]`))).toEqual([
      "ok a good0",
      "partition key longer than 256 characters [longkey]",
      "partition key not valid UTF-8 [notutf8]",
      "partition key index 9 outside the table of 3 [pkindex]",
      "explicit hash key index 5 outside the table of 2 [ehkindex]",
      "explicit hash key not a decimal below 2^128 [ehkbad]",
      "missing required field partition_key_index [nopk]",
      "missing required field data []",
      "tag without a key [tag]",
      "ok a good1",
    ]);
  });

  it("never throws on any mutation of an aggregate, with or without a fixed-up digest", () => {
    const mutated = fc
      .tuple(
        inputs,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
      )
      .map(([subs, edits, fixDigest]) => {
        let bytes = Buffer.from(encodeAggregated(subs));
        for (const [at, value, kind] of edits) {
          const i = at % (bytes.length + 1);
          if (kind === "set" && i < bytes.length) bytes[i] = value;
          else if (kind === "insert") bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
          else if (kind === "delete") bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
        }
        if (fixDigest && bytes.length >= 20) {
          const body = bytes.subarray(4, bytes.length - 16);
          md5(Buffer.from(body)).copy(bytes, bytes.length - 16);
        }
        return bytes;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        const result = decodeAggregated(bytes);
        if (!result.ok) expect(result.reason).toMatch(/^(bad KPL aggregate|not a KPL aggregate)/);
        else for (const r of result.records) if (!r.ok) expect(typeof r.reason).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on random bytes behind the magic number", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, withDigest) => {
        const bytes = withDigest ? frame(Buffer.from(body)) : Buffer.concat([MAGIC, body]);
        const result = decodeAggregated(bytes);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });
});
