import { defaultDowntimeThresholdMs, type WindowConfig } from "../config.js";
import { compareSequenceNumbers } from "../kinesis/batch.js";
import { WINDOW_BUCKETS } from "../resources.js";
import type { Tick } from "../tick.js";
import { aggregateBatch, isPlaceable, LATE, UNUSABLE, type BatchAggregate, type PaneGroup } from "./aggregate.js";
import { paneStartOf, windowShape, type WindowShape } from "./assigner.js";
import { mapBounded } from "./bounded.js";
import { bucketOf } from "./buckets.js";
import { WindowCloser, type Advance, type EngineLogger } from "./closer.js";
import type { WindowSink } from "./emitter.js";
import type { ShardLister } from "./shard-lister.js";
import { PaneItemConflictError, PlacementBlockedError, WatermarkMovedError } from "./errors.js";
import { appendStats } from "./pane-stats.js";
import type { PaneItemKey, Reservation, ShardPaneItem, WindowStore } from "./store.js";
import { lastSealedPaneStart } from "./trigger.js";

export type { EngineLogger } from "./closer.js";

/**
 * The window engine: places batches of ticks into pane items and has the closer (closer.ts)
 * advance the watermark, finalize and emit closed windows. Stateless between calls apart from
 * the closer's cache of the stream's shard list; all state lives in the store, so any
 * invocation (a batch of any shard, or the timer) can pick up work another one left half done.
 *
 * Protocol: closer.ts has the state, advance (A0–A8), emitDue and why the protocol holds;
 * docs/dynamodb.md, "Panes, Windows and State tables", has the long form with the failure cases.
 *
 * processBatch(shard, records):
 *   B1 advance(now); the returned watermark is the one the batch is placed against (wm). While
 *      another shard's reservation holds the advance, wait (within the budget).
 *   B2 read the shard's pane items the batch's on-time ticks fall into, and fold the batch in
 *      memory against wm: late ticks out, records at or below an item's high-water mark out
 *      (a retry or replay: the item already holds them), one candle per (instrument, pane).
 *   B3 reserve: record {placedAt: wm, until, panes} on the shard's item, then re-read the
 *      target: if it rose above wm, an advance may have read the reservations before this one
 *      existed, so drop the reservation and start again from B1 (nothing written yet).
 *   B4 write each touched item: its entries with the batch's candles appended and the batch's
 *      last sequence number as high-water mark, if the item still has the high-water mark it
 *      was read with and no fence above wm. Fenced or changed: start again from B1 (items
 *      written so far keep their records; the retry skips them).
 *   B5 record the shard's progress and drop the reservation: maxEventTime and lastBatchAt when
 *      every item was written; else the max of the records before the first failed one, as
 *      pendingMax.
 *   B6 advance(now) again and emit what is due. Failures here do not fail the batch: the
 *      state says what is left, and the next batch or the timer finishes it.
 */

/** A tick and where it sits in its shard (the consumer passes decoded Kinesis records). */
export interface SequencedTick {
  tick: Tick;
  position: { sequenceNumber: string };
}

