import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { encodeAggregated } from "@tickstream/core/ticks/kpl";
import { deliveredLines, toLine } from "./delivery.js";

const kpl = (...datas: string[]) => encodeAggregated(datas.map((d, i) => ({ partitionKey: `k${i}`, data: Buffer.from(d) })));

describe("archive lines", () => {
  it("appends a newline only to records without one", () => {
    expect(toLine(Buffer.from("a")).toString()).toBe("a\n");
    expect(toLine(Buffer.from("a\n")).toString()).toBe("a\n");
    expect(toLine(new Uint8Array()).toString()).toBe("\n");
  });

  it("writes a plain record as it came, lines and all", () => {
    expect(deliveredLines(Buffer.from("a")).toString()).toBe("a\n");
    expect(deliveredLines(Buffer.from("a\nb\n")).toString()).toBe("a\nb\n");
  });

  it("de-aggregates a KPL record: one line per sub-record, a sub-record's own lines kept", () => {
    expect(deliveredLines(kpl("tick-1", "tick-2\n", "tick-3\ntick-4", "")).toString()).toBe("tick-1\ntick-2\ntick-3\ntick-4\n\n");
  });

  it("reads what aws-kinesis-agg aggregates", () => {
    const agg = createRequire(import.meta.url)("aws-kinesis-agg") as {
      RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer }): void; build(): { data: Buffer } };
    };
    const aggregator = new agg.RecordAggregator();
    for (const d of ["x1", "x2"]) aggregator.addUserRecord({ partitionKey: "p", data: Buffer.from(d) });
    expect(deliveredLines(aggregator.build().data).toString()).toBe("x1\nx2\n");
  });

  it("archives a damaged aggregate as it came, like any bad record", () => {
    const good = kpl("tick-1", "tick-2");
    const wrongMagic = Buffer.from(good);
    wrongMagic[3] = 0xc3;
    const badDigest = Buffer.from(good);
    badDigest[badDigest.length - 1]! ^= 1;
    const truncated = good.subarray(0, good.length - 5);
    for (const bytes of [wrongMagic, badDigest, truncated]) {
      expect(deliveredLines(bytes)).toEqual(toLine(bytes));
    }
  });
});
