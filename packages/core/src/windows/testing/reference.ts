import { defaultDowntimeThresholdMs, type WindowConfig } from "../../config.js";
import type { SequencedTick } from "../engine.js";
import type { PaneStats } from "../pane-stats.js";

/**
 * A brute-force model of the window semantics in the design contract, written without the
 * engine's code: a single process holding everything in memory, one step at a time.
 *
 * - Window [s, s + size) for every s that is a multiple of the slide; it holds s <= t < s + size.
 * - The stream's shards are known from the start (listed); each is first seen at the first
 *   activity (batch or timer) and from then on has the largest event time it delivered and the
 *   wall-clock time of its last batch.
 * - Activities: when one finds no activity before it, or none within the downtime threshold, the
 *   consumer has resumed at that time.
 * - A shard is active since max(last batch, first seen, resumed) and idle after more than
 *   idleTimeout beyond that. A shard that is not idle and has delivered no event time holds the
 *   watermark (no advance). Otherwise the watermark is min over non-idle shards of their max,
 *   minus the lateness; max over all of them when all are idle; it never goes back.
 * - A batch is placed against the watermark as it stood before it (brought up to the batch's wall
 *   clock, as a timer would); a tick joins every window of it with end > watermark and is late
 *   when there is none; the watermark then advances.
 * - A window with end <= watermark is closed: its result (if it holds a tick) is fixed.
 * - A tick of the stream (shard, sequence number, place in its record) is merged at most once: a
 *   retried or replayed one changes nothing (but counts as late again when it is late).
 * - A pane's candle: open and close are the first and last merged tick by (event time, shard,
 *   sequence number), high and low over them, count the number of them.
 */
export interface ReferenceResult {
  instrument: string;
  windowStart: number;
  windowEnd: number;
  maxCents: number;
}

/** A merged tick as the reference keeps it. */
interface Merged {
  t: number;
  shard: string;
  seq: bigint;
  /** Place among the ticks of the same record (several ticks share a sequence number). */
  sub: number;
  price: number;
}

function before(a: Merged, b: Merged): boolean {
  if (a.t !== b.t) return a.t < b.t;
  if (a.shard !== b.shard) return a.shard < b.shard;
  if (a.seq !== b.seq) return a.seq < b.seq;
  return a.sub < b.sub;
}

/** A pane's candle as the engine keeps it (PaneStats), computed from scratch. */
export interface ReferencePane extends PaneStats {
  paneStart: number;
}

function candle(paneStart: number, ticks: readonly Merged[]): ReferencePane {
  let open = ticks[0]!;
  let close = ticks[0]!;
  for (const m of ticks) {
    if (before(m, open)) open = m;
    if (before(close, m)) close = m;
  }
  const prices = ticks.map((m) => m.price);
  return { paneStart, open: open.price, openAt: open.t, high: Math.max(...prices), low: Math.min(...prices), close: close.price, closeAt: close.t, count: ticks.length };
}

export class ReferenceWindows {
  watermark = Number.NEGATIVE_INFINITY;
  late = 0;
  private readonly shards = new Map<string, { max?: number; last: number; firstSeen?: number }>();
  private lastActivity: number | undefined;
  private resumedAt = Number.NEGATIVE_INFINITY;
  private readonly downtimeMs: number;
  /** instrument -> paneStart -> every tick merged into the pane. */
  readonly panes = new Map<string, Map<number, Merged[]>>();
  /** Records merged so far: "shard#sequence number". */
  private readonly merged = new Set<string>();
  /** instrument -> windowStart -> max of the ticks that joined the window while it was open. */
  readonly windows = new Map<string, Map<number, number>>();

  constructor(
    private readonly config: WindowConfig,
    private readonly listed: readonly string[] = [],
  ) {
    this.downtimeMs = config.downtimeThresholdMs ?? defaultDowntimeThresholdMs(config.idleTimeoutMs);
  }

  /** An activity of the consumer at `now` (before anything else it does). */
  private activity(now: number): void {
    if (this.lastActivity === undefined || now - this.lastActivity > this.downtimeMs) this.resumedAt = now;
    this.lastActivity = Math.max(this.lastActivity ?? now, now);
    for (const id of this.listed) {
      const s = this.shards.get(id);
      if (!s) this.shards.set(id, { last: 0, firstSeen: now });
      else s.firstSeen ??= now;
    }
  }

  private floorToSlide(t: number): number {
    return Math.floor(t / this.config.windowSlideMs) * this.config.windowSlideMs;
  }

