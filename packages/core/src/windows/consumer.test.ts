import { describe, expect, it } from "vitest";
import { toKinesisRecord } from "../kinesis/records.js";
import { processWindowsEvent } from "./consumer.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine } from "./engine.js";
import { MemoryWindowStore } from "./memory-store.js";
import type { ShardPaneItem, WindowStore } from "./store.js";

const config = { windowSizeMs: 60_000, windowSlideMs: 10_000, allowedLatenessMs: 10_000, idleTimeoutMs: 30_000, paneRetentionHours: 1 };
const SHARD = "shardId-000000000001";
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

let seq = 1000;
function record(text: string) {
  seq += 3;
  return toKinesisRecord(text, { shardId: SHARD, sequenceNumber: `49590338271490256608559692538361571095921575989136${seq}`, arrivalTime: T0 });
}
const pipe = (instrument: number, t: number, cents: number) => record(`session=1|sequence=${t}|reception=${t}|instrument=${instrument}|l=1|price_0=${cents}|`);

/** Writes of pane items holding one of the `failing` instruments throw. */
function failingWrites(inner: MemoryWindowStore, failing: Set<string>): WindowStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop === "writeShardPane") {
        return async (item: ShardPaneItem, ...rest: [string | undefined, number]) => {
          for (const i of item.entries.keys()) if (failing.has(i)) throw new Error(`injected fault for ${i}`);
          return target.writeShardPane(item, ...rest);
        };
      }
      return value.bind(target);
    },
  }) as WindowStore;
}

describe("windows consumer batch", () => {
  it("places ticks, counts bad records, emits nothing before the watermark passes", async () => {
    const memory = new MemoryWindowStore();
    const engine = new WindowEngine({ store: memory, sink: new MemoryWindowSink(), config, clock: () => T0 });
    const out = await processWindowsEvent({ Records: [pipe(3, T0, 12345), record("garbage"), pipe(3, T0 + 5, 12000)] }, engine);
    expect(out.response).toEqual({ batchItemFailures: [] });
    expect(out).toMatchObject({ records: 3, ticks: 2, badRecords: 1, late: 0, windowsEmitted: 0, watermark: T0 + 5 - 10_000 });
    expect(memory.snapshot().panes).toEqual([{ instrument: "3", paneStart: T0, open: 12345, openAt: T0, high: 12345, low: 12000, close: 12000, closeAt: T0 + 5, count: 2 }]);
  });

  it("reports exactly the records of the pane groups that failed; the retry from the lowest completes", async () => {
    const memory = new MemoryWindowStore();
    const failing = new Set(["7"]);
    const sink = new MemoryWindowSink();
    const engine = new WindowEngine({ store: failingWrites(memory, failing), sink, config, clock: () => T0 });
    const batch = [pipe(3, T0, 100), pipe(7, T0 + 1, 200), pipe(3, T0 + 2, 300), pipe(7, T0 + 3, 150), pipe(9, T0 + 4, 50)];
    const out = await processWindowsEvent({ Records: batch }, engine);
    expect(out.response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([batch[1]!.kinesis.sequenceNumber, batch[3]!.kinesis.sequenceNumber]);
    // The shard's progress waits: the records before the first failure are done, their max pending.
    // (A shard seen for the first time is not active yet: it has no event time to offer.)
    expect(memory.snapshot().shards).toEqual([{ shardId: SHARD, lastBatchAt: 0, pendingMax: T0 }]);
    failing.clear();
    const retry = await processWindowsEvent({ Records: batch.slice(1) }, engine);
    expect(retry.response).toEqual({ batchItemFailures: [] });
    // Counted once each: the retry's records of instrument 3 were already in its pane item.
    expect(memory.snapshot().panes.map((p) => [p.instrument, p.high, p.count])).toEqual([
      ["3", 300, 2],
      ["7", 200, 2],
      ["9", 50, 1],
    ]);
    expect(retry.windowsEmitted).toBe(0);
    expect(memory.snapshot().shards[0]!.maxEventTime).toBe(T0 + 4);
  });

  it("a batch sent again whole, or split differently, counts each record once", async () => {
    const memory = new MemoryWindowStore();
    const engine = new WindowEngine({ store: memory, sink: new MemoryWindowSink(), config, clock: () => T0 });
    const batch = [pipe(3, T0, 100), pipe(3, T0 + 1, 200), pipe(4, T0 + 2, 300), pipe(3, T0 + 3, 150)];
    await processWindowsEvent({ Records: batch }, engine);
    const once = memory.snapshot().panes;
    await processWindowsEvent({ Records: batch }, engine);
    await processWindowsEvent({ Records: batch.slice(2) }, engine);
    expect(memory.snapshot().panes).toEqual(once);
    expect(once.map((p) => [p.instrument, p.count, p.open, p.close])).toEqual([
      ["3", 3, 100, 150],
      ["4", 1, 300, 300],
    ]);
  });

  it("reports every record, bad ones included, when the batch cannot be placed", async () => {
    const memory = new MemoryWindowStore();
    const broken = new Proxy(memory, {
      get(target, prop, receiver) {
        if (prop === "listShards") return async () => Promise.reject(new Error("throttled"));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as WindowStore;
    const engine = new WindowEngine({ store: broken, sink: new MemoryWindowSink(), config, clock: () => T0 });
    const batch = [record("garbage"), pipe(3, T0, 100)];
    const out = await processWindowsEvent({ Records: batch }, engine);
    expect(out.response.batchItemFailures).toHaveLength(2);
    expect(out.errors).toHaveLength(1);
  });
});
