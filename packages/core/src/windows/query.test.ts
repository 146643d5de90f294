import { describe, expect, it } from "vitest";
import { bucketOf } from "./buckets.js";
import { MemoryWindowStore } from "./memory-store.js";
import type { PaneStats } from "./pane-stats.js";
import { windowQueries } from "./query.js";

const config = { windowSizeMs: 30, windowSlideMs: 10 };
const candle = (t: number, open: number, high: number, low: number, close: number, count: number, closeAt = t + 9): PaneStats => ({ open, openAt: t, high, low, close, closeAt, count });

/** Writes one shard's pane item holding `entries`. */
async function pane(store: MemoryWindowStore, shardId: string, paneStart: number, entries: Record<string, PaneStats>) {
  const byBucket = new Map<number, Map<string, PaneStats>>();
  for (const [instrument, stats] of Object.entries(entries)) {
    const b = bucketOf(instrument);
    byBucket.set(b, (byBucket.get(b) ?? new Map()).set(instrument, stats));
  }
  for (const [bucket, map] of byBucket) {
    const [stored] = await store.readShardPanes(shardId, [{ paneStart, bucket }]);
    const merged = new Map([...(stored?.entries ?? []), ...map]);
    expect(await store.writeShardPane({ paneStart, bucket, shardId, hw: String(paneStart), entries: merged }, stored?.hw, 0)).toEqual({ kind: "written" });
  }
}

async function setup() {
  const store = new MemoryWindowStore();
  await pane(store, "s0", 100, { a: candle(100, 5, 5, 2, 3, 2) });
  await pane(store, "s1", 100, { a: candle(101, 4, 4, 1, 1, 1, 108) }); // open later, close earlier: s0's
  await pane(store, "s0", 110, { a: candle(110, 7, 7, 7, 7, 1) });
  await pane(store, "s1", 140, { a: candle(140, 3, 3, 3, 3, 1), b: candle(140, 50, 50, 50, 50, 1) });
  // Watermark 120: [80,110) and [90,120) are closed, with their stored results.
  await store.putResults({ bucket: bucketOf("a"), windowStart: 80, windowEnd: 110, maxima: new Map([["a", 5]]) });
  await store.putResults({ bucket: bucketOf("a"), windowStart: 90, windowEnd: 120, maxima: new Map([["a", 7]]) });
  await store.raiseTarget(120);
  await store.raiseWatermark(120);
  return { store, q: windowQueries({ store, config }) };
}

describe("window queries", () => {
  it("closed windows as stored (final), open ones from their panes, oldest first", async () => {
    const { q } = await setup();
    expect(await q.queryWindows("a", 0, 1000)).toEqual([
      { windowStart: 80, windowEnd: 110, maxCents: 5, final: true },
      { windowStart: 90, windowEnd: 120, maxCents: 7, final: true },
      { windowStart: 100, windowEnd: 130, maxCents: 7, final: false },
      { windowStart: 110, windowEnd: 140, maxCents: 7, final: false },
      { windowStart: 120, windowEnd: 150, maxCents: 3, final: false },
      { windowStart: 130, windowEnd: 160, maxCents: 3, final: false },
      { windowStart: 140, windowEnd: 170, maxCents: 3, final: false },
    ]);
    expect(await q.readWatermark()).toBe(120);
  });

  it("a closed window without a stored result held no on-time tick: not listed", async () => {
    const { store, q } = await setup();
    await pane(store, "s0", 60, { a: candle(60, 99, 99, 99, 99, 1) }); // a tick late for [40,70) … [60,90): never stored
    expect((await q.queryWindows("a", 40, 80)).map((w) => w.windowStart)).toEqual([]);
  });

  it("series: each pane's candle merged over the shards, starts in [from, to), unaligned bounds included", async () => {
    const { q } = await setup();
    expect((await q.queryWindows("a", 95, 121)).map((w) => w.windowStart)).toEqual([100, 110, 120]);
    expect(await q.queryWindows("a", 121, 121)).toEqual([]);
    expect(await q.querySeries("a", 100, 140)).toEqual([
      { paneStart: 100, open: 5, high: 5, low: 1, close: 3, count: 3 },
      { paneStart: 110, open: 7, high: 7, low: 7, close: 7, count: 1 },
    ]);
    expect(await q.querySeries("c", 0, 1000)).toEqual([]);
    expect(await q.querySeries("b", 0, 1000)).toEqual([{ paneStart: 140, open: 50, high: 50, low: 50, close: 50, count: 1 }]);
  });

  it("series with a step: the panes of each step merged, steps aligned to multiples of the step", async () => {
    const { q } = await setup();
    expect(await q.querySeries("a", 0, 1000, 40)).toEqual([
      { paneStart: 80, open: 5, high: 7, low: 1, close: 7, count: 4 },
      { paneStart: 120, open: 3, high: 3, low: 3, close: 3, count: 1 },
    ]);
    expect(await q.querySeries("a", 0, 1000, 10)).toEqual(await q.querySeries("a", 0, 1000));
    expect(q.slideMs).toBe(10);
  });

  it("no watermark yet: null", async () => {
    expect(await windowQueries({ store: new MemoryWindowStore(), config }).readWatermark()).toBeNull();
  });
});