export interface WindowEngineOptions {
  store: WindowStore;
  sink: WindowSink;
  config: WindowConfig;
  /** Instrument buckets of the packed items; must match the readers' (default WINDOW_BUCKETS). */
  buckets?: number;
  /** Wall clock, epoch ms (idle shards, leases, TTLs). */
  clock?: () => number;
  logger?: EngineLogger;
  /** DynamoDB requests in flight per step. */
  concurrency?: number;
  /** How long an emit claim holds; longer than a handler can run. */
  leaseMs?: number;
  /**
   * How long a placement reservation holds: longer than a handler can run (a batch writes only
   * within the first half of it). An advance fences the panes of an expired one.
   */
  placementLeaseMs?: number;
  /** Times a batch is placed again after racing an advance before it fails whole. */
  maxRestarts?: number;
  /** Window ends finalized per round of an advance (each round raises the watermark). */
  windowsPerRound?: number;
  /** Records emitted per round (about; a round holds whole result items). */
  recordsPerRound?: number;
  /** The input stream's shards (none: only the shards that have delivered a batch count). */
  shardLister?: ShardLister;
  /**
   * Real time (ms) an advance, an emit or a wait for another shard's placement may take. Past
   * it, an advance throws (its rounds so far are kept; the next run continues), emission stops,
   * and a waiting batch fails (it is retried).
   */
  budgetMs?: number;
  /** How long a batch waits between looks at another shard's placement. */
  sleep?: (ms: number) => Promise<void>;
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
  /** Ticks the pane items already held (a retried or replayed record). */
  applied: number;
  paneItemsWritten: number;
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

const DEFAULTS = {
  concurrency: 24,
  leaseMs: 60_000,
  placementLeaseMs: 120_000,
  maxRestarts: 3,
  windowsPerRound: 6,
  recordsPerRound: 500,
  budgetMs: 10_000,
  blockedPollMs: 50,
} as const;

/** One pane item a batch writes: its key, what it held, the batch's groups for it. */
interface ItemPlan {
  key: PaneItemKey;
  stored: ShardPaneItem | undefined;
  groups: number[];
}

/** Why B4 stopped: an item refused the write (fenced or changed), or a write failed. */
type ItemOutcome = "written" | "restart" | { error: unknown };

const itemKey = (paneStart: number, bucket: number) => `${paneStart}#${bucket}`;

export class WindowEngine {
  readonly shape: WindowShape;
  private readonly store: WindowStore;
  private readonly config: WindowConfig;
  private readonly buckets: number;
  private readonly clock: () => number;
  private readonly logger?: EngineLogger;
  private readonly concurrency: number;
  private readonly maxRestarts: number;
  private readonly placementLeaseMs: number;
  private readonly budgetMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly closer: WindowCloser;

  constructor(options: WindowEngineOptions) {
    this.store = options.store;
    this.config = options.config;
    this.shape = windowShape(options.config);
    this.buckets = options.buckets ?? WINDOW_BUCKETS;
    // Looked up at each call, so that a clock swapped in later (benchmarks, fake timers) counts.
    this.clock = options.clock ?? (() => Date.now());
    this.logger = options.logger;
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.maxRestarts = options.maxRestarts ?? DEFAULTS.maxRestarts;
    this.placementLeaseMs = options.placementLeaseMs ?? DEFAULTS.placementLeaseMs;
    this.budgetMs = options.budgetMs ?? DEFAULTS.budgetMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.closer = new WindowCloser({
      store: options.store,
      sink: options.sink,
      config: options.config,
      shape: this.shape,
      buckets: this.buckets,
      clock: this.clock,
      logger: options.logger,
      concurrency: this.concurrency,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
      windowsPerRound: Math.max(1, options.windowsPerRound ?? DEFAULTS.windowsPerRound),
      recordsPerRound: Math.max(1, Math.min(options.recordsPerRound ?? DEFAULTS.recordsPerRound, 500)),
      budgetMs: this.budgetMs,
      shardLister: options.shardLister,
      downtimeThresholdMs: options.config.downtimeThresholdMs ?? defaultDowntimeThresholdMs(options.config.idleTimeoutMs),
    });
  }

