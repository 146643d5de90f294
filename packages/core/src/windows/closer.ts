import { randomUUID } from "node:crypto";
import type { WindowConfig } from "../config.js";
import { windowMaxOfPanes } from "./aggregate.js";
import { alignedStartsIn, lastWindowEndOfPane, paneRangeOfWindows, paneStartOf, windowEndOf, type WindowShape } from "./assigner.js";
import { forEachBounded, mapBounded } from "./bounded.js";
import { allBuckets } from "./buckets.js";
import { sinkRecordOf, type WindowSink } from "./emitter.js";
import { CloseBudgetExceededError } from "./errors.js";
import { panesByInstrument } from "./pane-view.js";
import type { ShardLister } from "./shard-lister.js";
import type { ClaimKey, GlobalWatermark, PaneItemKey, Reservation, ResultItem, ShardState, WindowStore } from "./store.js";
import { isWindowClosed } from "./trigger.js";
import { deriveWatermark } from "./watermark.js";

/**
 * Closing and emitting windows: advances the watermark, finalizes the windows it passes, and
 * emits their results. The engine (engine.ts) places batches (B1–B6) and calls `advance`
 * before and after each batch; the timer calls `advance` and `emitDue`.
 *
 * Protocol (docs/dynamodb.md, "Panes, Windows and State tables", has the long form with the
 * failure cases)
 *
 * State: the global item {watermark W, target T, emittedThrough, epoch, lastActivityAt,
 * resumedAt}; per shard {maxEventTime, pendingMax, lastBatchAt, firstSeenAt, reservation}; emit
 * claims per result item. Pane items of a shard carry a high-water mark, and a fence only after
 * their shard's reservation expired.
 *
 * advance(now) — run at the start of every batch, after every batch, and by the timer:
 *   A0 read global and the shards, and list the stream's open shards (ShardLister, cached).
 *      Activity: if lastActivityAt is absent or older than now - downtimeThresholdMs the
 *      consumer did not run in between: resumedAt = now (every shard's idle clock starts
 *      again: a shard with a backlog must not look caught up). Record lastActivityAt = now
 *      (and the epoch, if the item has none). Record firstSeenAt = now (put if absent) for
 *      every listed shard that has none.
 *   A1 derive D from the shards at `now` (watermark.ts).
 *   A2 target' = max(T, D). If target' <= W: nothing to do.
 *   A3 raise T to target' (announces the advance before looking at the reservations).
 *   A4 read the shards again. A reservation of another shard placed below target' that has
 *      not expired means a batch may still write panes of windows above W: stop here
 *      (blocked; that batch advances when it is done). An expired one is a batch that died or
 *      outlived its lease: its pane items in the round's panes are fenced at the round's end
 *      (A6) before they are read, and the reservation is removed once its panes are sealed.
 *   A5 rounds: the next window ends in (W, through], through <= target' chosen so that a
 *      round holds at most `windowsPerRound` ends (empty stretches are skipped: the first pane
 *      holding a tick decides where the work starts).
 *   A6 read the panes of those windows (every bucket, every shard), compute each window's max
 *      per instrument.
 *   A7 re-read W; for the windows with end still > W, store the result items (put if absent:
 *      the first computation wins; every computation reads the same panes).
 *   A8 raise W to `through`; repeat A5–A8 until it reaches target'.
 *
 * emitDue(W): for the result items with end in (emittedThrough, W]: claim (lease) -> put their
 * records -> mark emitted (or, after a partial put, give the claim back naming the instruments
 * left). Once every item up to some end X is emitted, emittedThrough = X.
 *
 * Why it holds: a window's result is stored (A7) before the watermark passes its end (A8),
 * and batches only place against the effective watermark (B1), so no tick late for a window
 * can reach its panes before its result is fixed. A batch placing against an older watermark
 * has announced it (its reservation) before writing and then re-read T: either this advance's
 * A4 read sees the reservation and waits for it, or the batch sees the raised T and starts
 * again (B3). Emission is claimed per result item, so racing invocations put each record once;
 * a record repeats only if its putter dies between the put and the mark, after the lease, and
 * then with the same bytes (they come from the stored result).
 */

