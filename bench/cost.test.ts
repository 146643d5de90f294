import { describe, expect, it } from "vitest";
import { costSvg, costTable, invocationRate, LAMBDA_PAYLOAD_BYTES, monthlyCost, perMillionTicks, recordRate, shardsNeeded, shardsWithHeadroom, ticksPerInvocation, type DesignInput } from "./cost.js";
import { dynamoDbInput, kplRecordBytes, packedRecordBytes, producerPacking, ticksPerFullRecord } from "./suites/cost.js";
import type { WriteRow, WritesData } from "./suites/writes.js";

// Figures below were worked out by hand from prices.ts (us-east-1):
// 1,000 ticks/s for 30 days = 2,592,000,000 ticks.
const seedLike: DesignInput = {
  name: "seed",
  ticksPerSecond: 1000,
  days: 30,
  tickBytes: 200,
  stream: { mode: "provisioned", shards: 10, retentionHours: 48 },
  extraStreams: [],
  streamReaders: 2,
  consumers: [{ name: "ingest", batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2, memoryMb: 128, arch: "x86_64", durationMs: 100 }],
  scheduled: [],
  writeUnitsPer1000: 1000,
  readUnitsPer1000: 0,
  archive: { bufferBytes: 100 * 1024 * 1024, bufferSeconds: 60, compressionRatio: 2 },
};

function cost(c: ReturnType<typeof monthlyCost>, item: string): number {
  const l = c.lines.find((x) => x.item.includes(item));
  if (!l) throw new Error(`no line ${item}`);
  return l.cost;
}

describe("cost model", () => {
  it("prices a provisioned stream, one write per tick and the archive", () => {
    const c = monthlyCost(seedLike);
    expect(c.ticksPerMonth).toBe(2_592_000_000);
    // 10 shards x 720 h x $0.015
    expect(cost(c, "shard-hours")).toBeCloseTo(108, 9);
    // 2,592 million PUT payload units x $0.014
    expect(cost(c, "PUT payload")).toBeCloseTo(36.288, 9);
    // 48 h retention: 7,200 shard-hours x $0.02
    expect(cost(c, "extended retention")).toBeCloseTo(144, 9);
    // 10 shards x 2 lanes, one batch a second each: 20 invocations/s of 50 records
    // 51.84 M requests x $0.20; 51.84 M x 0.1 s x 0.125 GB x $0.0000166667
    expect(cost(c, "ingest: requests")).toBeCloseTo(10.368, 9);
    expect(cost(c, "ingest: duration")).toBeCloseTo(10.8000216, 6);
    // 2,592 million WRU x $0.625
    expect(c.byService.DynamoDB).toBeCloseTo(1620, 9);
    // 2.592e9 records x 5 KB = 12,359.619140625 GB x $0.029
    expect(c.byService.Firehose).toBeCloseTo(358.428955078125, 6);
    // 201 bytes/s per tick with newline: 60 s buffers -> 43,200 objects x $0.005/1000
    expect(cost(c, "PUT requests")).toBeCloseTo(0.216, 9);
    // 2.592e9 x 201 B / 2 = 242.6058 GB x $0.023
    expect(cost(c, "storage")).toBeCloseTo(5.579933524, 6);
    expect(c.byService.Kinesis).toBeCloseTo(288.288, 9);
    expect(c.total).toBeCloseTo(288.288 + 10.368 + 10.8000216 + 1620 + 358.428955078125 + 0.216 + 5.579933524, 5);
    expect(perMillionTicks(c)).toBeCloseTo(c.total / 2592, 9);
  });

  it("prices on-demand streams with 1 KB rounding and one read per consumer", () => {
    const c = monthlyCost({ ...seedLike, stream: { mode: "on-demand", retentionHours: 24 }, streamReaders: 3, archive: null });
    expect(cost(c, "stream-hours")).toBeCloseTo(28.8, 9);
    // 2.592e9 x 1 KB = 2,471.923828125 GB
    expect(cost(c, "data in")).toBeCloseTo(197.75390625, 6);
    expect(cost(c, "data out")).toBeCloseTo(296.630859375, 6);
    expect(c.byService.Firehose).toBe(0);
    expect(c.byService.S3).toBe(0);
    // Without a shard count, one shard per 1,000 records/s: 1 lane, 100-record batches.
    expect(c.lines.find((l) => l.item.startsWith("ingest: requests"))!.quantity).toBeCloseTo(25.92, 9);
    const four = monthlyCost({ ...seedLike, stream: { mode: "on-demand", retentionHours: 24, shards: 4 }, archive: null });
    // 4 shards x 2 lanes: 8 invocations/s of 125 records... capped at the batch size of 100.
    expect(four.lines.find((l) => l.item.startsWith("ingest: requests"))!.quantity).toBeCloseTo(25.92, 9);
  });

  it("models invocations from batch size, batching window and shards", () => {
    expect(invocationRate(1000, 2, { batchSize: 500, batchingWindowSeconds: 1, parallelizationFactor: 1 })).toEqual({ recordsPerInvocation: 500, invocationsPerSecond: 2 });
    expect(invocationRate(1000, 2, { batchSize: 100, batchingWindowSeconds: 1, parallelizationFactor: 1 })).toEqual({ recordsPerInvocation: 100, invocationsPerSecond: 10 });
    expect(invocationRate(10, 10, { batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2 })).toEqual({ recordsPerInvocation: 1, invocationsPerSecond: 10 });
  });

  // Exactly what the records and bytes need, and that with the headroom a provisioned stream gets.
  const sizing = { shardsNeeded, shardsWithHeadroom };
  it.each([
    ["shardsNeeded", 1000, 200, 1],
    ["shardsNeeded", 1001, 200, 2],
    ["shardsNeeded", 500, 4096, 2],
    ["shardsWithHeadroom", 1000, 208, 2],
    ["shardsWithHeadroom", 100, 21_574, 3],
    ["shardsWithHeadroom", 10_000, 208, 13],
  ] as const)("sizes a provisioned stream by records and bytes: %s(%d, %d) is %d", (size, records, bytes, shards) => {
    expect(sizing[size](records, bytes)).toBe(shards);
  });

  it("draws one bar per design and tabulates every service", () => {
    const c = monthlyCost(seedLike);
    const svg = costSvg([c, { ...c, name: "other" }], "title <x>");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("title &lt;x&gt;");
    expect(svg.match(/<rect [^>]*fill="#2563eb"/g)?.length).toBe(3); // 2 bars + legend
    const table = costTable([c]);
    expect(table).toContain("| DynamoDB | $1620 |");
  });
});

