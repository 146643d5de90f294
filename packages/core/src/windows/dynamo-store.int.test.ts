import { PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "../aws.js";
import { localDynamo, startLocalAws, type LocalAws } from "@tickstream/testkit/local-aws";
import { DynamoWindowStore } from "./dynamo-store.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine } from "./engine.js";
import { MemoryWindowStore } from "./memory-store.js";
import { settleOpenClaims } from "./settle.js";
import { STATE_KINDS } from "./state-keys.js";
import type { WindowStore } from "./store.js";
import { configArb, materialize, rawOpsArb } from "./testing/scenarios.js";

/**
 * The DynamoDB store against dynalite: the same conditional semantics as the in-memory store
 * the property tests use, operation by operation and on whole scenarios.
 */

let aws: LocalAws;
let tableSet = 0;

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.close());

/** The state table of the last store freshStore made. */
let lastStateTable = "";

/** A fresh set of tables per store, so scenarios do not see each other. */
async function freshStore(clock: () => number): Promise<DynamoWindowStore> {
  const { ensureTables } = await import("@tickstream/testkit/provision");
  const n = ++tableSet;
  const tables = { latest: `${aws.tables.latest}-${n}`, panes: `${aws.tables.panes}-${n}`, windows: `${aws.tables.windows}-${n}`, state: `${aws.tables.state}-${n}` };
  await ensureTables(localDynamo(aws.dynamo.endpoint), tables);
  lastStateTable = tables.state;
  return new DynamoWindowStore({ doc: documentClient(localDynamo(aws.dynamo.endpoint)), tables, retentionHours: 1, clock });
}