/** The part of a logger the engine and the closer use (Powertools' Logger fits). */
export interface EngineLogger {
  warn(message: string, attributes: { [key: string]: unknown }): void;
}

/** The closer's settings, defaults already applied (see WindowEngineOptions). */
export interface WindowCloserOptions {
  store: WindowStore;
  sink: WindowSink;
  config: WindowConfig;
  shape: WindowShape;
  buckets: number;
  clock: () => number;
  logger?: EngineLogger;
  concurrency: number;
  leaseMs: number;
  windowsPerRound: number;
  recordsPerRound: number;
  budgetMs: number;
  shardLister?: ShardLister;
  downtimeThresholdMs: number;
}

/** Where an advance left the watermark. */
export interface Advance {
  watermark: number;
  shards: ShardState[];
  /** The State epoch read at A0 (none: the item had none yet). */
  epoch: string | undefined;
  /** Windows (instrument, window) given a result. */
  finalized: number;
  raised: boolean;
  /** Stopped below its target: a batch of another shard is placing ticks (A4). */
  blocked: boolean;
}

/**
 * The instruments whose records a claim on `item` still has to put, sorted: all of them, or what
 * an earlier owner's partial put left (`left`). Emission and settling go by the same list.
 */
export function instrumentsToPut(item: ResultItem, left: readonly string[] | undefined): string[] {
  return (left ?? [...item.maxima.keys()]).filter((i) => item.maxima.has(i)).sort();
}

/** Result items read per bucket at a time when emitting. */
const RESULTS_PER_READ = 100;

interface StaleReservation {
  shardId: string;
  reservation: Reservation;
}

export class WindowCloser {
  private readonly store: WindowStore;
  private readonly sink: WindowSink;
  private readonly config: WindowConfig;
  private readonly shape: WindowShape;
  private readonly buckets: number[];
  private readonly clock: () => number;
  private readonly logger?: EngineLogger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly windowsPerRound: number;
  private readonly recordsPerRound: number;
  private readonly budgetMs: number;
  private readonly shardLister?: ShardLister;
  private readonly downtimeThresholdMs: number;

  constructor(options: WindowCloserOptions) {
    this.store = options.store;
    this.sink = options.sink;
    this.config = options.config;
    this.shape = options.shape;
    this.buckets = allBuckets(options.buckets);
    this.clock = options.clock;
    this.logger = options.logger;
    this.concurrency = options.concurrency;
    this.leaseMs = options.leaseMs;
    this.windowsPerRound = options.windowsPerRound;
    this.recordsPerRound = options.recordsPerRound;
    this.budgetMs = options.budgetMs;
    this.shardLister = options.shardLister;
    this.downtimeThresholdMs = options.downtimeThresholdMs;
  }

  /**
   * A0–A8. Finalizes in rounds, raising the watermark after each, until it reaches the target.
   * When the budget runs out the rounds done are kept and the next run continues: a batch
   * (`complete`) then fails, since it may only be placed against a watermark that is final;
   * the timer and B6 return what they reached. `self`: the shard whose batch runs this advance
   * (its own reservation, left by an earlier attempt, does not hold it).
   */
  async advance(now: number, complete: boolean, self?: string): Promise<Advance> {
    const [global, shards, listed] = await Promise.all([
      this.store.readGlobal(),
      this.store.listShards(),
      this.shardLister ? this.shardLister.listShards() : Promise.resolve([]),
    ]);
    const resumedAt = await this.recordActivity(global, now);
    await this.noteShards(shards, listed, now);
    const { epoch } = global;
    const target = Math.max(global.target, deriveWatermark(shards, now, this.config, resumedAt));
    const unchanged = { watermark: global.watermark, shards, epoch, finalized: 0, raised: false };
    if (target <= global.watermark) return { ...unchanged, blocked: false };
    if (target > global.target) await this.store.raiseTarget(target);

    // A4: reservations, read after the target is announced.
    const stale: StaleReservation[] = [];
    const wall = this.clock();
    for (const s of await this.store.listShards()) {
      const r = s.reservation;
      if (s.shardId === self || r === undefined || r.placedAt >= target) continue;
      if (r.until > wall) return { ...unchanged, blocked: true };
      stale.push({ shardId: s.shardId, reservation: r });
    }
    if (stale.length > 0) await this.fenceStale(stale, target);

    const deadline = Date.now() + this.budgetMs;
    let watermark = global.watermark;
    let finalized = 0;
    while (watermark < target) {
      if (Date.now() > deadline) {
        if (complete) throw new CloseBudgetExceededError(target, watermark);
        this.logger?.warn("closing windows continues in the next run", { target, watermark });
        return { watermark, shards, epoch, finalized, raised: watermark > global.watermark, blocked: false };
      }
      const round = await this.finalizeRound(target, watermark);
      finalized += round.finalized;
      await this.store.raiseWatermark(round.through);
      watermark = round.through;
    }
    // An expired reservation whose panes are all sealed can hold nothing any more.
    for (const { shardId, reservation } of stale) {
      if (lastWindowEndOfPane(reservation.toPane, this.shape) <= watermark) await this.store.clearReservation(shardId, reservation);
    }
    return { watermark: target, shards, epoch, finalized, raised: true, blocked: false };
  }

