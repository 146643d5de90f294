import { randomUUID } from "node:crypto";
import { defaultDowntimeThresholdMs, type WindowConfig } from "../config.js";
import type { Tick } from "../tick.js";
import { aggregateBatch, LATE, UNUSABLE, windowMaxOfPanes, type BatchAggregate } from "./aggregate.js";
import { paneRangeOfWindows, panesOfWindow, windowEndOf, windowShape, type WindowShape } from "./assigner.js";
import { forEachBounded, mapBounded } from "./bounded.js";
import { sinkRecordOf, type WindowSink } from "./emitter.js";
import { CloseBudgetExceededError, WatermarkMovedError } from "./errors.js";
import type { WindowResult } from "./result.js";
import { windowKey } from "./state-keys.js";
import type { ShardLister } from "./shard-lister.js";
import type { GlobalWatermark, MergeOutcome, OpenWindow, ShardState, WindowStore } from "./store.js";
import { isWindowClosed, openWindowStartsOfPane } from "./trigger.js";
import { deriveWatermark } from "./watermark.js";

/**
 * The window engine: places batches of ticks into panes, advances the watermark, finalizes and
 * emits closed windows. Stateless between calls apart from a cache of index entries already
 * written (valid for one epoch of the State table) and of the stream's shard list; all state
 * lives in the store, so any invocation (a batch of any shard, or the timer) can pick up work
 * another one left half done.
 *
 * Protocol (docs/dynamodb.md, "Panes, Windows and State tables", has the long form with the
 * failure cases)
 *
 * State: the global item {watermark, target, epoch, lastActivityAt, resumedAt}; per shard
 * {maxEventTime, pendingMax, lastBatchAt, firstSeenAt}; the index of windows still to close;
 * emit claims. Panes carry a `fence`.
 *
 * advance(now) — run at the start of every batch, after every batch, and by the timer:
 *   A0 read global and the shards, and list the stream's open shards (ShardLister, cached).
 *      Activity: if lastActivityAt is absent or older than now - downtimeThresholdMs the
 *      consumer did not run in between: resumedAt = now (every shard's idle clock starts
 *      again: a shard with a backlog must not look caught up). Record lastActivityAt = now
 *      (and the epoch, if the item has none). Drop the index cache if the epoch is not the one
 *      it was built in (the State table was emptied). Record firstSeenAt = now (put if absent)
 *      for every listed shard that has none.
 *   A1 derive D from the shards at `now` (watermark.ts: a known shard without an event time
 *      holds D at none until idle; idleness counts from max(lastBatchAt, firstSeenAt,
 *      resumedAt)).
 *   A2 target' = max(T, D). If target' <= W: nothing to do.
 *   A3 raise target to target' (announces the advance before looking at the index).
 *   A4 list index entries with end in (W, through], through <= target' chosen so that a round
 *      holds at most `windowsPerRound` windows and never splits one end time.
 *   A5 fence every pane of those windows at `through` (a pane refuses merges placed against a
 *      watermark below its fence), then read the panes and compute each window's max.
 *   A6 re-read the watermark; for due windows with end still > it, store the final result
 *      (put if absent: the first computation wins; every computation reads the same panes).
 *   A7 raise the watermark to `through`; repeat A4–A7 until it reaches target'.
 *
 * processBatch(shard, ticks):
 *   B1 advance(now); the returned watermark is the one the batch is placed against (wm).
 *   B2 fold the batch in memory against wm: late ticks out, one max per (instrument, pane).
 *   B3 write index entries for the open windows (end > wm) of every touched pane not yet known
 *      to this process, then re-read the target: if it rose above wm, an advance may have
 *      listed the index before these entries existed, so start again from B1 (nothing has
 *      been merged yet).
 *   B4 one conditional max-merge per pane group, placed at wm (refused if fenced above wm:
 *      then start again from B1 with the newer watermark).
 *   B5 record the shard's progress: maxEventTime and lastBatchAt when every group merged;
 *      else the max of the records before the first failed one, as pendingMax.
 *   B6 advance(now) again and emit what is due. Failures here do not fail the batch: the
 *      state says what is left, and the next batch or the timer finishes it.
 *
 * emitDue(watermark), `recordsPerRound` entries at a time: for every index entry with end <=
 * watermark: no stored result -> the window held no tick, drop the entry; else claim (lease)
 * -> PutRecords -> mark emitted -> drop the entry. An entry already marked emitted is dropped
 * without a put.
 *
 * Why it holds: a window's result is stored (A6) before the watermark passes its end (A7),
 * and batches only place against the effective watermark (B1), so no tick late for a window
 * can reach its panes before its result is fixed. A batch that read an older watermark either
 * merged before the fence (and is in every result computed after it) or is refused and
 * re-placed; its index entries are seen by every advance that starts after B3's re-read, and
 * it starts again if an advance started before. Emission is claimed per window, so racing
 * invocations put each record once; a record repeats only if its putter dies between the put
 * and the mark, after the lease, and then with the same bytes (they come from the stored
 * result).
 */

