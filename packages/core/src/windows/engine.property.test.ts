import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Tick } from "../tick.js";
import { parseWindowRecord, windowRecordJson } from "./result.js";
import { NO_WATERMARK } from "./trigger.js";
import { apiView, referenceView, runScenario, type Op, type ScenarioResult } from "./testing/harness.js";
import { configArb, horizon, INSTRUMENTS, materialize, rawOpsArb, records, tick } from "./testing/scenarios.js";
import { sortResults } from "./testing/reference.js";

/**
 * Properties of the whole consumer (engine + in-memory store with DynamoDB's conditional
 * semantics) against the brute-force reference model of the design contract: random tick
 * streams over 1–3 shards, duplicates, replays of whole batches, batches retried after faults
 * injected midway (Kinesis checkpoint rule), reordering, random batch splits, idle periods and
 * timer runs, restarts (cold caches).
 */

/** Lets the test runner talk to its worker between runs (everything else here is microtasks). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const RUNS = Number(process.env.WINDOW_PROPERTY_RUNS ?? 300);

/**
 * What the engine's ShardLister answers: every shard of the stream (some may never deliver),
 * the shards that deliver (the default), or no lister at all.
 */
const listingArb = fc.constantFrom<"all" | "delivering" | "none">("all", "delivering", "none");
const listedShards = (listing: "all" | "delivering" | "none", shards: number): readonly string[] | null | undefined =>
  listing === "all" ? Array.from({ length: shards }, (_, i) => `shard-${i}`) : listing === "none" ? null : undefined;

/** Instrument buckets: one (every instrument in the same items), two, or the default. */
const bucketsArb = fc.constantFrom<number | undefined>(1, 2, undefined);

/** Engine round sizes: the defaults, or tiny ones so that closing and emitting take rounds. */
const roundsArb = fc.oneof(
  fc.constant({}),
  fc.record({ windowsPerRound: fc.integer({ min: 1, max: 4 }), recordsPerRound: fc.integer({ min: 1, max: 4 }) }),
);