  /**
   * A4, expired reservations: fence the panes their batches may still write, up to the last
   * pane of the windows this advance closes, at `target`, before any of them is read (panes
   * above are fenced by the advance that closes their windows).
   */
  private async fenceStale(stale: readonly StaleReservation[], target: number): Promise<void> {
    const { slideMs } = this.shape;
    for (const { shardId, reservation } of stale) {
      const keys: PaneItemKey[] = [];
      const last = Math.min(reservation.toPane, target - slideMs);
      for (let p = reservation.fromPane; p <= last; p += slideMs) for (const bucket of this.buckets) keys.push({ paneStart: p, bucket });
      if (keys.length > 0) await this.store.fenceShardPanes(shardId, keys, target);
    }
  }

  /** A0: the consumer's activity; returns resumedAt. */
  private async recordActivity(global: GlobalWatermark, now: number): Promise<number | undefined> {
    const last = global.lastActivityAt;
    const resumed = last === undefined || now - last > this.downtimeThresholdMs;
    if (resumed || now > last || global.epoch === undefined) {
      await this.store.recordActivity({ now, resumed, epoch: global.epoch ?? randomUUID() });
    }
    return resumed ? now : global.resumedAt;
  }

  /** A0: firstSeenAt for listed shards without one (also set on `shards`, in place). */
  private async noteShards(shards: ShardState[], listed: readonly string[], now: number): Promise<void> {
    const fresh: ShardState[] = [];
    for (const id of listed) {
      let s = shards.find((x) => x.shardId === id);
      if (s?.firstSeenAt !== undefined) continue;
      if (!s) shards.push((s = { shardId: id, lastBatchAt: 0 }));
      fresh.push(s);
    }
    if (fresh.length === 0) return;
    await mapBounded(fresh, this.concurrency, (s) => this.store.noteShard(s.shardId, now));
    for (const s of fresh) s.firstSeenAt = now;
  }

  /**
   * A5: the window ends of the next round: (after, through], through <= target. Ends in
   * (previous, after] hold no tick (they end before the first pane that holds one).
   */
  private async roundEnds(target: number, previous: number): Promise<{ after: number; through: number } | null> {
    const { slideMs, sizeMs } = this.shape;
    const ends = Math.floor(target / slideMs) - Math.floor(previous / slideMs);
    if (ends <= this.windowsPerRound) return { after: previous, through: target };
    const from = previous <= -sizeMs ? 0 : Math.max(0, paneStartOf(previous, slideMs) - sizeMs + slideMs);
    const firsts = await mapBounded(this.buckets, this.concurrency, (b) => this.store.firstPaneAtOrAfter(b, from));
    let first: number | undefined;
    for (const f of firsts) if (f !== undefined && (first === undefined || f < first)) first = f;
    if (first === undefined || first + slideMs > target) return null;
    const after = Math.max(previous, first + slideMs - 1);
    return { after, through: Math.min(target, paneStartOf(after, slideMs) + this.windowsPerRound * slideMs) };
  }

