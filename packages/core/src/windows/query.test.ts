import { describe, expect, it } from "vitest";
import { MemoryWindowStore } from "./memory-store.js";
import { windowQueries } from "./query.js";

const config = { windowSizeMs: 30, windowSlideMs: 10 };

async function setup() {
  const store = new MemoryWindowStore();
  await store.mergePane("a", 100, 5, 0);
  await store.mergePane("a", 110, 7, 0);
  await store.mergePane("a", 140, 3, 0);
  // Watermark 120: [80,110) and [90,120) are closed, with their stored results.
  await store.putFinal({ instrument: "a", windowStart: 80, windowEnd: 110, maxCents: 5 });
  await store.putFinal({ instrument: "a", windowStart: 90, windowEnd: 120, maxCents: 7 });
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
    await store.mergePane("a", 60, 99, 120); // a tick late for [40,70) … [60,90): never stored
    expect((await q.queryWindows("a", 40, 80)).map((w) => w.windowStart)).toEqual([]);
  });

  it("selects starts in [from, to), unaligned bounds included", async () => {
    const { q } = await setup();
    expect((await q.queryWindows("a", 95, 121)).map((w) => w.windowStart)).toEqual([100, 110, 120]);
    expect(await q.queryWindows("a", 121, 121)).toEqual([]);
    expect(await q.querySeries("a", 100, 140)).toEqual([
      { paneStart: 100, maxCents: 5 },
      { paneStart: 110, maxCents: 7 },
    ]);
    expect(await q.querySeries("b", 0, 1000)).toEqual([]);
  });

  it("no watermark yet: null", async () => {
    expect(await windowQueries({ store: new MemoryWindowStore(), config }).readWatermark()).toBeNull();
  });
});