/** The part of a logger the engine uses (Powertools' Logger fits). */
export interface EngineLogger {
  warn(message: string, attributes: { [key: string]: unknown }): void;
}

export interface WindowEngineOptions {
  store: WindowStore;
  sink: WindowSink;
  config: WindowConfig;
  /** Wall clock, epoch ms (idle shards, leases, TTLs). */
  clock?: () => number;
  logger?: EngineLogger;
  /** DynamoDB requests in flight per step. */
  concurrency?: number;
  /** How long an emit claim holds; longer than a handler can run. */
  leaseMs?: number;
  /** Times a batch is placed again after racing an advance before its groups are failed. */
  maxRestarts?: number;
  /** Windows finalized per round of an advance (each round raises the watermark). */
  windowsPerRound?: number;
  /** Records emitted per round (one PutRecords call at most). */
  recordsPerRound?: number;
  /** The input stream's shards (none: only the shards that have delivered a batch count). */
  shardLister?: ShardLister;
  /**
   * Real time (ms) an advance or an emit may keep starting new rounds. Past it, an advance
   * throws (its rounds so far are kept; the next run continues) and emission stops.
   */
  budgetMs?: number;
}

export interface LateTickSample {
  instrument: string;
  eventTime: number;
}

export interface BatchOutcome {
  /** Indexes (into the batch's ticks) of ticks whose records must be reported as failed. */
  failed: number[];
  /**
   * Nothing of the batch may be checkpointed: report every record, bad ones included (set when
   * the batch could not be placed or its progress not recorded; a batch without valid ticks
   * then still comes again, so that its activity is recorded).
   */
  retryWholeBatch: boolean;
  ticks: number;
  late: number;
  /** Up to 5 late ticks, for the log. */
  lateSamples: LateTickSample[];
  unusable: number;
  panesRaised: number;
  /** Watermark the batch was placed against. */
  placedAt: number;
  /** Effective watermark when the call returned. */
  watermark: number;
  windowsFinalized: number;
  windowsEmitted: number;
  writesIssued: number;
  /** The first error met, if any (failed records, or close/emit left to the next run). */
  error?: unknown;
}

export interface CloseOutcome {
  watermark: number;
  windowsFinalized: number;
  windowsEmitted: number;
  writesIssued: number;
}

interface Advance {
  watermark: number;
  shards: ShardState[];
  finalized: number;
  raised: boolean;
}

const DEFAULTS = { concurrency: 24, leaseMs: 60_000, maxRestarts: 3, windowsPerRound: 1000, recordsPerRound: 500, budgetMs: 10_000 } as const;
const INDEX_CACHE_MAX = 200_000;

export class WindowEngine {
  readonly shape: WindowShape;
  private readonly store: WindowStore;
  private readonly sink: WindowSink;
  private readonly config: WindowConfig;
  private readonly clock: () => number;
  private readonly logger?: EngineLogger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly maxRestarts: number;
  private readonly windowsPerRound: number;
  private readonly recordsPerRound: number;
  private readonly budgetMs: number;
  private readonly shardLister?: ShardLister;
  private readonly downtimeThresholdMs: number;
  /** Index entries this process has written and seen confirmed (B3), by windowKey. */
  private readonly indexed = new Set<string>();
  /** The State epoch the `indexed` cache was built in. */
  private indexedEpoch: string | undefined;