describe("cost model with packed records", () => {
  const packed: DesignInput = {
    ...seedLike,
    stream: { mode: "on-demand", retentionHours: 24, shards: 4 },
    streamReaders: 3,
    consumers: [{ name: "latest", batchSize: 500, batchingWindowSeconds: 1, parallelizationFactor: 1, memoryMb: 1024, arch: "arm64", durationMs: 50 }],
    packing: { mode: "kpl", ticksPerRecord: 10, recordBytes: 2100 },
  };

  it("bills Kinesis per record: fewer records, each rounded up to 1 KB", () => {
    const c = monthlyCost(packed);
    expect(c.recordsPerMonth).toBe(259_200_000);
    // 259.2 million records x 3 KB = 741.5771484375 GB: $0.08 in, $0.04 x 3 readers out
    expect(cost(c, "data in")).toBeCloseTo(59.326171875, 6);
    expect(cost(c, "data out")).toBeCloseTo(88.9892578125, 6);
    const provisioned = monthlyCost({ ...packed, stream: { mode: "provisioned", shards: 1, retentionHours: 24 } });
    // One 25 KB PUT payload unit per record: 259.2 million x $0.014
    expect(cost(provisioned, "PUT payload")).toBeCloseTo(3.6288, 9);
  });

  it("prices Firehose's 5 KB rounding either per Kinesis record or per de-aggregated tick", () => {
    // 259.2 million records x 5 KB = 1,235.96 GB; 2,592 million ticks x 5 KB = 12,359.6 GB
    expect(monthlyCost({ ...packed, firehoseRounding: "kinesis-record" }).byService.Firehose).toBeCloseTo(35.8428955078125, 6);
    expect(monthlyCost({ ...packed, firehoseRounding: "tick" }).byService.Firehose).toBeCloseTo(358.428955078125, 6);
    // The archive holds the same ticks either way.
    expect(cost(monthlyCost(packed), "storage")).toBeCloseTo(cost(monthlyCost({ ...packed, packing: undefined }), "storage"), 9);
  });

  it("an invocation gets the same ticks, packed or not", () => {
    const c = monthlyCost(packed);
    // 100 records/s over 4 shards, one batch a second each: 4 invocations/s of 25 records (250 ticks)
    expect(c.lines.find((l) => l.item.startsWith("latest: requests"))!.quantity).toBeCloseTo(10.368, 9);
    expect(ticksPerInvocation(packed, packed.consumers[0]!)).toBeCloseTo(250, 9);
    expect(ticksPerInvocation({ ...packed, packing: undefined }, packed.consumers[0]!)).toBeCloseTo(250, 9);
    expect(recordRate(packed)).toEqual({ recordsPerSecond: 100, recordBytes: 2100, ticksPerRecord: 10 });
  });

  it("draws a higher bound as an outline after the bar", () => {
    const c = monthlyCost(packed);
    const svg = costSvg([c], "t", [c.total * 2]);
    expect(svg).toMatch(/stroke-dasharray="4 3"><title>up to \$/);
    expect(svg).toContain(`$${c.total.toFixed(0)}–$${(c.total * 2).toFixed(0)}`);
    expect(costSvg([c], "t")).not.toMatch(/up to/);
  });
});

