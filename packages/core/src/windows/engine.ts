import { defaultDowntimeThresholdMs, type WindowConfig } from "../config.js";
import type { Tick } from "../tick.js";
import { aggregateBatch, LATE, UNUSABLE, type BatchAggregate } from "./aggregate.js";
import { windowEndOf, windowShape, type WindowShape } from "./assigner.js";
import { mapBounded } from "./bounded.js";
import { WindowCloser, type Advance, type EngineLogger } from "./closer.js";
import type { WindowSink } from "./emitter.js";
import { WatermarkMovedError } from "./errors.js";
import type { ShardLister } from "./shard-lister.js";
import { windowKey } from "./state-keys.js";
import type { MergeOutcome, OpenWindow, WindowStore } from "./store.js";
import { openWindowStartsOfPane } from "./trigger.js";

export type { EngineLogger } from "./closer.js";

/**
 * The window engine: places batches of ticks into panes and has the closer (closer.ts) advance
 * the watermark, finalize and emit closed windows. Stateless between calls apart from a cache of
 * index entries already written (valid for one epoch of the State table) and of the stream's
 * shard list; all state lives in the store, so any invocation (a batch of any shard, or the
 * timer) can pick up work another one left half done.
 *
 * Protocol: closer.ts has the state, advance (A0–A7), emitDue and why the protocol holds;
 * docs/dynamodb.md, "Panes, Windows and State tables", has the long form with the failure cases.
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
 */

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

const DEFAULTS = { concurrency: 24, leaseMs: 60_000, maxRestarts: 3, windowsPerRound: 1000, recordsPerRound: 500, budgetMs: 10_000 } as const;
const INDEX_CACHE_MAX = 200_000;

export class WindowEngine {
  readonly shape: WindowShape;
  private readonly store: WindowStore;
  private readonly config: WindowConfig;
  private readonly clock: () => number;
  private readonly logger?: EngineLogger;
  private readonly concurrency: number;
  private readonly maxRestarts: number;
  private readonly closer: WindowCloser;
  /** Index entries this process has written and seen confirmed (B3), by windowKey. */
  private readonly indexed = new Set<string>();
  /** The State epoch the `indexed` cache was built in. */
  private indexedEpoch: string | undefined;

  constructor(options: WindowEngineOptions) {
    this.store = options.store;
    this.config = options.config;
    this.shape = windowShape(options.config);
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.maxRestarts = options.maxRestarts ?? DEFAULTS.maxRestarts;
    this.closer = new WindowCloser({
      store: options.store,
      sink: options.sink,
      config: options.config,
      shape: this.shape,
      clock: this.clock,
      logger: options.logger,
      concurrency: this.concurrency,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
      windowsPerRound: Math.max(1, options.windowsPerRound ?? DEFAULTS.windowsPerRound),
      recordsPerRound: Math.max(1, Math.min(options.recordsPerRound ?? DEFAULTS.recordsPerRound, 500)),
      budgetMs: options.budgetMs ?? DEFAULTS.budgetMs,
      shardLister: options.shardLister,
      downtimeThresholdMs: options.config.downtimeThresholdMs ?? defaultDowntimeThresholdMs(options.config.idleTimeoutMs),
    });
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
    const adv = await this.advance(now, false);
    const windowsEmitted = await this.closer.emitDue(now, adv.watermark);
    return {
      watermark: adv.watermark,
      windowsFinalized: adv.finalized,
      windowsEmitted,
      writesIssued: this.store.writesIssued - writesBefore,
    };
  }

  /**
   * The closer's advance (A0–A7); drops the index cache when the State epoch is not the one it
   * was built in (the table was emptied: the entries may be gone).
   */
  private async advance(now: number, complete: boolean): Promise<Advance> {
    const adv = await this.closer.advance(now, complete);
    if (adv.epoch === undefined || adv.epoch !== this.indexedEpoch) {
      this.indexed.clear();
      this.indexedEpoch = adv.epoch;
    }
    return adv;
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
}

function maxOf(...values: (number | undefined)[]): number | undefined {
  let max: number | undefined;
  for (const v of values) if (v !== undefined && (max === undefined || v > max)) max = v;
  return max;
}