  constructor(options: WindowEngineOptions) {
    this.store = options.store;
    this.sink = options.sink;
    this.config = options.config;
    this.shape = windowShape(options.config);
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.maxRestarts = options.maxRestarts ?? DEFAULTS.maxRestarts;
    this.windowsPerRound = Math.max(1, options.windowsPerRound ?? DEFAULTS.windowsPerRound);
    this.recordsPerRound = Math.max(1, Math.min(options.recordsPerRound ?? DEFAULTS.recordsPerRound, 500));
    this.budgetMs = options.budgetMs ?? DEFAULTS.budgetMs;
    this.shardLister = options.shardLister;
    this.downtimeThresholdMs = options.config.downtimeThresholdMs ?? defaultDowntimeThresholdMs(options.config.idleTimeoutMs);
  }

  /** Processes one batch of one shard, ticks in stream order. Never rejects. */
  async processBatch(shardId: string, ticks: readonly Tick[]): Promise<BatchOutcome> {
    const now = this.clock();
    const writesBefore = this.store.writesIssued;
    const outcome: BatchOutcome = {
      failed: [],
      retryWholeBatch: false,
      ticks: ticks.length,
      late: 0,
      lateSamples: [],
      unusable: 0,
      panesRaised: 0,
      placedAt: Number.NaN,
      watermark: Number.NaN,
      windowsFinalized: 0,
      windowsEmitted: 0,
      writesIssued: 0,
    };
    const finish = (): BatchOutcome => {
      outcome.writesIssued = this.store.writesIssued - writesBefore;
      return outcome;
    };
    const failAll = async (error: unknown): Promise<BatchOutcome> => {
      outcome.error ??= error;
      outcome.failed = ticks.map((_, i) => i);
      outcome.retryWholeBatch = true;
      await this.touch(shardId, now);
      return finish();
    };

    let adv: Advance;
    let raised = false;
    let agg: BatchAggregate;
    let merges: (MergeOutcome | { error: unknown })[];
    try {
      for (let attempt = 0; ; attempt++) {
        adv = await this.advance(now, true);
        raised ||= adv.raised;
        outcome.windowsFinalized += adv.finalized;
        agg = aggregateBatch(ticks, adv.watermark, this.shape);
        try {
          await this.indexOpenWindows(agg, adv.watermark);
          merges = await this.mergeGroups(agg, adv.watermark);
        } catch (err) {
          if (err instanceof WatermarkMovedError && attempt < this.maxRestarts) continue;
          throw err;
        }
        if (attempt < this.maxRestarts && merges.some((m) => m === "fenced")) continue;
        break;
      }
    } catch (err) {
      return failAll(err);
    }

    outcome.placedAt = adv.watermark;
    outcome.watermark = adv.watermark;
    outcome.late = agg.lateCount;
    outcome.unusable = agg.unusableCount;
    outcome.panesRaised = merges.filter((m) => m === "raised").length;
    for (let i = 0; i < ticks.length && outcome.lateSamples.length < 5; i++) {
      if (agg.groupOf[i] === LATE) outcome.lateSamples.push({ instrument: ticks[i]!.instrument, eventTime: ticks[i]!.eventTime });
    }

    const failedGroups = new Set<number>();
    merges.forEach((m, g) => {
      if (typeof m === "object" || m === "fenced") {
        failedGroups.add(g);
        if (typeof m === "object") outcome.error ??= m.error;
      }
    });
    const own = adv.shards.find((s) => s.shardId === shardId);
    try {
      if (failedGroups.size === 0) {
        // B5: the whole batch is placed; its event times now count for the watermark.
        const maxEventTime = maxOf(own?.maxEventTime, own?.pendingMax, agg.maxEventTime);
        await this.store.recordShard(shardId, { lastBatchAt: now, ...(maxEventTime === undefined ? {} : { maxEventTime }) });
      } else {
        // Records from the lowest failed one on come again; those before it are done. Their
        // max waits in pendingMax so that the retry is placed against the same watermark.
        let lowest = ticks.length;
        for (const g of failedGroups) lowest = Math.min(lowest, agg.groups[g]!.firstIndex);
        let prefixMax: number | undefined;
        for (let i = 0; i < lowest; i++) if (agg.groupOf[i] !== UNUSABLE) prefixMax = maxOf(prefixMax, ticks[i]!.eventTime);
        // If that cannot be recorded, the whole batch is reported so the prefix comes again.
        if (prefixMax !== undefined) await this.store.recordShard(shardId, { pendingMax: prefixMax });
        await this.touch(shardId, now);
        for (let i = 0; i < ticks.length; i++) if (failedGroups.has(agg.groupOf[i]!)) outcome.failed.push(i);
      }
    } catch (err) {
      // Nothing recorded: report every record so the batch comes again (merges are idempotent).
      return failAll(err);
    }

    // B6: advance and emit; anything left undone here is picked up by the next run.
    try {
      const after = await this.advance(now, false);
      raised ||= after.raised;
      outcome.windowsFinalized += after.finalized;
      outcome.watermark = after.watermark;
      if (raised) outcome.windowsEmitted = await this.emitDue(now, after.watermark);
    } catch (err) {
      outcome.error ??= err;
      this.logger?.warn("closing windows deferred to the next run", { shardId, error: String(err) });
    }
    return finish();
  }

