import { describe, expect, it } from "vitest";
import { costSvg, costTable, invocationRate, monthlyCost, perMillionTicks, shardsNeeded, type DesignInput } from "./cost.js";

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

  it("sizes a provisioned stream by records and bytes", () => {
    expect(shardsNeeded(1000, 200)).toBe(1);
    expect(shardsNeeded(1001, 200)).toBe(2);
    expect(shardsNeeded(500, 4096)).toBe(2);
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
