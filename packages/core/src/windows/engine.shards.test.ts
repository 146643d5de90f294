import { describe, expect, it } from "vitest";
import type { WindowConfig } from "../config.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine } from "./engine.js";
import { MemoryWindowStore } from "./memory-store.js";
import { MemoryShardLister } from "./shard-lister.js";
import type { WindowStore } from "./store.js";
import { records, tick } from "./testing/scenarios.js";
import { parseWindowRecord } from "./result.js";

/**
 * Which shards hold the watermark, and when: shards the stream lists before they report, the
 * idle clock across a period in which the consumer did not run, and a rebuild after the tables
 * were emptied.
 */
const config: WindowConfig = {
  windowSizeMs: 10,
  windowSlideMs: 10,
  allowedLatenessMs: 0,
  idleTimeoutMs: 100,
  paneRetentionHours: 1,
  downtimeThresholdMs: 300,
};

function setup(shards: string[] | null, store: WindowStore = new MemoryWindowStore()) {
  let now = 1_000_000;
  const sink = new MemoryWindowSink();
  const make = () =>
    new WindowEngine({ store, sink, config, clock: () => now, ...(shards ? { shardLister: new MemoryShardLister(shards) } : {}) });
  return {
    engine: make(),
    make,
    sink,
    store,
    advance: (ms: number) => (now += ms),
  };
}

const emitted = (sink: MemoryWindowSink) =>
  sink.records.map((r) => parseWindowRecord(r.data)).map((r) => `${r.instrument}@${r.windowStart}=${r.max}`).sort();

describe("shards holding the watermark", () => {
  it("a listed shard that has not reported holds the watermark until it has been known for the idle timeout", async () => {
    const { engine, advance } = setup(["shard-0", "shard-1"]);
    // Cold start: shard 1 reports first; shard 0 (with the instrument's highest tick) later.
    const first = await engine.processBatch("shard-1", records([tick("x", 5, 100), tick("x", 30, 1)]));
    expect(first.watermark).toBe(Number.MIN_SAFE_INTEGER);
    advance(50);
    const second = await engine.processBatch("shard-0", records([tick("x", 7, 990)]));
    expect(second.late).toBe(0);
    expect(second.watermark).toBe(7); // min(30, 7)
  });

  it("without listing, the first shard to report would decide alone (the cold-start defect)", async () => {
    const { engine } = setup(null);
    await engine.processBatch("shard-1", records([tick("x", 5, 100), tick("x", 30, 1)]));
    const late = await engine.processBatch("shard-0", records([tick("x", 7, 990)]));
    expect(late.late).toBe(1);
  });

  it("a listed shard that never reports is idle once known for longer than the idle timeout", async () => {
    const { engine, advance, sink } = setup(["shard-0", "shard-1"]);
    await engine.processBatch("shard-1", records([tick("x", 5, 100), tick("x", 30, 1)]));
    advance(100);
    expect((await engine.closeDue()).watermark).toBe(Number.MIN_SAFE_INTEGER); // exactly the timeout
    advance(1);
    // shard 1 is idle too by now (no batch for 101 ms): all idle, largest max.
    expect((await engine.closeDue()).watermark).toBe(30);
    expect(emitted(sink)).toEqual(["x@0=1"]);
  });

  it("the idle clock of a listed shard survives a new container", async () => {
    const { engine, make, advance } = setup(["shard-0", "shard-1"]);
    await engine.closeDue(); // shard 0 and 1 first seen now
    advance(80);
    await make().processBatch("shard-1", records([tick("x", 30, 1)]));
    advance(21); // 101 ms after shard 0 was first seen
    expect((await make().closeDue()).watermark).toBe(30);
  });

  it("after the consumer did not run, a shard with a backlog is not taken for an idle one", async () => {
    const { engine, advance } = setup(["shard-0", "shard-1"]);
    await engine.processBatch("shard-0", records([tick("x", 10, 1)]));
    await engine.processBatch("shard-1", records([tick("x", 12, 1)]));
    advance(10_000); // consumer down (no batch, no timer)
    const resumed = await engine.processBatch("shard-0", records([tick("x", 60, 1)]));
    expect(resumed.watermark).toBe(12); // shard 1 counts as active again: min(60, 12)
    const backlog = await engine.processBatch("shard-1", records([tick("x", 15, 5)]));
    expect(backlog.late).toBe(0);
    advance(101);
    expect((await engine.closeDue()).watermark).toBe(60);
  });

  it("timer runs within the downtime threshold keep the idle clock running", async () => {
    const { engine, advance } = setup(["shard-0", "shard-1"]);
    await engine.processBatch("shard-0", records([tick("x", 10, 1)]));
    await engine.processBatch("shard-1", records([tick("x", 12, 1)]));
    for (let i = 0; i < 40; i++) {
      advance(250);
      await engine.closeDue();
    }
    const out = await engine.processBatch("shard-0", records([tick("x", 60, 1)]));
    expect(out.watermark).toBe(60); // shard 1 idle: it was caught up while the consumer ran
  });

  it("a lost activity record only keeps shards active longer", async () => {
    const memory = new MemoryWindowStore();
    const broken = new Proxy(memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === "recordActivity") return async () => undefined; // the write never lands
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as WindowStore;
    const { engine, advance } = setup(["shard-0", "shard-1"], broken);
    await engine.processBatch("shard-0", records([tick("x", 10, 1)]));
    await engine.processBatch("shard-1", records([tick("x", 12, 1)]));
    advance(50);
    const out = await engine.processBatch("shard-0", records([tick("x", 60, 1)]));
    expect(out.watermark).toBe(12); // every activity looks like a resume: held by shard 1
  });
});

describe("a rebuild: the tables emptied, the archive replayed", () => {
  it("the replayed ticks are placed again and their windows closed, by an engine that ran before", async () => {
    const memory = new MemoryWindowStore();
    const { engine, advance, sink } = setup(["shard-0"], memory);
    const batch = [tick("x", 5, 300), tick("x", 14, 200)];
    await engine.processBatch("shard-0", records(batch));
    memory.clear(); // the rebuild procedure: tables emptied, the archive put to the stream again
    advance(1000);
    await engine.processBatch("shard-0", records(batch));
    await engine.processBatch("shard-0", records([tick("x", 40, 1)]));
    expect(memory.snapshot().finals.map((f) => `${f.instrument}@${f.windowStart}=${f.maxCents}`)).toEqual(["x@0=300", "x@10=200"]);
    // x@0 was emitted before the tables were emptied and again by the replay (same bytes).
    expect(emitted(sink)).toEqual(["x@0=3", "x@0=3", "x@10=2"]);
  });
});