describe("cost scenarios", () => {
  const row = (consumer: WriteRow["consumer"], batchSize: number, wcu: number, ms: number, costScenario = false): WriteRow =>
    ({ consumer, instruments: 10, batchSize, ticks: 1000, costScenario, invocations: 1, failures: 0, counts: {} as WriteRow["counts"], per1000: { requests: 0, writeRequests: 0, itemsWritten: 0, wcuReported: wcu, wcuComputed: 0, readUnits: 1, conditionalFailures: 2 }, msPerInvocation: { n: 1, median: ms, min: ms, max: ms, p25: ms, p75: ms } }) as WriteRow;
  const writes = { shards: 2, eventRate: "", wcuSource: "", rows: [row("latest", 100, 100, 10), row("latest", 250, 40, 20, true), row("latest", 1000, 10, 50)] } as WritesData;

  it("takes DynamoDB units from the largest measured batch not above an invocation's ticks", () => {
    expect(dynamoDbInput(writes, "latest", 250)).toMatchObject({ writeUnitsPer1000: 42, readUnitsPer1000: 1, durationMs: 20 });
    expect(dynamoDbInput(writes, "latest", 999).row.batchSize).toBe(250);
    // More ticks than any row: the largest row, its duration scaled up.
    expect(dynamoDbInput(writes, "latest", 2500)).toMatchObject({ writeUnitsPer1000: 12, durationMs: 125 });
    // Fewer than any row: the smallest.
    expect(dynamoDbInput(writes, "latest", 50).row.batchSize).toBe(100);
    expect(() => dynamoDbInput(writes, "windows", 50)).toThrow(/no rows for windows/);
  });

  it("packs as the producer does: one instrument's ticks of one linger, up to a full record", () => {
    const full = ticksPerFullRecord();
    expect(full).toBeGreaterThan(200);
    expect(kplRecordBytes(full)).toBeLessThanOrEqual(51_200);
    expect(producerPacking(1000).ticksPerRecord).toBe(10);
    expect(producerPacking(10_000).ticksPerRecord).toBe(100);
    expect(producerPacking(100).ticksPerRecord).toBe(1);
    expect(producerPacking(1_000_000).ticksPerRecord).toBe(full);
    expect(producerPacking(1000).recordBytes).toBe(kplRecordBytes(10));
    // Lines: the ticks and their separators, no envelope.
    const lines = producerPacking(1000, 10, 100, 51_200, "lines");
    expect(lines).toMatchObject({ mode: "lines", ticksPerRecord: 10 });
    expect(lines.recordBytes).toBe(packedRecordBytes(10, "lines"));
    expect(lines.recordBytes).toBeLessThan(kplRecordBytes(10));
    expect(kplRecordBytes(10) - lines.recordBytes).toBeLessThan(10 * 8 + 40);
  });
});

describe("Lambda's payload limit", () => {
  it("caps a batch of big records at what fits in 6 MB", () => {
    const c = { batchSize: 10_000, batchingWindowSeconds: 10, parallelizationFactor: 1 };
    // 25 records/s per shard for 10 s: 250 records, unless their size says otherwise.
    expect(invocationRate(100, 4, c).recordsPerInvocation).toBe(250);
    expect(invocationRate(100, 4, c, 2100).recordsPerInvocation).toBe(250);
    // 30,000-byte records: 40,000 base64 characters and 500 of event each -> 155 fit in 6 MiB.
    expect(invocationRate(100, 4, c, 30_000)).toEqual({ recordsPerInvocation: 155, invocationsPerSecond: 100 / 155 });
    expect(LAMBDA_PAYLOAD_BYTES).toBe(6 * 1024 * 1024);
  });
});