  private derived(now: number): number {
    let activeMin = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let allMax = Number.NEGATIVE_INFINITY;
    for (const s of this.shards.values()) {
      const since = Math.max(s.last, s.firstSeen ?? Number.NEGATIVE_INFINITY, this.resumedAt);
      const active = now - since <= this.config.idleTimeoutMs;
      if (s.max === undefined) {
        if (active) return Number.NEGATIVE_INFINITY;
        continue;
      }
      allMax = Math.max(allMax, s.max);
      if (active) {
        anyActive = true;
        activeMin = Math.min(activeMin, s.max);
      }
    }
    if (allMax === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
    return (anyActive ? activeMin : allMax) - this.config.allowedLatenessMs;
  }

  private bump(now: number): void {
    this.watermark = Math.max(this.watermark, this.derived(now));
  }

  batch(shardId: string, records: readonly SequencedTick[], now: number): void {
    this.activity(now);
    this.bump(now);
    const { windowSizeMs: size, windowSlideMs: slide } = this.config;
    const ticks = records.map((r) => r.tick);
    let lastSeq = "";
    let sub = 0;
    for (const { tick, position } of records) {
      sub = position.sequenceNumber === lastSeq ? sub + 1 : 0;
      lastSeq = position.sequenceNumber;
      const t = tick.eventTime;
      const price = tick.pricesCents[0]!;
      // Every window holding t, by brute force.
      const starts: number[] = [];
      for (let s = this.floorToSlide(t - size + 1); s <= t; s += slide) if (s <= t && t < s + size) starts.push(s);
      const open = starts.filter((s) => s + size > this.watermark);
      if (open.length === 0) {
        this.late++;
        continue;
      }
      const id = `${shardId}#${position.sequenceNumber}#${sub}`;
      if (this.merged.has(id)) continue;
      this.merged.add(id);
      const pane = this.floorToSlide(t);
      const panes = this.panes.get(tick.instrument) ?? new Map<number, Merged[]>();
      this.panes.set(tick.instrument, panes);
      panes.set(pane, [...(panes.get(pane) ?? []), { t, shard: shardId, seq: BigInt(position.sequenceNumber), sub, price }]);
      const windows = this.windows.get(tick.instrument) ?? new Map<number, number>();
      this.windows.set(tick.instrument, windows);
      for (const s of open) windows.set(s, Math.max(windows.get(s) ?? Number.NEGATIVE_INFINITY, price));
    }
    const shard = this.shards.get(shardId) ?? { last: 0 };
    for (const tick of ticks) shard.max = Math.max(shard.max ?? Number.NEGATIVE_INFINITY, tick.eventTime);
    shard.last = now;
    this.shards.set(shardId, shard);
    this.bump(now);
  }

  timer(now: number): void {
    this.activity(now);
    this.bump(now);
  }

  /** Closed windows holding a tick: what must be emitted, each exactly once. */
  closed(): ReferenceResult[] {
    const out: ReferenceResult[] = [];
    for (const [instrument, windows] of this.windows) {
      for (const [s, max] of windows) {
        const end = s + this.config.windowSizeMs;
        if (end <= this.watermark) out.push({ instrument, windowStart: s, windowEnd: end, maxCents: max });
      }
    }
    return sortResults(out);
  }

  paneList(): (ReferencePane & { instrument: string })[] {
    const out: (ReferencePane & { instrument: string })[] = [];
    for (const [instrument, panes] of this.panes) for (const [paneStart, ticks] of panes) out.push({ instrument, ...candle(paneStart, ticks) });
    return out.sort((a, b) => (a.instrument === b.instrument ? a.paneStart - b.paneStart : a.instrument < b.instrument ? -1 : 1));
  }

  /** What GET /instruments/{id}/windows must answer. */
  queryWindows(instrument: string, from: number, to: number): { windowStart: number; windowEnd: number; maxCents: number; final: boolean }[] {
    const windows = this.windows.get(instrument) ?? new Map<number, number>();
    return [...windows]
      .filter(([s]) => s >= from && s < to)
      .sort(([a], [b]) => a - b)
      .map(([s, maxCents]) => ({ windowStart: s, windowEnd: s + this.config.windowSizeMs, maxCents, final: s + this.config.windowSizeMs <= this.watermark }));
  }

  /** What GET /instruments/{id}/series must answer (cents), panes merged per `step` when given. */
  querySeries(instrument: string, from: number, to: number, step?: number): { paneStart: number; open: number; high: number; low: number; close: number; count: number }[] {
    const panes = this.panes.get(instrument) ?? new Map<number, Merged[]>();
    const width = step ?? this.config.windowSlideMs;
    const groups = new Map<number, Merged[]>();
    for (const [p, ticks] of panes) {
      if (p < from || p >= to) continue;
      const key = Math.floor(p / width) * width;
      groups.set(key, [...(groups.get(key) ?? []), ...ticks]);
    }
    return [...groups]
      .sort(([a], [b]) => a - b)
      .map(([paneStart, ticks]) => {
        const c = candle(paneStart, ticks);
        return { paneStart, open: c.open, high: c.high, low: c.low, close: c.close, count: c.count };
      });
  }
}

export function sortResults<T extends { instrument: string; windowStart: number }>(results: T[]): T[] {
  return results.sort((a, b) => (a.instrument === b.instrument ? a.windowStart - b.windowStart : a.instrument < b.instrument ? -1 : 1));
}