function checkAgainstReference(result: ScenarioResult, exactlyOnce: boolean): void {
  const { reference, memory, records } = result;
  const snap = memory.snapshot();
  // Stored panes: every candle (open, high, low, close, count) over the shards.
  expect(snap.panes).toEqual(reference.paneList());
  // Stored final results: every closed window holding a tick, no other.
  const expected = reference.closed();
  expect(sortResults(snap.finals.map((f) => ({ ...f })))).toEqual(expected);
  // Emitted records: each closed window at least once, all copies byte-identical; exactly once
  // unless a fault hit between a put and its record.
  const byKey = new Map<string, string[]>();
  for (const r of records) {
    const parsed = parseWindowRecord(r.data);
    const key = `${parsed.instrument}@${parsed.windowStart}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r.data]);
    expect(r.partitionKey).toBe(parsed.instrument);
  }
  expect([...byKey.keys()].sort()).toEqual(expected.map((e) => `${e.instrument}@${e.windowStart}`).sort());
  let repeats = 0;
  for (const e of expected) {
    const copies = byKey.get(`${e.instrument}@${e.windowStart}`)!;
    for (const c of copies) expect(c).toBe(windowRecordJson(e));
    repeats += copies.length - 1;
  }
  // A repeat needs a put whose record was lost (a fault after the put, or in the record).
  if (exactlyOnce || result.repeatableFaults === 0) expect(repeats).toBe(0);
  // Watermark and emission: nothing due is left behind.
  const wm = snap.global.watermark;
  expect(wm === NO_WATERMARK ? Number.NEGATIVE_INFINITY : wm).toBe(reference.watermark);
  expect(snap.pendingClaims).toEqual([]);
  if (expected.length > 0) expect(snap.global.emittedThrough).toBe(wm);
}

describe("window engine against the reference model", { timeout: 600_000 }, () => {
  it("random streams, duplicates, replays, idle periods, restarts: same panes, results, records and API", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), rawOpsArb(80), roundsArb, listingArb, bucketsArb, async (config, shards, instruments, raw, rounds, listing, buckets) => {
        await yieldToEventLoop();
        const ops = materialize(raw, shards, instruments);
        const result = await runScenario(config, ops, {
          ...rounds,
          buckets,
          listedShards: listedShards(listing, shards),
          // Mid-run: the API and the watermark agree with the reference after every step.
          afterOp: async ({ reference, store, engineLate }) => {
            expect(await apiView(store, config, INSTRUMENTS, 0, horizon(ops, config), buckets)).toEqual(referenceView(reference, config, INSTRUMENTS, 0, horizon(ops, config)));
            expect(engineLate).toBe(reference.late);
            const wm = (await store.readGlobal()).watermark;
            expect(wm === NO_WATERMARK ? Number.NEGATIVE_INFINITY : wm).toBe(reference.watermark);
          },
        });
        checkAgainstReference(result, true);
        expect(result.engineLate).toBe(result.reference.late);
        expect(await apiView(result.memory, config, INSTRUMENTS, 0, horizon(ops, config), buckets)).toEqual(referenceView(result.reference, config, INSTRUMENTS, 0, horizon(ops, config)));
      }),
      { numRuns: RUNS },
    );
  });

  it("faults injected midway (before or after a write is applied), retried from the lowest failed record: same outcome", async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        rawOpsArb(80),
        fc.integer(),
        fc.constantFrom(0.05, 0.15, 0.3),
        roundsArb,
        listingArb,
        bucketsArb,
        async (config, shards, instruments, raw, seed, faultRate, rounds, listing, buckets) => {
          await yieldToEventLoop();
          const ops = materialize(raw, shards, instruments);
          const result = await runScenario(config, ops, { faultRate, seed, ...rounds, buckets, listedShards: listedShards(listing, shards) });
          checkAgainstReference(result, false);
          expect(await apiView(result.memory, config, INSTRUMENTS, 0, horizon(ops, config), buckets)).toEqual(referenceView(result.reference, config, INSTRUMENTS, 0, horizon(ops, config)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a replayed batch changes nothing and emits nothing", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.integer({ min: 1, max: 3 }), rawOpsArb(80), fc.nat(), async (config, shards, raw, pick) => {
        await yieldToEventLoop();
        const ops = materialize(raw, shards, 3);
        const batches = ops.filter((o) => o.kind === "batch");
        fc.pre(batches.length > 0);
        const once = await runScenario(config, ops);
        const replayed = await runScenario(config, [...ops, { kind: "replay", index: pick % batches.length }]);
        // A replay may only refresh the shard's activity time; everything stored and emitted is equal.
        const a = once.memory.snapshot();
        const b = replayed.memory.snapshot();
        expect(b.panes).toEqual(a.panes);
        expect(b.finals).toEqual(a.finals);
        expect(replayed.records).toEqual(once.records);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it("ticks in order within the lateness: nothing late, every window is the plain max of its ticks", async () => {
    const inOrderArb = fc
      .record({
        config: configArb,
        shards: fc.integer({ min: 1, max: 3 }),
        ticks: fc.array(
          fc.record({ inst: fc.integer({ min: 0, max: 2 }), step: fc.integer({ min: 0, max: 12 }), back: fc.nat(), price: fc.integer({ min: 1, max: 1000 }) }),
          { minLength: 1, maxLength: 120 },
        ),
        cuts: fc.array(fc.record({ size: fc.integer({ min: 1, max: 15 }), shard: fc.nat(), idle: fc.integer({ min: 0, max: 300 }), timer: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        seed: fc.integer(),
        faultRate: fc.constantFrom(0, 0, 0.1),
      })
      .map(({ config, shards, ticks, cuts, seed, faultRate }) => {
        // Event times: a rising cursor; each tick at most `lateness` behind the largest so far.
        let cursor = 1000;
        let max = 0;
        const all: Tick[] = ticks.map((r) => {
          cursor += r.step;
          const t = Math.max(0, cursor - (config.allowedLatenessMs === 0 ? 0 : r.back % (config.allowedLatenessMs + 1)));
          const at = Math.max(t, max - config.allowedLatenessMs);
          max = Math.max(max, at);
          return tick(INSTRUMENTS[r.inst]!, at, r.price);
        });
        // Split in processing order into batches on random shards, with idle gaps and timers.
        const ops: Op[] = [];
        let i = 0;
        for (let c = 0; i < all.length; c++) {
          const cut = cuts[c % cuts.length]!;
          ops.push({ kind: "batch", shard: `shard-${cut.shard % shards}`, ticks: records(all.slice(i, i + cut.size)) });
          i += cut.size;
          if (cut.idle) ops.push({ kind: "clock", ms: cut.idle });
          if (cut.timer) ops.push({ kind: "timer" });
        }
        return { config, all, ops, seed, faultRate };
      });
    await fc.assert(
      fc.asyncProperty(inOrderArb, async ({ config, all, ops, seed, faultRate }) => {
        await yieldToEventLoop();
        const result = await runScenario(config, ops, { faultRate, seed });
        expect(result.reference.late).toBe(0);
        if (faultRate === 0) expect(result.engineLate).toBe(0);
        // Brute force: every window holding a tick, max over all ticks in [s, s + size).
        const wm = result.memory.snapshot().global.watermark;
        const expected = new Map<string, number>();
        for (const t of all) {
          for (let s = Math.floor((t.eventTime - config.windowSizeMs + 1) / config.windowSlideMs) * config.windowSlideMs; s <= t.eventTime; s += config.windowSlideMs) {
            if (t.eventTime < s || t.eventTime >= s + config.windowSizeMs || s + config.windowSizeMs > wm) continue;
            const key = `${t.instrument}@${s}`;
            expected.set(key, Math.max(expected.get(key) ?? 0, t.pricesCents[0]!));
          }
        }
        const finals = new Map(result.memory.snapshot().finals.map((f) => [`${f.instrument}@${f.windowStart}`, f.maxCents]));
        expect(finals).toEqual(expected);
        const emitted = new Map(result.records.map((r) => parseWindowRecord(r.data)).map((r) => [`${r.instrument}@${r.windowStart}`, Math.round(r.max * 100)]));
        expect(emitted).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});
