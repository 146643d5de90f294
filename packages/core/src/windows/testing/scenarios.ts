import fc from "fast-check";
import type { WindowConfig } from "../../config.js";
import type { Tick } from "../../tick.js";
import type { SequencedTick } from "../engine.js";
import type { Op, ScenarioOp } from "./harness.js";

/** Generators of window scenarios for the property tests. */
export const INSTRUMENTS = ["a", "b", "c"] as const;

export const configArb: fc.Arbitrary<WindowConfig> = fc
  .record({
    slide: fc.constantFrom(5, 10),
    panes: fc.constantFrom(1, 2, 3, 6),
    lateness: fc.constantFrom(0, 5, 10, 25),
    idle: fc.constantFrom(50, 100),
    downtime: fc.constantFrom(2, 3, 20),
  })
  .map(({ slide, panes, lateness, idle, downtime }) => ({
    windowSizeMs: slide * panes,
    windowSlideMs: slide,
    allowedLatenessMs: lateness,
    idleTimeoutMs: idle,
    paneRetentionHours: 1,
    downtimeThresholdMs: downtime * idle,
  }));

export const tick = (instrument: string, eventTime: number, cents: number): Tick => ({
  instrument,
  eventTime,
  receivedAt: null,
  level: null,
  pricesCents: [cents],
});

let nextSequenceNumber = 1;

/**
 * Ticks as the records of one batch: fresh sequence numbers, rising across every call in the
 * process (so every shard's records rise too). Deliver the same array again for a retry.
 */
export function records(ticks: readonly Tick[]): SequencedTick[] {
  return ticks.map((tick) => ({ tick, position: { sequenceNumber: String(nextSequenceNumber++) } }));
}

/** Raw ops: event times as offsets from a moving cursor, turned absolute by `materialize`. */
export type RawTick = { inst: number; dt: number; step: number; price: number; dup: boolean };
export type RawOp = ScenarioOp<number, RawTick[]>;

export const rawTickArb = (maxBack: number): fc.Arbitrary<RawTick> =>
  fc.record({
    inst: fc.integer({ min: 0, max: 2 }),
    dt: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -15, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: -maxBack, max: 0 }) }),
    step: fc.integer({ min: 0, max: 8 }),
    price: fc.integer({ min: 1, max: 40 }),
    dup: fc.boolean(),
  });

export const rawOpsArb = (maxBack: number): fc.Arbitrary<RawOp[]> =>
  fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant("batch" as const), shard: fc.integer({ min: 0, max: 2 }), ticks: fc.array(rawTickArb(maxBack), { minLength: 0, maxLength: 12 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("replay" as const), index: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("clock" as const), ms: fc.integer({ min: 0, max: 250 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("timer" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
    ),
    { minLength: 1, maxLength: 25 },
  );

export function materialize(raw: readonly RawOp[], shards: number, instruments: number): Op[] {
  let cursor = 1000;
  return raw.map((op): Op => {
    if (op.kind !== "batch") return op;
    const ticks: Tick[] = [];
    for (const r of op.ticks) {
      cursor += r.step;
      const t = tick(INSTRUMENTS[r.inst % instruments]!, Math.max(0, cursor + r.dt), r.price);
      ticks.push(t);
      if (r.dup) ticks.push({ ...t });
    }
    return { kind: "batch", shard: `shard-${op.shard % shards}`, ticks: records(ticks) };
  });
}

/** End of the time range the API checks cover: past every window that holds a tick. */
export function horizon(ops: readonly Op[], config: WindowConfig): number {
  let max = 0;
  for (const op of ops) if (op.kind === "batch") for (const r of op.ticks) max = Math.max(max, r.tick.eventTime);
  return max + config.windowSizeMs + config.windowSlideMs;
}

