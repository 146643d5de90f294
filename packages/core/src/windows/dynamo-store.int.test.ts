import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "../aws.js";
import { localDynamo, startLocalAws, type LocalAws } from "@tickstream/testkit/local-aws";
import { DynamoWindowStore } from "./dynamo-store.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine } from "./engine.js";
import { MemoryWindowStore } from "./memory-store.js";
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

/** A fresh set of tables per store, so scenarios do not see each other. */
async function freshStore(clock: () => number): Promise<DynamoWindowStore> {
  const { ensureTables } = await import("@tickstream/testkit/provision");
  const n = ++tableSet;
  const tables = { latest: `${aws.tables.latest}-${n}`, panes: `${aws.tables.panes}-${n}`, windows: `${aws.tables.windows}-${n}`, state: `${aws.tables.state}-${n}` };
  await ensureTables(localDynamo(aws.dynamo.endpoint), tables);
  return new DynamoWindowStore({ doc: documentClient(localDynamo(aws.dynamo.endpoint)), tables, retentionHours: 1, clock });
}

describe("DynamoWindowStore", () => {
  it("max-merge: raised, kept, and fenced when placed below the pane's fence", async () => {
    const store = await freshStore(() => 0);
    expect(await store.mergePane("a", 100, 50, 0)).toBe("raised");
    expect(await store.mergePane("a", 100, 50, 0)).toBe("kept");
    expect(await store.mergePane("a", 100, 40, 0)).toBe("kept");
    expect(await store.mergePane("a", 100, 60, 0)).toBe("raised");
    await store.fencePane("a", 100, 500);
    await store.fencePane("a", 100, 300); // fences only rise
    expect(await store.mergePane("a", 100, 70, 499)).toBe("fenced");
    expect(await store.mergePane("a", 100, 10, 499)).toBe("fenced");
    expect(await store.mergePane("a", 100, 70, 500)).toBe("raised");
    await store.fencePane("a", 110, 500); // a fence alone is not a pane holding a tick
    expect(await store.readPanes("a", 0, 1000)).toEqual([{ paneStart: 100, maxCents: 70 }]);
  });

  it("watermark and target only rise; shards keep the higher values", async () => {
    const store = await freshStore(() => 0);
    expect(await store.readGlobal()).toEqual({ watermark: Number.MIN_SAFE_INTEGER, target: Number.MIN_SAFE_INTEGER });
    await store.raiseTarget(50);
    await store.raiseTarget(40);
    await store.raiseWatermark(30);
    expect(await store.readGlobal()).toEqual({ watermark: 30, target: 50 });
    await store.recordShard("s1", { lastBatchAt: 10, maxEventTime: 100 });
    await store.recordShard("s1", { lastBatchAt: 20, maxEventTime: 90, pendingMax: 5 });
    await store.touchShard("s1", 25, 15);
    await store.touchShard("s1", 99, 30); // idle since 25 < 30: not woken
    expect(await store.listShards()).toEqual([{ shardId: "s1", lastBatchAt: 25, maxEventTime: 100, pendingMax: 5 }]);
  });

  it("index of windows to close: listed by end, oldest first", async () => {
    const store = await freshStore(() => 0);
    await store.putOpenWindow({ instrument: "b", windowStart: 40, windowEnd: 100 });
    await store.putOpenWindow({ instrument: "a#1", windowStart: 50, windowEnd: 110 });
    await store.putOpenWindow({ instrument: "a", windowStart: 40, windowEnd: 100 });
    await store.putOpenWindow({ instrument: "a", windowStart: 40, windowEnd: 100 });
    expect(await store.listOpenWindows({ atMost: 99 })).toEqual([]);
    expect(await store.listOpenWindows({ atMost: 100 })).toEqual([
      { instrument: "a", windowStart: 40, windowEnd: 100 },
      { instrument: "b", windowStart: 40, windowEnd: 100 },
    ]);
    expect((await store.listOpenWindows({ atMost: 10_000 })).map((w) => w.instrument)).toEqual(["a", "b", "a#1"]);
    expect((await store.listOpenWindows({ after: 100, atMost: 10_000 })).map((w) => w.instrument)).toEqual(["a#1"]);
    expect((await store.listOpenWindows({ atMost: 10_000, limit: 2 })).map((w) => w.instrument)).toEqual(["a", "b"]);
    await store.deleteOpenWindow({ instrument: "a", windowStart: 40, windowEnd: 100 });
    expect((await store.listOpenWindows({ atMost: 10_000 })).map((w) => w.instrument)).toEqual(["b", "a#1"]);
  });

  it("final results: the first one stored wins", async () => {
    const store = await freshStore(() => 0);
    const first = { instrument: "a", windowStart: 0, windowEnd: 60, maxCents: 5 };
    expect(await store.putFinal(first)).toEqual(first);
    expect(await store.putFinal({ ...first, maxCents: 9 })).toEqual(first);
    expect(await store.readFinals("a", 0, 0)).toEqual([first]);
  });

  it("emit claims: one owner at a time, leases expire, emitted is final", async () => {
    const store = await freshStore(() => 0);
    const w = { instrument: "a", windowStart: 0, windowEnd: 60 };
    expect(await store.claimEmission(w, "one", 1000, 100)).toBe("claimed");
    expect(await store.claimEmission(w, "two", 1050, 100)).toBe("busy");
    expect(await store.claimEmission(w, "two", 1101, 100)).toBe("claimed"); // lease expired
    expect(await store.markEmitted(w, "one", 1102)).toBe(false);
    await store.releaseClaim(w, "two");
    expect(await store.claimEmission(w, "one", 1103, 100)).toBe("claimed"); // released at once
    expect(await store.markEmitted(w, "one", 1104)).toBe(true);
    expect(await store.claimEmission(w, "two", 99_999, 100)).toBe("emitted");
  });

  it("whole scenarios give the same state and records as the in-memory store", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.integer({ min: 1, max: 3 }), rawOpsArb(60), fc.integer({ min: 1, max: 1000 }), async (config, shards, raw, perRound) => {
        const ops = materialize(raw, shards, 2);
        let now = 10_000_000;
        const clock = () => now;
        const run = async (store: WindowStore) => {
          const sink = new MemoryWindowSink();
          // Small rounds page through the index (Query Limit) as well.
          const engine = new WindowEngine({ store, sink, config, clock, windowsPerRound: perRound, recordsPerRound: perRound });
          const late: number[] = [];
          for (const op of ops) {
            if (op.kind === "batch") late.push((await engine.processBatch(op.shard, op.ticks)).late);
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
        const snap = memory.snapshot();
        const global = await dynamo.readGlobal();
        expect({ watermark: global.watermark, target: global.target }).toEqual(snap.global);
        for (const i of ["a", "b"]) {
          expect(await dynamo.readPanes(i, 0, 1e12)).toEqual(snap.panes.filter((p) => p.instrument === i).map(({ paneStart, maxCents }) => ({ paneStart, maxCents })));
          expect(await dynamo.readFinals(i, -1e6, 1e12)).toEqual(snap.finals.filter((f) => f.instrument === i));
        }
        expect(await dynamo.listOpenWindows({ atMost: 1e12 })).toEqual(await memory.listOpenWindows({ atMost: 1e12 }));
        expect(await dynamo.listShards()).toEqual(await memory.listShards());
      }),
      { numRuns: 15 },
    );
  });
});