describe("DynamoWindowStore", () => {
  it("pane items: replaced only at the expected high-water mark and below the fence; a fence alone holds no tick", async () => {
    const store = await freshStore(() => 0);
    const stats = (price: number, count: number) => ({ open: price, openAt: 101, high: price, low: price, close: price, closeAt: 105, count });
    const item = (hw: string, price: number, count: number) => ({ paneStart: 100, bucket: 3, shardId: "s1", hw, entries: new Map([["a", stats(price, count)], ["b#1", stats(7, 1)]]) });
    expect(await store.writeShardPane(item("10", 50, 1), undefined, 0)).toEqual({ kind: "written" });
    expect(await store.writeShardPane(item("20", 60, 2), undefined, 0)).toEqual({ kind: "conflict" });
    expect(await store.writeShardPane(item("20", 60, 2), "10", 0)).toEqual({ kind: "written" });
    await store.fenceShardPanes("s1", [{ paneStart: 100, bucket: 3 }, { paneStart: 110, bucket: 3 }], 500);
    await store.fenceShardPanes("s1", [{ paneStart: 100, bucket: 3 }], 300); // fences only rise
    expect(await store.writeShardPane(item("30", 70, 3), "20", 499)).toEqual({ kind: "fenced", fence: 500 });
    expect(await store.writeShardPane(item("30", 70, 3), "20", 500)).toEqual({ kind: "written" });
    const [stored] = await store.readShardPanes("s1", [{ paneStart: 100, bucket: 3 }, { paneStart: 120, bucket: 3 }]);
    expect(stored).toEqual({ ...item("30", 70, 3), fence: 500 });
    expect(await store.writeShardPane({ paneStart: 100, bucket: 3, shardId: "s2", hw: "5", entries: new Map([["a", stats(1, 1)]]) }, undefined, 0)).toEqual({ kind: "written" });
    const panes = await store.readBucketPanes(3, 0, 1000);
    expect(panes.map((p) => [p.paneStart, p.shardId, p.entries.size])).toEqual([
      [100, "s1", 2],
      [100, "s2", 1],
      [110, "s1", 0],
    ]);
    expect(await store.readBucketPanes(3, 101, 109)).toEqual([]);
    expect(await store.firstPaneAtOrAfter(3, 101)).toBe(110);
    expect(await store.firstPaneAtOrAfter(4, 0)).toBeUndefined();
  });

  it("watermark, target and emittedThrough only rise; shards keep the higher values and their reservation", async () => {
    const store = await freshStore(() => 0);
    expect(await store.readGlobal()).toEqual({ watermark: Number.MIN_SAFE_INTEGER, target: Number.MIN_SAFE_INTEGER });
    await store.raiseTarget(50);
    await store.raiseTarget(40);
    await store.raiseWatermark(30);
    await store.raiseEmittedThrough(20);
    await store.raiseEmittedThrough(10);
    expect(await store.readGlobal()).toEqual({ watermark: 30, target: 50, emittedThrough: 20 });
    await store.recordShard("s1", { lastBatchAt: 10, maxEventTime: 100 });
    const reservation = { placedAt: 30, until: 1000, fromPane: 20, toPane: 40 };
    await store.reserve("s1", reservation);
    await store.recordShard("s1", { lastBatchAt: 20, maxEventTime: 90, pendingMax: 5 });
    await store.touchShard("s1", 25, 15);
    await store.touchShard("s1", 99, 30); // idle since 25 < 30: not woken
    expect(await store.listShards()).toEqual([{ shardId: "s1", lastBatchAt: 25, maxEventTime: 100, pendingMax: 5, reservation }]);
    await store.clearReservation("s1", { ...reservation, until: 999 }); // another one: kept
    expect((await store.listShards())[0]!.reservation).toEqual(reservation);
    await store.recordShard("s1", { maxEventTime: 50, clearReservation: true });
    expect(await store.listShards()).toEqual([{ shardId: "s1", lastBatchAt: 25, maxEventTime: 100, pendingMax: 5 }]);
    await store.clearReservation("s2"); // never creates a shard
    expect((await store.listShards()).map((s) => s.shardId)).toEqual(["s1"]);
  });

  it("result items: the first one stored wins; read by bucket and window start", async () => {
    const store = await freshStore(() => 0);
    const first = { bucket: 1, windowStart: 0, windowEnd: 60, maxima: new Map([["a", 5], ["b", 6]]) };
    await store.putResults(first);
    await store.putResults({ ...first, maxima: new Map([["a", 9]]) });
    await store.putResults({ bucket: 1, windowStart: 10, windowEnd: 70, maxima: new Map([["a", 1]]) });
    expect(await store.readBucketResults(1, 0, 0)).toEqual([first]);
    expect((await store.readBucketResults(1, -10, 100, 1)).map((r) => r.windowStart)).toEqual([0]);
    expect(await store.readBucketResults(2, 0, 100)).toEqual([]);
  });

  it("emit claims: one owner at a time, leases expire, what is left after a partial put, emitted is final", async () => {
    const store = await freshStore(() => 0);
    const w = { windowEnd: 60, bucket: 4, windowStart: 0 };
    expect(await store.claimEmission(w, "one", 1000, 100)).toEqual({ kind: "claimed" });
    expect(await store.claimEmission(w, "two", 1050, 100)).toEqual({ kind: "busy" });
    expect(await store.claimEmission(w, "two", 1101, 100)).toEqual({ kind: "claimed" }); // lease expired
    expect(await store.markEmitted(w, "one", 1102)).toBe(false);
    await store.releaseClaim(w, "two", ["b", "c"]);
    expect(await store.claimEmission(w, "one", 1103, 100)).toEqual({ kind: "claimed", left: ["b", "c"] }); // released at once
    expect(await store.markEmitted(w, "one", 1104)).toBe(true);
    expect(await store.claimEmission(w, "two", 99_999, 100)).toEqual({ kind: "emitted" });
  });

  it("settling a dead run's claims: all records out -> emitted, none -> given back, some -> given back naming the rest", async () => {
    const store = await freshStore(() => 0);
    const item = (bucket: number) => ({ bucket, windowStart: 0, windowEnd: 60, maxima: new Map([[`a${bucket}`, 1], [`b${bucket}`, 2], [`c${bucket}`, 3]]) });
    for (const b of [1, 2, 3, 4]) {
      await store.putResults(item(b));
      expect(await store.claimEmission({ windowEnd: 60, bucket: b, windowStart: 0 }, "dead", 1000, 60_000)).toEqual({ kind: "claimed" });
    }
    await store.markEmitted({ windowEnd: 60, bucket: 4, windowStart: 0 }, "dead", 1001);
    // On the stream: all of bucket 1's records, none of bucket 2's, one of bucket 3's.
    const onStream = new Set(["a1@60", "b1@60", "c1@60", "b3@60"]);
    // An open claim of an older layout (no windowStart): counted, not settled.
    await documentClient(localDynamo(aws.dynamo.endpoint)).send(
      new PutCommand({ TableName: lastStateTable, Item: { pk: STATE_KINDS.emit, sk: "older-layout", leaseUntil: 1 } }),
    );
    const { claims, otherLayout } = await store.listOpenClaims();
    expect(claims.map((c) => c.bucket).sort()).toEqual([1, 2, 3]);
    expect(otherLayout).toBe(1);
    const outcome = await settleOpenClaims(store, claims, (instrument, end) => onStream.has(`${instrument}@${end}`), 2000);
    expect(outcome).toEqual({ marked: 1, released: 2 });
    expect(await store.claimEmission({ windowEnd: 60, bucket: 1, windowStart: 0 }, "next", 3000, 60_000)).toEqual({ kind: "emitted" });
    expect(await store.claimEmission({ windowEnd: 60, bucket: 2, windowStart: 0 }, "next", 3000, 60_000)).toEqual({ kind: "claimed" });
    expect(await store.claimEmission({ windowEnd: 60, bucket: 3, windowStart: 0 }, "next", 3000, 60_000)).toEqual({ kind: "claimed", left: ["a3", "c3"] });
    expect(await store.claimEmission({ windowEnd: 60, bucket: 4, windowStart: 0 }, "next", 3000, 60_000)).toEqual({ kind: "emitted" });
  });

  it("whole scenarios give the same state and records as the in-memory store", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.integer({ min: 1, max: 3 }), rawOpsArb(60), fc.integer({ min: 1, max: 1000 }), fc.constantFrom(1, 2, 32), async (config, shards, raw, perRound, buckets) => {
        const ops = materialize(raw, shards, 2);
        let now = 10_000_000;
        const clock = () => now;
        const run = async (store: WindowStore) => {
          const sink = new MemoryWindowSink();
          // Few buckets: instruments share items. Small rounds page through the results as well.
          const engine = new WindowEngine({ store, sink, config, clock, buckets, windowsPerRound: perRound, recordsPerRound: perRound });
          const late: number[] = [];
          for (const op of ops) {
            if (op.kind === "batch") late.push((await engine.processBatch(op.shard, op.ticks)).late);
            else if (op.kind === "replay") {
              const b = ops.filter((o) => o.kind === "batch")[op.index % Math.max(1, ops.filter((o) => o.kind === "batch").length)];
              if (b?.kind === "batch") late.push((await engine.processBatch(b.shard, b.ticks)).late);
            }
            else if (op.kind === "clock") now += op.ms;
            else if (op.kind === "timer") await engine.closeDue();
          }
          now += config.idleTimeoutMs + 1;
          await engine.closeDue();
          return { records: sink.records, late };
        };
        const memory = new MemoryWindowStore();
        const start = now;
        const a = await run(memory);
        now = start;
        const dynamo = await freshStore(clock);
        const b = await run(dynamo);
        expect(b).toEqual(a);
        const global = await dynamo.readGlobal();
        const expected = await memory.readGlobal();
        expect({ watermark: global.watermark, target: global.target, emittedThrough: global.emittedThrough }).toEqual({
          watermark: expected.watermark,
          target: expected.target,
          emittedThrough: expected.emittedThrough,
        });
        for (let b = 0; b < buckets; b++) {
          expect(await dynamo.readBucketPanes(b, 0, 1e12)).toEqual(await memory.readBucketPanes(b, 0, 1e12));
          expect(await dynamo.readBucketResults(b, -1e6, 1e12)).toEqual(await memory.readBucketResults(b, -1e6, 1e12));
        }
        expect(await dynamo.listShards()).toEqual(await memory.listShards());
      }),
      { numRuns: 15 },
    );
  });
});