  /** A5–A7 for the next round after `previous`; returns its `through`. */
  private async finalizeRound(target: number, previous: number): Promise<{ through: number; finalized: number }> {
    const ends = await this.roundEnds(target, previous);
    if (ends === null) return { through: target, finalized: 0 };
    const { after, through } = ends;
    const { sizeMs } = this.shape;
    // Windows with end in (after, through]: starts in (after - size, through - size]; a window
    // holds a tick only if it ends after 0 (event times are never negative).
    const starts = alignedStartsIn(Math.max(after, 0) - sizeMs + 1, through - sizeMs + 1, this.shape.slideMs);
    if (starts.length === 0) return { through, finalized: 0 };
    const [fromPane, toPane] = paneRangeOfWindows(starts[0]!, starts[starts.length - 1]!, this.shape);
    const lo = Math.max(0, fromPane);
    if (toPane < lo) return { through, finalized: 0 };

    const computed = new Map<string, ResultItem>();
    await mapBounded(this.buckets, this.concurrency, async (bucket) => {
      const items = await this.store.readBucketPanes(bucket, lo, toPane);
      for (const [instrument, panes] of panesByInstrument(items)) {
        const highs = panes.map((p) => ({ paneStart: p.paneStart, maxCents: p.stats.high }));
        for (const s of starts) {
          const max = windowMaxOfPanes(highs, s, this.shape);
          if (max === undefined) continue;
          const key = `${bucket}#${s}`;
          let item = computed.get(key);
          if (!item) computed.set(key, (item = { bucket, windowStart: s, windowEnd: windowEndOf(s, this.shape), maxima: new Map() }));
          item.maxima.set(instrument, max);
        }
      }
    });

    // A window whose end another invocation has already taken the watermark past was stored
    // by it (or held no tick); its panes may since hold ticks late for it, so do not store it.
    const { watermark } = await this.store.readGlobal();
    const toStore = [...computed.values()].filter((r) => !isWindowClosed(r.windowEnd, watermark));
    await mapBounded(toStore, this.concurrency, (r) => this.store.putResults(r));
    let finalized = 0;
    for (const r of toStore) finalized += r.maxima.size;
    return { through, finalized };
  }

  /**
   * Emits every stored result with end in (emittedThrough, watermark] not emitted yet, in
   * rounds of about `recordsPerRound` records; returns how many records were put. Reads the
   * result items a chunk at a time (at most RESULTS_PER_READ per bucket), so a long stretch of
   * closed windows (after an outage) is worked through in pieces, each one kept.
   */
  async emitDue(now: number, watermark: number): Promise<number> {
    const deadline = Date.now() + this.budgetMs;
    const { emittedThrough } = await this.store.readGlobal();
    const { sizeMs } = this.shape;
    // Every window end <= low is emitted (ends are never below 0).
    let low = emittedThrough ?? 0;
    let emitted = 0;
    while (low < watermark && Date.now() <= deadline) {
      const lists = await mapBounded(this.buckets, this.concurrency, (b) =>
        this.store.readBucketResults(b, low - sizeMs + 1, watermark - sizeMs, RESULTS_PER_READ),
      );
      // A bucket that filled its read may hold more beyond its last end: stop the chunk there.
      let chunkEnd = watermark;
      for (const list of lists) if (list.length >= RESULTS_PER_READ) chunkEnd = Math.min(chunkEnd, list[list.length - 1]!.windowEnd);
      const due = lists.flat().filter((r) => r.windowEnd <= chunkEnd);
      due.sort((a, b) => a.windowEnd - b.windowEnd || a.bucket - b.bucket);
      const outcome = await this.emitItems(now, due, deadline);
      emitted += outcome.emitted;
      if (outcome.pendingEnd <= chunkEnd) {
        low = Math.max(low, outcome.pendingEnd - 1);
        break;
      }
      low = chunkEnd;
    }
    if (low > (emittedThrough ?? 0)) await this.store.raiseEmittedThrough(low);
    return emitted;
  }

