import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMaxima, decodePaneEntries, encodeMaxima, encodePaneEntries } from "./codec.js";
import { addTick, appendStats, mergeConsecutive, mergeShardStats, statsOfTick, type PaneStats } from "./pane-stats.js";

interface T {
  t: number;
  price: number;
}

const fold = (ticks: readonly T[]): PaneStats | undefined => {
  let s: PaneStats | undefined;
  for (const x of ticks) {
    if (s === undefined) s = statsOfTick(x.price, x.t);
    else addTick(s, x.price, x.t);
  }
  return s;
};

const tickArb = fc.record({ t: fc.integer({ min: 0, max: 9 }), price: fc.integer({ min: -5, max: 50_000 }) });

/** The candle by brute force: ticks in stream order, tagged with their shard. */
function brute(ticks: readonly (T & { shard: string; seq: number })[]): PaneStats {
  const order = (a: (typeof ticks)[number], b: (typeof ticks)[number]) => a.t - b.t || (a.shard < b.shard ? -1 : a.shard > b.shard ? 1 : 0) || a.seq - b.seq;
  const sorted = [...ticks].sort(order);
  const prices = ticks.map((x) => x.price);
  return {
    open: sorted[0]!.price,
    openAt: sorted[0]!.t,
    high: Math.max(...prices),
    low: Math.min(...prices),
    close: sorted[sorted.length - 1]!.price,
    closeAt: sorted[sorted.length - 1]!.t,
    count: ticks.length,
  };
}

describe("pane candles", () => {
  it("one shard folded in any split is the candle of its ticks in stream order", () => {
    fc.assert(
      fc.property(fc.array(tickArb, { minLength: 1, maxLength: 30 }), fc.nat(), (ticks, cut) => {
        const k = cut % ticks.length;
        const whole = fold(ticks)!;
        const split = k === 0 ? whole : appendStats(fold(ticks.slice(0, k)), fold(ticks.slice(k))!);
        expect(split).toEqual(whole);
        expect(whole).toEqual(brute(ticks.map((x, seq) => ({ ...x, shard: "s", seq }))));
      }),
    );
  });

  it("shards merged in any order give the candle by (event time, shard, sequence number)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ shard: fc.constantFrom("s0", "s1", "s2"), tick: tickArb }), { minLength: 1, maxLength: 40 }), fc.boolean(), (raw, reverse) => {
        const tagged = raw.map((r, seq) => ({ ...r.tick, shard: r.shard, seq }));
        const parts = ["s0", "s1", "s2"]
          .map((shardId) => ({ shardId, stats: fold(tagged.filter((x) => x.shard === shardId)) }))
          .filter((p): p is { shardId: string; stats: PaneStats } => p.stats !== undefined);
        expect(mergeShardStats(reverse ? parts.reverse() : parts)).toEqual(brute(tagged));
      }),
    );
  });

  it("consecutive panes merge to open of the first, close of the last", () => {
    const a = { open: 1, openAt: 0, high: 9, low: 1, close: 5, closeAt: 9, count: 3 };
    const b = { open: 6, openAt: 12, high: 7, low: 0, close: 2, closeAt: 15, count: 2 };
    expect(mergeConsecutive([a, b])).toEqual({ open: 1, openAt: 0, high: 9, low: 0, close: 2, closeAt: 15, count: 5 });
    expect(mergeConsecutive([])).toBeUndefined();
  });
});

describe("packed item bytes", () => {
  const statsArb = (paneStart: number) =>
    fc
      .record({ a: fc.integer({ min: 0, max: 9_999 }), b: fc.integer({ min: 0, max: 9_999 }), p: fc.array(fc.integer({ min: -1_000_000, max: 100_000_000 }), { minLength: 4, maxLength: 4 }), count: fc.integer({ min: 1, max: 1e9 }) })
      .map(({ a, b, p, count }) => ({ open: p[0]!, high: Math.max(...p), low: Math.min(...p), close: p[3]!, openAt: paneStart + Math.min(a, b), closeAt: paneStart + Math.max(a, b), count }));

  it("pane entries round-trip, in a few bytes an instrument", () => {
    const paneStart = 1_763_800_000_000;
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z0-9.^=:_-]{1,12}$/), statsArb(paneStart)), (dict) => {
        const entries = new Map(Object.entries(dict));
        expect(decodePaneEntries(paneStart, encodePaneEntries(paneStart, entries))).toEqual(entries);
      }),
    );
    const one = new Map([["1234", { open: 12_345, openAt: paneStart + 17, high: 13_000, low: 12_000, close: 12_500, closeAt: paneStart + 9_990, count: 40 }]]);
    expect(encodePaneEntries(paneStart, one).length).toBeLessThanOrEqual(20);
  });

  it("result maxima round-trip", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), fc.integer({ min: -1e9, max: 1e12 })), (dict) => {
        const maxima = new Map(Object.entries(dict));
        expect(decodeMaxima(encodeMaxima(maxima))).toEqual(maxima);
      }),
    );
  });
});
