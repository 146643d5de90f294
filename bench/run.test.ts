import { describe, expect, it } from "vitest";
import { parseArgs } from "./run.js";
import { scenarios } from "./suites/writes.js";
import { scenarioEvents } from "./suites/writes-worker.js";
import { Tracker } from "./suites/pipeline.js";

describe("bench command line", () => {
  it("reads --quick and --only", () => {
    expect(parseArgs([])).toEqual({ quick: false, only: null, help: false });
    expect(parseArgs(["--quick", "--only", "writes,cost"])).toEqual({ quick: true, only: ["writes", "cost"], help: false });
    expect(parseArgs(["--only=api"]).only).toEqual(["api"]);
    expect(() => parseArgs(["--only", "nope"])).toThrow(/unknown benchmark/);
    expect(() => parseArgs(["--fast"])).toThrow(/unknown argument/);
  });
});

describe("write scenarios", () => {
  it("cover 1, 10 and 1,000 instruments at batches of 100 and 1,000, and the priced settings", () => {
    const full = scenarios(false);
    for (const consumer of ["latest", "windows", "baseline"]) {
      for (const instruments of [1, 10, 1000]) {
        for (const batchSize of [100, 1000]) expect(full.some((s) => s.consumer === consumer && s.instruments === instruments && s.batchSize === batchSize && !s.costScenario)).toBe(true);
      }
    }
    expect(full.filter((s) => s.costScenario).map((s) => `${s.consumer}/${s.batchSize}`)).toEqual(["latest/250", "windows/250", "latest/500", "windows/500", "baseline/50"]);
    expect(scenarios(true).filter((s) => s.costScenario).map((s) => `${s.consumer}/${s.batchSize}`)).toEqual(["latest/250", "windows/250", "baseline/50"]);
  });

  it("deals ticks round-robin over shards, one shard per batch, in order", () => {
    const events = scenarioEvents({ instruments: 3, batchSize: 4, ticks: 10, shards: 2, start: 1000 });
    expect(events.map((e) => e.Records.length)).toEqual([4, 4, 1, 1]);
    const shardsOf = events.map((e) => new Set(e.Records.map((r) => r.eventID.split(":")[0])));
    expect(shardsOf.every((s) => s.size === 1)).toBe(true);
    const seqs = events[0]!.Records.map((r) => BigInt(r.kinesis.sequenceNumber));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
  });
});

describe("pipeline lag", () => {
  it("counts records put after each shard's checkpoint", () => {
    const t = new Tracker();
    t.add([
      { shardId: "a", sequenceNumber: "10" },
      { shardId: "a", sequenceNumber: "20" },
      { shardId: "a", sequenceNumber: "30" },
      { shardId: "b", sequenceNumber: "5" },
    ]);
    expect(t.behind({})).toBe(4);
    expect(t.behind({ a: "20", b: "5" })).toBe(1);
    expect(t.behind({ a: "25", b: undefined })).toBe(2);
    expect(t.behind({ a: "30", b: "5" })).toBe(0);
  });

  it("counts the ticks of packed records", () => {
    const t = new Tracker();
    t.add([
      { shardId: "a", sequenceNumber: "10", ticks: 100 },
      { shardId: "a", sequenceNumber: "20", ticks: 50 },
      { shardId: "b", sequenceNumber: "5" },
    ]);
    expect(t.behind({})).toBe(151);
    expect(t.behind({ a: "10", b: "5" })).toBe(50);
    expect(t.behind({ a: "9" })).toBe(151);
    expect(t.behind({ a: "20", b: "5" })).toBe(0);
  });

  it("takes puts that complete out of order", () => {
    const t = new Tracker();
    t.add([{ shardId: "a", sequenceNumber: "30", ticks: 3 }]);
    t.add([{ shardId: "a", sequenceNumber: "10", ticks: 1 }]);
    t.add([{ shardId: "a", sequenceNumber: "20", ticks: 2 }]);
    expect(t.behind({ a: "10" })).toBe(5);
    expect(t.behind({ a: "25" })).toBe(3);
    t.add([{ shardId: "a", sequenceNumber: "40", ticks: 4 }]);
    expect(t.behind({ a: "25" })).toBe(7);
  });
});