  /** Claims and puts `items` (ascending by end) in rounds; returns the lowest end left pending. */
  private async emitItems(now: number, items: readonly ResultItem[], deadline: number): Promise<{ emitted: number; pendingEnd: number }> {
    let emitted = 0;
    for (let i = 0; i < items.length; ) {
      if (Date.now() > deadline) return { emitted, pendingEnd: items[i]!.windowEnd };
      const round: ResultItem[] = [];
      let records = 0;
      while (i < items.length && (round.length === 0 || records < this.recordsPerRound)) {
        records += items[i]!.maxima.size;
        round.push(items[i++]!);
      }
      const outcome = await this.emitRound(now, round);
      emitted += outcome.emitted;
      if (outcome.pendingEnd !== Number.POSITIVE_INFINITY) return { emitted, pendingEnd: outcome.pendingEnd };
    }
    return { emitted, pendingEnd: Number.POSITIVE_INFINITY };
  }

  private async emitRound(now: number, items: readonly ResultItem[]): Promise<{ emitted: number; pendingEnd: number }> {
    const owner = randomUUID();
    let pendingEnd = Number.POSITIVE_INFINITY;
    const pending = (item: ResultItem) => (pendingEnd = Math.min(pendingEnd, item.windowEnd));
    // Items are independent: one failing does not stop the others; the first error is thrown
    // once everything claimed has been put and recorded.
    let failure: { error: unknown } | undefined;
    const claimed: { item: ResultItem; key: ClaimKey; instruments: string[] }[] = [];
    await forEachBounded(items, this.concurrency, async (item) => {
      const key = { windowEnd: item.windowEnd, bucket: item.bucket, windowStart: item.windowStart };
      const claim = await this.store.claimEmission(key, owner, now, this.leaseMs);
      if (claim.kind === "emitted") return;
      if (claim.kind === "busy") return void pending(item);
      const instruments = instrumentsToPut(item, claim.left);
      claimed.push({ item, key, instruments });
    }).catch((error: unknown) => {
      failure = { error };
      for (const item of items) pending(item);
    });
    if (claimed.length === 0) {
      if (failure) throw failure.error;
      return { emitted: 0, pendingEnd };
    }
    claimed.sort((a, b) => a.key.windowEnd - b.key.windowEnd || a.key.bucket - b.key.bucket);

    if (this.clock() - now > this.leaseMs / 2) {
      // Too slow to be sure the lease still holds through the put: let the next run do it.
      for (const { item } of claimed) pending(item);
      await mapBounded(claimed, this.concurrency, ({ key }) => this.store.releaseClaim(key, owner));
      return { emitted: 0, pendingEnd };
    }
    const records = claimed.flatMap(({ item, instruments }) =>
      instruments.map((instrument) => sinkRecordOf({ instrument, windowStart: item.windowStart, windowEnd: item.windowEnd, maxCents: item.maxima.get(instrument)! })),
    );
    let failed: Set<number>;
    try {
      failed = new Set(await this.sink.put(records));
    } catch (error) {
      // Some may have gone out: the claims stay until their lease ends (a repeat has the same bytes).
      for (const { item } of claimed) pending(item);
      throw error;
    }
    let emitted = 0;
    let offset = 0;
    await forEachBounded(
      claimed.map((c) => {
        const start = offset;
        offset += c.instruments.length;
        return { ...c, start };
      }),
      this.concurrency,
      async ({ item, key, instruments, start }) => {
        const left = instruments.filter((_, k) => failed.has(start + k));
        emitted += instruments.length - left.length;
        if (left.length > 0) {
          pending(item);
          return this.store.releaseClaim(key, owner, left);
        }
        if (await this.store.markEmitted(key, owner, this.clock())) return;
        pending(item);
        this.logger?.warn("emit claim lost before it was recorded; the window may be emitted again", { ...key });
      },
    ).catch((error: unknown) => {
      failure ??= { error };
      for (const { item } of claimed) pending(item);
    });
    if (failure) throw failure.error;
    return { emitted, pendingEnd };
  }
}
