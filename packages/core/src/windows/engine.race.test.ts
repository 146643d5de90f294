import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WindowConfig } from "../config.js";
import type { Tick } from "../tick.js";
import { MemoryWindowSink } from "./emitter.js";
import { WindowEngine } from "./engine.js";
import { MemoryWindowStore } from "./memory-store.js";
import { parseWindowRecord, windowRecordJson } from "./result.js";
import type { ShardPaneItem, WindowStore } from "./store.js";
import { configArb, INSTRUMENTS, records, tick } from "./testing/scenarios.js";

/**
 * Racing invocations: batches of different shards and timers run concurrently, every store
 * operation's turn chosen by fast-check's scheduler. Each operation is atomic, like a single
 * DynamoDB request; everything in between interleaves.
 */

/** Lets the test runner talk to its worker between runs (everything else here is microtasks). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const RUNS = Number(process.env.WINDOW_PROPERTY_RUNS ?? 200);

interface MergeSeen {
  instrument: string;
  paneStart: number;
  maxCents: number;
  placedAt: number;
}

/**
 * The store with every call's turn left to the scheduler; records the pane writes that went
 * through. An item's entries are everything its shard placed into it so far, all placed at or
 * below this write's watermark (a shard's batches place against a rising watermark).
 */
function scheduledStore(inner: MemoryWindowStore, s: fc.Scheduler, merges: MergeSeen[]): WindowStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await s.schedule(Promise.resolve(), String(prop));
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (prop === "writeShardPane" && (result as { kind: string }).kind === "written") {
          const [item, , placedAt] = args as [ShardPaneItem, string | undefined, number];
          for (const [instrument, stats] of item.entries) merges.push({ instrument, paneStart: item.paneStart, maxCents: stats.high, placedAt });
        }
        return result;
      };
    },
  }) as WindowStore;
}

interface Plan {
  config: WindowConfig;
  ticks: Tick[];
  /** Per shard, its batches in order (indexes into ticks). */
  shards: Tick[][][];
  timers: number;
  rounds: { windowsPerRound?: number; recordsPerRound?: number };
  /** Instrument buckets (one: both instruments share every pane item). */
  buckets?: number;
}

function planArb(inOrder: boolean): fc.Arbitrary<Plan> {
  return fc
    .record({
      config: configArb,
      shardCount: fc.integer({ min: 2, max: 3 }),
      raw: fc.array(
        fc.record({
          inst: fc.integer({ min: 0, max: 1 }),
          step: fc.integer({ min: 0, max: 9 }),
          back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
          price: fc.integer({ min: 1, max: 500 }),
        }),
        { minLength: 20, maxLength: 80 },
      ),
      cuts: fc.array(fc.record({ size: fc.integer({ min: 1, max: 4 }), shard: fc.nat() }), { minLength: 1, maxLength: 20 }),
      timers: fc.integer({ min: 0, max: 3 }),
      buckets: fc.constantFrom<number | undefined>(1, undefined),
      rounds: fc.oneof(fc.constant({}), fc.record({ windowsPerRound: fc.integer({ min: 1, max: 4 }), recordsPerRound: fc.integer({ min: 1, max: 4 }) })),
    })
    .map(({ config, shardCount, raw, cuts, timers, rounds, buckets }) => {
      // In order: one rising cursor, each tick at most the lateness behind the largest so far,
      // whatever shard it lands on. Otherwise: a cursor per shard and ticks up to 60 ms behind
      // it, so that a shard ahead of the slowest one delivers ticks for windows that the
      // slowest one's progress is closing.
      const cursors = Array.from({ length: shardCount }, () => 1000);
      let max = 0;
      const shards: Tick[][][] = Array.from({ length: shardCount }, () => []);
      const ticks: Tick[] = [];
      let i = 0;
      for (let c = 0; i < raw.length; c++) {
        const cut = cuts[c % cuts.length]!;
        // Every shard's first batch runs before the race, so that every shard is known.
        const shard = c < shardCount ? c : cut.shard % shardCount;
        const batch = raw.slice(i, i + cut.size).map((r) => {
          const k = inOrder ? 0 : shard;
          cursors[k] = cursors[k]! + r.step;
          let t = Math.max(0, cursors[k]! - r.back);
          if (inOrder) t = Math.max(t, max - config.allowedLatenessMs);
          max = Math.max(max, t);
          return tick(INSTRUMENTS[r.inst]!, t, r.price);
        });
        i += cut.size;
        shards[shard]!.push(batch);
        ticks.push(...batch);
      }
      return { config: { ...config, idleTimeoutMs: 1_000_000_000 }, ticks, shards, timers, rounds, buckets };
    });
}

