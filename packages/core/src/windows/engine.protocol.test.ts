import { describe, expect, it } from "vitest";
import type { WindowConfig } from "../config.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine, type WindowEngineOptions } from "./engine.js";
import { CloseBudgetExceededError, WatermarkMovedError } from "./errors.js";
import { MemoryWindowStore } from "./memory-store.js";
import type { ShardPaneItem, WindowStore } from "./store.js";
import { records, tick } from "./testing/scenarios.js";

/**
 * The races and failure orders the protocol exists for, one by one, with a store whose calls
 * can be held at a chosen point (what the random interleavings of engine.race.test.ts find only
 * now and then).
 */

/** A view of the store whose first call matching `match` waits until `release()`. */
function pausable(inner: WindowStore, match: (op: string, args: unknown[]) => boolean) {
  let release!: () => void;
  let arrive!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (arrive = r));
  let held = false;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (!held && match(String(prop), args)) {
          held = true;
          arrive();
          await released;
        }
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  }) as WindowStore;
  return { store, arrived, release };
}

/** A view of the store whose calls matching `match` throw. */
function failing(inner: WindowStore, match: (op: string, args: unknown[]) => boolean): WindowStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (match(String(prop), args)) throw new Error(`injected fault in ${String(prop)}`);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  }) as WindowStore;
}

const tumbling: WindowConfig = { windowSizeMs: 10, windowSlideMs: 10, allowedLatenessMs: 0, idleTimeoutMs: 1_000_000, paneRetentionHours: 1 };
const sliding: WindowConfig = { ...tumbling, windowSizeMs: 20 };

function engine(store: WindowStore, config: WindowConfig, clock: () => number = () => 0, options: Partial<WindowEngineOptions> = {}) {
  return new WindowEngine({ store, sink: new MemoryWindowSink(), config, clock, ...options });
}

/** A sleep that says when a batch first waits for another shard's placement. */
function watchedSleep() {
  let waiting!: () => void;
  const firstWait = new Promise<void>((r) => (waiting = r));
  return { firstWait, sleep: async () => void (waiting(), await new Promise((r) => setImmediate(r))) };
}

const holds = (instrument: string) => (op: string, args: unknown[]) => op === "writeShardPane" && (args[0] as ShardPaneItem).entries.has(instrument);