  /** Processes one batch of one shard, records in stream order. Never rejects. */
  async processBatch(shardId: string, records: readonly SequencedTick[]): Promise<BatchOutcome> {
    const now = this.clock();
    const writesBefore = this.store.writesIssued;
    const ticks = records.map((r) => r.tick);
    const outcome: BatchOutcome = {
      failed: [],
      retryWholeBatch: false,
      ticks: ticks.length,
      late: 0,
      lateSamples: [],
      unusable: 0,
      applied: 0,
      paneItemsWritten: 0,
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
      await this.store.clearReservation(shardId).catch(() => undefined);
      await this.touch(shardId, now);
      return finish();
    };
    // The high-water mark every item the batch writes gets: its last record.
    let lastSeq: string | undefined;
    for (const r of records) if (lastSeq === undefined || compareSequenceNumbers(r.position.sequenceNumber, lastSeq) > 0) lastSeq = r.position.sequenceNumber;

    let adv: Advance;
    let raised = false;
    let agg: BatchAggregate;
    let plans: ItemPlan[] = [];
    let results: ItemOutcome[] = [];
    try {
      for (let attempt = 0; ; attempt++) {
        adv = await this.advanceForBatch(now, shardId);
        raised ||= adv.raised;
        outcome.windowsFinalized += adv.finalized;
        const wm = adv.watermark;
        ({ agg, plans } = await this.fold(shardId, records, wm));
        results = [];
        if (plans.length === 0) break;
        const reservation = this.reservationOf(plans, wm);
        await this.store.reserve(shardId, reservation);
        const { target } = await this.store.readGlobal();
        if (target > wm) {
          await this.store.clearReservation(shardId, reservation);
          if (attempt < this.maxRestarts) continue;
          throw new WatermarkMovedError(wm, target);
        }
        results = await this.writeItems(shardId, agg, plans, wm, lastSeq!, reservation);
        if (results.some((r) => r === "restart")) {
          await this.store.clearReservation(shardId, reservation);
          if (attempt < this.maxRestarts) continue;
          const p = plans[results.indexOf("restart")]!;
          throw new PaneItemConflictError(shardId, p.key.paneStart, p.key.bucket);
        }
        break;
      }
    } catch (err) {
      return failAll(err);
    }

    outcome.placedAt = adv.watermark;
    outcome.watermark = adv.watermark;
    outcome.late = agg.lateCount;
    outcome.unusable = agg.unusableCount;
    outcome.applied = agg.appliedCount;
    outcome.paneItemsWritten = results.filter((r) => r === "written").length;
    for (let i = 0; i < ticks.length && outcome.lateSamples.length < 5; i++) {
      if (agg.groupOf[i] === LATE) outcome.lateSamples.push({ instrument: ticks[i]!.instrument, eventTime: ticks[i]!.eventTime });
    }

    const failedGroups = new Set<number>();
    results.forEach((r, k) => {
      if (typeof r !== "object") return;
      outcome.error ??= r.error;
      for (const g of plans[k]!.groups) failedGroups.add(g);
    });
    const own = adv.shards.find((s) => s.shardId === shardId);
    try {
      if (failedGroups.size === 0) {
        // B5: the whole batch is placed; its event times now count for the watermark.
        const maxEventTime = maxOf(own?.maxEventTime, own?.pendingMax, agg.maxEventTime);
        await this.store.recordShard(shardId, { lastBatchAt: now, clearReservation: true, ...(maxEventTime === undefined ? {} : { maxEventTime }) });
      } else {
        // Records from the lowest failed one on come again; those before it are done. Their
        // max waits in pendingMax so that the retry is placed against the same watermark.
        let lowest = ticks.length;
        for (const g of failedGroups) lowest = Math.min(lowest, agg.groups[g]!.firstIndex);
        let prefixMax: number | undefined;
        for (let i = 0; i < lowest; i++) if (agg.groupOf[i] !== UNUSABLE) prefixMax = maxOf(prefixMax, ticks[i]!.eventTime);
        // If that cannot be recorded, the whole batch is reported so the prefix comes again.
        await this.store.recordShard(shardId, { clearReservation: true, ...(prefixMax === undefined ? {} : { pendingMax: prefixMax }) });
        await this.touch(shardId, now);
        for (let i = 0; i < ticks.length; i++) if (failedGroups.has(agg.groupOf[i]!)) outcome.failed.push(i);
      }
    } catch (err) {
      // Nothing recorded: report every record so the batch comes again (the items skip it).
      return failAll(err);
    }

    // B6: advance and emit; anything left undone here is picked up by the next run.
    try {
      const after = await this.closer.advance(now, false);
      raised ||= after.raised;
      outcome.windowsFinalized += after.finalized;
      outcome.watermark = after.watermark;
      if (raised) outcome.windowsEmitted = await this.closer.emitDue(now, after.watermark);
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
    const adv = await this.closer.advance(now, false);
    const windowsEmitted = await this.closer.emitDue(now, adv.watermark);
    return {
      watermark: adv.watermark,
      windowsFinalized: adv.finalized,
      windowsEmitted,
      writesIssued: this.store.writesIssued - writesBefore,
    };
  }

  /** B1: an advance that reached its target; waits while another shard is placing. */
  private async advanceForBatch(now: number, shardId: string): Promise<Advance> {
    const deadline = Date.now() + this.budgetMs;
    for (;;) {
      const adv = await this.closer.advance(now, true, shardId);
      if (!adv.blocked) return adv;
      if (Date.now() > deadline) throw new PlacementBlockedError(shardId, adv.watermark);
      await this.sleep(DEFAULTS.blockedPollMs);
    }
  }

  /** B2: the items the batch writes (read from the store) and the batch folded against them. */
  private async fold(shardId: string, records: readonly SequencedTick[], wm: number): Promise<{ agg: BatchAggregate; plans: ItemPlan[] }> {
    const sealedThrough = lastSealedPaneStart(wm, this.shape);
    const keys = new Map<string, PaneItemKey>();
    // Per record, its item's key (the fold asks about exactly these records: placeable, not late).
    const itemOf: string[] = new Array(records.length);
    records.forEach(({ tick }, i) => {
      const t = tick.eventTime;
      if (!isPlaceable(tick.pricesCents[0], t)) return;
      const paneStart = paneStartOf(t, this.shape.slideMs);
      if (paneStart <= sealedThrough) return;
      const bucket = bucketOf(tick.instrument, this.buckets);
      const k = (itemOf[i] = itemKey(paneStart, bucket));
      keys.set(k, { paneStart, bucket });
    });
    const stored = new Map<string, ShardPaneItem>();
    if (keys.size > 0) {
      for (const item of await this.store.readShardPanes(shardId, [...keys.values()])) stored.set(itemKey(item.paneStart, item.bucket), item);
    }
    const agg = aggregateBatch(
      records.map((r) => r.tick),
      wm,
      this.shape,
      (i) => {
        const hw = stored.get(itemOf[i]!)?.hw;
        return hw !== undefined && compareSequenceNumbers(records[i]!.position.sequenceNumber, hw) <= 0;
      },
    );
    const plans = new Map<string, ItemPlan>();
    agg.groups.forEach((g: PaneGroup, index) => {
      const bucket = bucketOf(g.instrument, this.buckets);
      const k = itemKey(g.paneStart, bucket);
      let plan = plans.get(k);
      if (!plan) plans.set(k, (plan = { key: { paneStart: g.paneStart, bucket }, stored: stored.get(k), groups: [] }));
      plan.groups.push(index);
    });
    return { agg, plans: [...plans.values()] };
  }

  private reservationOf(plans: readonly ItemPlan[], wm: number): Reservation {
    let fromPane = Number.POSITIVE_INFINITY;
    let toPane = Number.NEGATIVE_INFINITY;
    for (const p of plans) {
      fromPane = Math.min(fromPane, p.key.paneStart);
      toPane = Math.max(toPane, p.key.paneStart);
    }
    return { placedAt: wm, until: this.clock() + this.placementLeaseMs, fromPane, toPane };
  }

  /** B4: one conditional write per item; per item its outcome. */
  private async writeItems(
    shardId: string,
    agg: BatchAggregate,
    plans: readonly ItemPlan[],
    wm: number,
    hw: string,
    reservation: Reservation,
  ): Promise<ItemOutcome[]> {
    // Write only within the first half of the lease: an advance may fence after it ends.
    const writeBy = reservation.until - this.placementLeaseMs / 2;
    return mapBounded(plans, this.concurrency, async (plan): Promise<ItemOutcome> => {
      try {
        if (this.clock() > writeBy) throw new PlacementBlockedError(shardId, wm);
        const entries = new Map(plan.stored?.entries ?? []);
        for (const g of plan.groups) {
          const group = agg.groups[g]!;
          entries.set(group.instrument, appendStats(entries.get(group.instrument), group.stats));
        }
        const item: ShardPaneItem = { ...plan.key, shardId, hw, entries };
        const out = await this.store.writeShardPane(item, plan.stored?.hw, wm);
        return out.kind === "written" ? "written" : "restart";
      } catch (error) {
        return { error };
      }
    });
  }
}

function maxOf(...values: (number | undefined)[]): number | undefined {
  let max: number | undefined;
  for (const v of values) if (v !== undefined && (max === undefined || v > max)) max = v;
  return max;
}