async function race(plan: Plan, s: fc.Scheduler) {
  const memory = new MemoryWindowStore();
  const merges: MergeSeen[] = [];
  const store = scheduledStore(memory, s, merges);
  const sink = new MemoryWindowSink();
  let now = 10_000_000;
  // No real-time budget: a stall of the machine (the budgets count Date.now(), not `clock`)
  // would otherwise fail a batch or stop an emission and change what is checked. Every wait
  // here ends by the protocol (a reservation is held only while its batch writes); the budgets
  // have their own cases in engine.protocol.test.ts.
  const engine = (): WindowEngine =>
    new WindowEngine({
      store,
      sink,
      config: plan.config,
      clock: () => now,
      concurrency: 3,
      buckets: plan.buckets,
      sleep: yieldToEventLoop,
      budgetMs: Number.POSITIVE_INFINITY,
      ...plan.rounds,
    });
  // Warm-up: every shard's first batch, one after the other.
  let late = 0;
  const warm = engine();
  for (const [shard, batches] of plan.shards.entries()) {
    if (!batches[0]) continue;
    const p = warm.processBatch(`shard-${shard}`, records(batches[0]));
    await s.waitFor(p);
    const out = await p;
    expect(out.failed).toEqual([]);
    late += out.late;
  }
  // The race: one invocation at a time per shard (parallelization factor 1), shards and timers
  // concurrently, each with its own process (own caches).
  const runs: Promise<unknown>[] = plan.shards.map(async (batches, shard) => {
    const e = engine();
    for (const batch of batches.slice(1)) {
      const out = await e.processBatch(`shard-${shard}`, records(batch));
      expect(out.failed).toEqual([]);
      late += out.late;
    }
  });
  for (let t = 0; t < plan.timers; t++) runs.push(engine().closeDue());
  await s.waitFor(Promise.all(runs));
  // Settle: all shards idle; two timers race to close the rest.
  now += 2_000_000_000;
  await s.waitFor(Promise.all([engine().closeDue(), engine().closeDue()]));
  return { memory, sink, late, merges };
}

/**
 * Linearizability of placement: a closed window's result is exactly the max of the merges into
 * its panes that were placed while it was open (placedAt < end), and it has a result iff there
 * is one. A merge placed against an older watermark either landed before the window's panes were
 * read, or was fenced and placed again.
 */
function checkPlacement(plan: Plan, memory: MemoryWindowStore, merges: readonly MergeSeen[]): void {
  const { windowSizeMs: size, windowSlideMs: slide } = plan.config;
  const { watermark } = memory.snapshot().global;
  const expected = new Map<string, number>();
  for (const m of merges) {
    for (let s = m.paneStart - size + slide; s <= m.paneStart; s += slide) {
      if (s + size > watermark || s + size <= m.placedAt) continue;
      const key = `${m.instrument}@${s}`;
      expected.set(key, Math.max(expected.get(key) ?? 0, m.maxCents));
    }
  }
  const finals = new Map(memory.snapshot().finals.map((f) => [`${f.instrument}@${f.windowStart}`, f.maxCents]));
  expect(finals).toEqual(expected);
}

function checkEmissions(memory: MemoryWindowStore, sink: MemoryWindowSink): void {
  const finals = memory.snapshot().finals;
  const seen = new Map<string, string>();
  for (const r of sink.records) {
    const p = parseWindowRecord(r.data);
    const key = `${p.instrument}@${p.windowStart}`;
    expect(seen.has(key), `${key} emitted twice`).toBe(false);
    seen.set(key, r.data);
  }
  expect(seen.size).toBe(finals.length);
  for (const f of finals) expect(seen.get(`${f.instrument}@${f.windowStart}`)).toBe(windowRecordJson(f));
  expect(memory.snapshot().pendingClaims).toEqual([]);
  if (finals.length > 0) expect(memory.snapshot().global.emittedThrough).toBe(memory.snapshot().global.watermark);
}

function bruteForce(plan: Plan, watermark: number): Map<string, number> {
  const { windowSizeMs: size, windowSlideMs: slide } = plan.config;
  const out = new Map<string, number>();
  for (const t of plan.ticks) {
    for (let s = Math.floor((t.eventTime - size + 1) / slide) * slide; s <= t.eventTime; s += slide) {
      if (t.eventTime < s || t.eventTime >= s + size || s + size > watermark) continue;
      const key = `${t.instrument}@${s}`;
      out.set(key, Math.max(out.get(key) ?? 0, t.pricesCents[0]!));
    }
  }
  return out;
}

describe("racing invocations", { timeout: 600_000 }, () => {
  it("in-order ticks: nothing late, each window emitted once with the plain max, whatever the interleaving", async () => {
    await fc.assert(
      fc.asyncProperty(planArb(true), fc.scheduler(), async (plan, s) => {
        await yieldToEventLoop();
        const { memory, sink, late, merges } = await race(plan, s);
        expect(late).toBe(0);
        checkEmissions(memory, sink);
        checkPlacement(plan, memory, merges);
        const finals = new Map(memory.snapshot().finals.map((f) => [`${f.instrument}@${f.windowStart}`, f.maxCents]));
        expect(finals).toEqual(bruteForce(plan, memory.snapshot().global.watermark));
      }),
      { numRuns: RUNS },
    );
  });

  it("any ticks: each closed window emitted once, as stored, equal to the merges placed while it was open", async () => {
    await fc.assert(
      fc.asyncProperty(planArb(false), fc.scheduler(), async (plan, s) => {
        await yieldToEventLoop();
        const { memory, sink, merges } = await race(plan, s);
        checkEmissions(memory, sink);
        checkPlacement(plan, memory, merges);
        const brute = bruteForce(plan, Number.POSITIVE_INFINITY);
        for (const f of memory.snapshot().finals) expect(f.maxCents).toBeLessThanOrEqual(brute.get(`${f.instrument}@${f.windowStart}`)!);
        for (const p of memory.snapshot().panes) expect(p.high).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });
});
