import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Tick } from "../tick.js";
import { aggregateBatch, LATE } from "./aggregate.js";
import { paneStartOf } from "./assigner.js";
import { addTick, statsOfTick, type PaneStats } from "./pane-stats.js";
import { lastSealedPaneStart } from "./trigger.js";

const shape = { sizeMs: 60, slideMs: 10 };

/** The grouping aggregateBatch does, written plainly: one group per (instrument, pane) in first-seen order. */
function reference(ticks: Tick[], watermark: number) {
  const sealed = lastSealedPaneStart(watermark, shape);
  const index = new Map<string, number>();
  const groups: { instrument: string; paneStart: number; stats: PaneStats; firstIndex: number }[] = [];
  const groupOf = ticks.map((t, i) => {
    const pane = paneStartOf(t.eventTime, shape.slideMs);
    if (pane <= sealed) return LATE;
    const key = `${t.instrument}|${pane}`;
    const g = index.get(key);
    const price = t.pricesCents[0]!;
    if (g === undefined) {
      index.set(key, groups.length);
      groups.push({ instrument: t.instrument, paneStart: pane, stats: statsOfTick(price, t.eventTime), firstIndex: i });
      return groups.length - 1;
    }
    addTick(groups[g]!.stats, price, t.eventTime);
    return g;
  });
  return { groups, groupOf };
}

describe("aggregateBatch groups ticks as the plain grouping does", () => {
  it("whatever the order of instruments and panes (property)", () => {
    const tickArb = fc.record({
      instrument: fc.constantFrom("a", "b", "c"),
      eventTime: fc.integer({ min: 0, max: 80 }),
      cents: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(tickArb, { maxLength: 40 }), fc.constantFrom(-1, 30, 60), (specs, watermark) => {
        const ticks: Tick[] = specs.map((s) => ({ instrument: s.instrument, eventTime: s.eventTime, receivedAt: null, level: null, pricesCents: [s.cents] }));
        const agg = aggregateBatch(ticks, watermark, shape);
        const want = reference(ticks, watermark);
        expect(agg.groups).toEqual(want.groups);
        expect([...agg.groupOf]).toEqual(want.groupOf);
      }),
      { numRuns: 2000 },
    );
  });
});