describe("window protocol", () => {
  it("a batch placing ticks holds another shard's advance until it is done: its tick is on time", async () => {
    const memory = new MemoryWindowStore();
    await engine(memory, tumbling).processBatch("B", records([tick("y", 5, 1)]));
    await engine(memory, tumbling).processBatch("A", records([tick("y", 50, 1)])); // watermark min(5, 50) = 5
    const a = pausable(memory, holds("x"));
    const slow = engine(a.store, tumbling).processBatch("A", records([tick("x", 8, 7)])); // reserved at 5, writing
    await a.arrived;
    // B's own batch goes through, but its closing stops at A's reservation.
    const blocked = await engine(memory, tumbling).processBatch("B", records([tick("y", 20, 1)]));
    expect(blocked).toMatchObject({ failed: [], placedAt: 5, watermark: 5 });
    // B's next batch must be placed against a final watermark: it waits for A.
    const watch = watchedSleep();
    const waiting = engine(memory, tumbling, () => 0, { sleep: watch.sleep }).processBatch("B", records([tick("y", 25, 1)]));
    await watch.firstWait;
    a.release();
    const out = await slow;
    expect(out).toMatchObject({ failed: [], late: 0, placedAt: 5, watermark: 20 });
    expect(await waiting).toMatchObject({ failed: [], placedAt: 20, watermark: 25 });
    expect(memory.snapshot().finals.filter((f) => f.instrument === "x")).toEqual([{ instrument: "x", windowStart: 0, windowEnd: 10, maxCents: 7 }]);
  });

  it("a reservation made after an advance read the reservations makes the batch start again: its tick is late", async () => {
    const memory = new MemoryWindowStore();
    await engine(memory, tumbling).processBatch("B", records([tick("y", 5, 1)]));
    await engine(memory, tumbling).processBatch("A", records([tick("y", 50, 1)]));
    const a = pausable(memory, (op) => op === "reserve");
    const slow = engine(a.store, tumbling).processBatch("A", records([tick("x", 8, 7)])); // read watermark 5
    await a.arrived;
    await engine(memory, tumbling).processBatch("B", records([tick("y", 20, 1)])); // closes [0,10) without x
    a.release();
    const out = await slow;
    expect(out).toMatchObject({ failed: [], late: 1, placedAt: 20 });
    expect(memory.snapshot().panes.filter((p) => p.instrument === "x")).toEqual([]);
    expect(memory.snapshot().finals.filter((f) => f.instrument === "x")).toEqual([]);
    expect(memory.snapshot().shards.every((s) => s.reservation === undefined)).toBe(true);
  });

  it("a batch that races advances more often than it may start again fails whole, saying why", async () => {
    const memory = new MemoryWindowStore();
    await engine(memory, tumbling).processBatch("B", records([tick("y", 5, 1)]));
    await engine(memory, tumbling).processBatch("A", records([tick("y", 50, 1)]));
    const a = pausable(memory, (op) => op === "reserve");
    const slow = engine(a.store, tumbling, () => 0, { maxRestarts: 0 }).processBatch("A", records([tick("x", 8, 7)]));
    await a.arrived;
    await engine(memory, tumbling).processBatch("B", records([tick("y", 20, 1)]));
    a.release();
    const out = await slow;
    expect(out.retryWholeBatch).toBe(true);
    expect(out.failed).toEqual([0]);
    expect(out.error).toBeInstanceOf(WatermarkMovedError);
    expect(out.error).toMatchObject({ name: "WatermarkMovedError", placedAt: 5, target: 20 });
    expect(memory.snapshot().panes.filter((p) => p.instrument === "x")).toEqual([]);
    expect(memory.snapshot().shards.find((s) => s.shardId === "A")?.reservation).toBeUndefined();
  });

  it("an expired reservation is fenced: the late write of its batch is refused and the batch placed again", async () => {
    const memory = new MemoryWindowStore();
    let now = 0;
    const clock = () => now;
    await engine(memory, tumbling, clock).processBatch("B", records([tick("y", 5, 1)]));
    await engine(memory, tumbling, clock).processBatch("A", records([tick("y", 50, 1)]));
    const a = pausable(memory, holds("x"));
    const zombie = engine(a.store, tumbling, clock, { placementLeaseMs: 1000 }).processBatch("A", records([tick("x", 8, 7)]));
    await a.arrived; // its write is on the way, then the lease runs out
    now = 1001;
    await engine(memory, tumbling, clock).processBatch("B", records([tick("y", 20, 1)])); // fences A's panes, closes [0,10)
    expect(memory.snapshot().finals.filter((f) => f.instrument === "x")).toEqual([]);
    a.release();
    const out = await zombie;
    expect(out).toMatchObject({ failed: [], late: 1, placedAt: 20 });
    expect(memory.snapshot().panes.filter((p) => p.instrument === "x")).toEqual([]);
  });

  it("a batch is not placed against a watermark whose closing outlasted the budget", async () => {
    const memory = new MemoryWindowStore();
    const hurried = (): WindowEngine => engine(memory, tumbling, () => 0, { budgetMs: -1 });
    const first = await hurried().processBatch("A", records([tick("y", 50, 1)]));
    expect(first.failed).toEqual([]);
    expect(first.watermark).toBe(Number.MIN_SAFE_INTEGER); // closing left to the next run
    const out = await hurried().processBatch("A", records([tick("y", 51, 1)]));
    expect(out.retryWholeBatch).toBe(true);
    expect(out.error).toBeInstanceOf(CloseBudgetExceededError);
    expect(out.error).toMatchObject({ target: 50, reached: Number.MIN_SAFE_INTEGER });
    // Given the time, the same engine closes and places it.
    const retry = await engine(memory, tumbling).processBatch("A", records([tick("y", 51, 1)]));
    expect(retry.failed).toEqual([]);
    expect(retry.placedAt).toBe(50);
  });

  it("a slow finalizer does not store a window another one already closed (its panes may now hold late ticks)", async () => {
    const memory = new MemoryWindowStore();
    await engine(memory, sliding).processBatch("B", records([tick("y", 1, 1)]));
    await engine(memory, sliding).processBatch("A", records([tick("y", 50, 1)])); // watermark 1
    // x@5 (windows [-10,10), [0,20)): its pane write fails, so Lambda will send it again.
    const x = records([tick("x", 5, 9)]);
    const first = await engine(failing(memory, holds("x")), sliding).processBatch("A", x);
    expect(first.failed).toEqual([0]);
    // B advances to 10 and stops while reading the panes; a timer picks the work up and stops
    // there too.
    const b = pausable(memory, (op) => op === "readBucketPanes");
    const advancing = engine(b.store, sliding).processBatch("B", records([tick("y", 10, 1)]));
    await b.arrived;
    const h = pausable(memory, (op) => op === "readBucketPanes");
    const timer = engine(h.store, sliding).closeDue();
    await h.arrived;
    b.release();
    await advancing; // watermark 10: [-10,10) closed, held no on-time tick
    // The retry of x@5 is placed against 10: late for [-10,10), on time for [0,20).
    const retry = await engine(memory, sliding).processBatch("A", x);
    expect(retry.late).toBe(0);
    h.release();
    await timer;
    expect(memory.snapshot().finals.filter((f) => f.instrument === "x")).toEqual([]);
    await engine(memory, sliding).processBatch("B", records([tick("y", 60, 1)]));
    expect(memory.snapshot().finals.filter((f) => f.instrument === "x")).toEqual([{ instrument: "x", windowStart: 0, windowEnd: 20, maxCents: 9 }]);
  });

  it("a failed batch keeps an active shard active but does not wake an idle one", async () => {
    const config = { ...tumbling, idleTimeoutMs: 100 };
    let now = 0;
    const memory = new MemoryWindowStore();
    await engine(memory, config, () => now).processBatch("A", records([tick("y", 10, 1)]));
    await engine(memory, config, () => now).processBatch("B", records([tick("y", 50, 1)])); // watermark 10 (never goes back)
    now = 200; // both idle: the watermark the next batch stands before is 50
    const broken = failing(memory, (op) => op === "listShards");
    const out = await engine(broken, config, () => now).processBatch("A", records([tick("x", 30, 1)]));
    expect(out.retryWholeBatch).toBe(true);
    const retry = await engine(memory, config, () => now).processBatch("A", records([tick("x", 30, 1)]));
    expect(retry.placedAt).toBe(50);
    expect(retry.late).toBe(1);
  });

  it("the records before a partial failure count for the watermark only once the rest is placed", async () => {
    const memory = new MemoryWindowStore();
    const batch = records([tick("y", 40, 1), tick("x", 12, 1), tick("y", 41, 1)]);
    const out = await engine(failing(memory, holds("x")), tumbling).processBatch("A", batch);
    expect(out.failed).toEqual([1]);
    expect(memory.snapshot().shards).toEqual([{ shardId: "A", lastBatchAt: 0, pendingMax: 40 }]);
    expect((await memory.readGlobal()).watermark).toBe(Number.MIN_SAFE_INTEGER);
    const retry = await engine(memory, tumbling).processBatch("A", batch.slice(1));
    expect(retry.late).toBe(0); // placed against the same (absent) watermark as the first attempt
    expect(retry.applied).toBe(1); // y@41 is already in its pane item
    expect((await memory.readGlobal()).watermark).toBe(41);
    expect(memory.snapshot().panes.map((p) => [p.instrument, p.paneStart, p.count])).toEqual([
      ["x", 10, 1],
      ["y", 40, 2],
    ]);
  });
});