  /**
   * A failing shard is still alive: keep it from turning idle while Lambda retries, without
   * waking it if it already was idle (the retry must see the watermark the attempt saw).
   */
  private async touch(shardId: string, now: number): Promise<void> {
    await this.store.touchShard(shardId, now, now - this.config.idleTimeoutMs).catch(() => undefined);
  }

  /** The timer: advances the watermark by wall clock (idle shards), finalizes and emits. */
  async closeDue(): Promise<CloseOutcome> {
    const now = this.clock();
    const writesBefore = this.store.writesIssued;
    const adv = await this.advance(now, false);
    const windowsEmitted = await this.emitDue(now, adv.watermark);
    return {
      watermark: adv.watermark,
      windowsFinalized: adv.finalized,
      windowsEmitted,
      writesIssued: this.store.writesIssued - writesBefore,
    };
  }

  /**
   * A1–A7. Finalizes in rounds of at most `windowsPerRound` windows, raising the watermark after
   * each, until it reaches the target. When the budget runs out the rounds done are kept and
   * the next run continues: a batch (`complete`) then fails, since it may only be placed against
   * a watermark that is final; the timer and B6 return what they reached.
   */
  private async advance(now: number, complete: boolean): Promise<Advance> {
    const [global, shards, listed] = await Promise.all([
      this.store.readGlobal(),
      this.store.listShards(),
      this.shardLister ? this.shardLister.listShards() : Promise.resolve([]),
    ]);
    const resumedAt = await this.recordActivity(global, now);
    await this.noteShards(shards, listed, now);
    const target = Math.max(global.target, deriveWatermark(shards, now, this.config, resumedAt));
    if (target <= global.watermark) return { watermark: global.watermark, shards, finalized: 0, raised: false };
    if (target > global.target) await this.store.raiseTarget(target);
    const deadline = Date.now() + this.budgetMs;
    let watermark = global.watermark;
    let finalized = 0;
    while (watermark < target) {
      if (Date.now() > deadline) {
        if (complete) throw new CloseBudgetExceededError(target, watermark);
        this.logger?.warn("closing windows continues in the next run", { target, watermark });
        return { watermark, shards, finalized, raised: watermark > global.watermark };
      }
      const round = await this.finalizeRound(target, watermark);
      finalized += round.finalized;
      await this.store.raiseWatermark(round.through);
      watermark = round.through;
    }
    return { watermark: target, shards, finalized, raised: true };
  }

  /** A0: the consumer's activity and the index cache's epoch; returns resumedAt. */
  private async recordActivity(global: GlobalWatermark, now: number): Promise<number | undefined> {
    if (global.epoch === undefined || global.epoch !== this.indexedEpoch) {
      this.indexed.clear();
      this.indexedEpoch = global.epoch;
    }
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
   * A4–A6 for the next windows with end in (previous, target]: at most windowsPerRound of them,
   * never splitting the windows of one end time. Returns the watermark they allow.
   */
  private async finalizeRound(target: number, previous: number): Promise<{ through: number; finalized: number }> {
    let due = await this.store.listOpenWindows({ after: previous, atMost: target, limit: this.windowsPerRound });
    let through = target;
    if (due.length === this.windowsPerRound) {
      const lastEnd = due[due.length - 1]!.windowEnd;
      const before = due.filter((w) => w.windowEnd < lastEnd);
      if (before.length > 0) {
        due = before;
        through = lastEnd - 1;
      } else {
        due = await this.store.listOpenWindows({ after: lastEnd - 1, atMost: lastEnd });
        through = lastEnd;
      }
    }
    if (due.length === 0) return { through, finalized: 0 };
    const byInstrument = groupByInstrument(due);
    const fences: [string, number][] = [];
    for (const [instrument, windows] of byInstrument) {
      const panes = new Set<number>();
      for (const w of windows) for (const p of panesOfWindow(w.windowStart, this.shape)) panes.add(p);
      for (const p of panes) fences.push([instrument, p]);
    }
    await mapBounded(fences, this.concurrency, ([instrument, p]) => this.store.fencePane(instrument, p, through));

    const computed: WindowResult[] = [];
    await mapBounded([...byInstrument], this.concurrency, async ([instrument, windows]) => {
      const starts = windows.map((w) => w.windowStart);
      const [fromPane, toPane] = paneRangeOfWindows(Math.min(...starts), Math.max(...starts), this.shape);
      const panes = await this.store.readPanes(instrument, fromPane, toPane);
      for (const w of windows) {
        const max = windowMaxOfPanes(panes, w.windowStart, this.shape);
        if (max !== undefined) computed.push({ instrument, windowStart: w.windowStart, windowEnd: w.windowEnd, maxCents: max });
      }
    });

    // A window whose end another invocation has already taken the watermark past was stored
    // by it (or held no tick); its panes may since hold ticks late for it, so do not compute it.
    const { watermark } = await this.store.readGlobal();
    const toStore = computed.filter((r) => !isWindowClosed(r.windowEnd, watermark));
    await mapBounded(toStore, this.concurrency, (r) => this.store.putFinal(r));
    return { through, finalized: toStore.length };
  }

  /** B3. Throws WatermarkMovedError when an advance may have missed the new entries. */
  private async indexOpenWindows(agg: BatchAggregate, placedAt: number): Promise<void> {
    const fresh = new Map<string, OpenWindow>();
    for (const g of agg.groups) {
      for (const s of openWindowStartsOfPane(g.paneStart, placedAt, this.shape)) {
        const end = windowEndOf(s, this.shape);
        const key = windowKey(end, g.instrument);
        if (!this.indexed.has(key) && !fresh.has(key)) fresh.set(key, { instrument: g.instrument, windowStart: s, windowEnd: end });
      }
    }
    if (fresh.size === 0) return;
    await mapBounded([...fresh.values()], this.concurrency, (w) => this.store.putOpenWindow(w));
    const { target, epoch } = await this.store.readGlobal();
    if (target > placedAt) throw new WatermarkMovedError(placedAt, target);
    // Cache only what was written within the epoch the cache belongs to: if the State table
    // was emptied meanwhile, the entries may be gone and must be written again next time.
    if (epoch === undefined || epoch !== this.indexedEpoch) {
      this.indexed.clear();
      this.indexedEpoch = undefined;
      return;
    }
    if (this.indexed.size + fresh.size > INDEX_CACHE_MAX) this.indexed.clear();
    for (const key of fresh.keys()) this.indexed.add(key);
  }

  /** B4: one max-merge per pane group; per-group outcome or error. */
  private mergeGroups(agg: BatchAggregate, placedAt: number): Promise<(MergeOutcome | { error: unknown })[]> {
    return mapBounded(agg.groups, this.concurrency, (g) =>
      this.store.mergePane(g.instrument, g.paneStart, g.maxCents, placedAt).catch((error: unknown) => ({ error })),
    );
  }

  /** Emits every finalized window still in the index, in rounds; returns how many were put. */
  private async emitDue(now: number, watermark: number): Promise<number> {
    const deadline = Date.now() + this.budgetMs;
    let emitted = 0;
    let startAfter: OpenWindow | undefined;
    for (;;) {
      const entries = await this.store.listOpenWindows({ startAfter, atMost: watermark, limit: this.recordsPerRound });
      if (entries.length === 0) return emitted;
      emitted += await this.emitRound(now, entries);
      if (entries.length < this.recordsPerRound || Date.now() > deadline) return emitted;
      // Entries left in the index (claimed by another, failed) are not listed again this run.
      startAfter = entries[entries.length - 1];
    }
  }

  private async emitRound(now: number, entries: readonly OpenWindow[]): Promise<number> {
    const owner = randomUUID();
    const results = new Map<string, WindowResult>();
    await mapBounded([...groupByInstrument(entries)], this.concurrency, async ([instrument, windows]) => {
      const from = Math.min(...windows.map((w) => w.windowStart));
      const to = Math.max(...windows.map((w) => w.windowStart));
      for (const r of await this.store.readFinals(instrument, from, to)) results.set(windowKey(r.windowEnd, instrument), r);
    });

    // Entries are independent: one failing does not stop the others; the first error is
    // thrown once everything claimed has been put and recorded.
    let failure: { error: unknown } | undefined;
    const claimed: { window: OpenWindow; result: WindowResult }[] = [];
    await forEachBounded(entries, this.concurrency, async (window) => {
      const result = results.get(windowKey(window.windowEnd, window.instrument));
      if (!result) return this.store.deleteOpenWindow(window); // held no tick
      const claim = await this.store.claimEmission(window, owner, now, this.leaseMs);
      if (claim === "claimed") claimed.push({ window, result });
      else if (claim === "emitted") await this.store.deleteOpenWindow(window);
    }).catch((error: unknown) => {
      failure = { error };
    });
    if (claimed.length === 0) {
      if (failure) throw failure.error;
      return 0;
    }
    claimed.sort((a, b) => a.result.windowEnd - b.result.windowEnd || (a.result.instrument < b.result.instrument ? -1 : 1));

    if (this.clock() - now > this.leaseMs / 2) {
      // Too slow to be sure the lease still holds through the put: let the next run do it.
      await mapBounded(claimed, this.concurrency, ({ window }) => this.store.releaseClaim(window, owner));
      return 0;
    }
    const failed = new Set(await this.sink.put(claimed.map(({ result }) => sinkRecordOf(result))));
    let emitted = 0;
    await forEachBounded(claimed, this.concurrency, async ({ window }, i) => {
      if (failed.has(i)) return this.store.releaseClaim(window, owner);
      emitted++;
      if (await this.store.markEmitted(window, owner, this.clock())) await this.store.deleteOpenWindow(window);
      else this.logger?.warn("emit claim lost before it was recorded; the window may be emitted again", { ...window });
    });
    if (failure) throw failure.error;
    return emitted;
  }
}

function groupByInstrument(windows: readonly OpenWindow[]): Map<string, OpenWindow[]> {
  const out = new Map<string, OpenWindow[]>();
  for (const w of windows) {
    const list = out.get(w.instrument);
    if (list) list.push(w);
    else out.set(w.instrument, [w]);
  }
  return out;
}

function maxOf(...values: (number | undefined)[]): number | undefined {
  let max: number | undefined;
  for (const v of values) if (v !== undefined && (max === undefined || v > max)) max = v;
  return max;
}
