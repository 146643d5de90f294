import { randomUUID } from "node:crypto";
import type { WindowConfig } from "../config.js";
import { windowMaxOfPanes } from "./aggregate.js";
import { paneRangeOfWindows, panesOfWindow, type WindowShape } from "./assigner.js";
import { forEachBounded, mapBounded } from "./bounded.js";
import { sinkRecordOf, type WindowSink } from "./emitter.js";
import { CloseBudgetExceededError } from "./errors.js";
import type { WindowResult } from "./result.js";
import type { ShardLister } from "./shard-lister.js";
import { windowKey } from "./state-keys.js";
import type { GlobalWatermark, OpenWindow, ShardState, WindowStore } from "./store.js";
import { isWindowClosed } from "./trigger.js";
import { deriveWatermark } from "./watermark.js";

/**
 * Closing and emitting windows: advances the watermark, fences and finalizes the windows it
 * passes, and emits their results. The engine (engine.ts) places batches (B1–B6) and calls
 * `advance` before and after each batch; the timer calls `advance` and `emitDue`.
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
 *      (and the epoch, if the item has none). The epoch read is returned: the engine drops its
 *      index cache if it is not the one the cache was built in (the State table was emptied).
 *      Record firstSeenAt = now (put if absent) for every listed shard that has none.
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
 * emitDue(watermark), `recordsPerRound` entries at a time: for every index entry with end <=
 * watermark: no stored result -> the window held no tick, drop the entry; else claim (lease)
 * -> PutRecords -> mark emitted -> drop the entry. An entry already marked emitted is dropped
 * without a put.
 *
 * Why it holds: a window's result is stored (A6) before the watermark passes its end (A7),
 * and batches only place against the effective watermark (B1), so no tick late for a window
 * can reach its panes before its result is fixed. A batch that read an older watermark either
 * merged before the fence (and is in every result computed after it) or is refused and
 * re-placed (B4); its index entries are seen by every advance that starts after B3's re-read,
 * and it starts again if an advance started before. Emission is claimed per window, so racing
 * invocations put each record once; a record repeats only if its putter dies between the put
 * and the mark, after the lease, and then with the same bytes (they come from the stored
 * result).
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
  finalized: number;
  raised: boolean;
}

export class WindowCloser {
  private readonly store: WindowStore;
  private readonly sink: WindowSink;
  private readonly config: WindowConfig;
  private readonly shape: WindowShape;
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
   * A1–A7. Finalizes in rounds of at most `windowsPerRound` windows, raising the watermark after
   * each, until it reaches the target. When the budget runs out the rounds done are kept and
   * the next run continues: a batch (`complete`) then fails, since it may only be placed against
   * a watermark that is final; the timer and B6 return what they reached.
   */
  async advance(now: number, complete: boolean): Promise<Advance> {
    const [global, shards, listed] = await Promise.all([
      this.store.readGlobal(),
      this.store.listShards(),
      this.shardLister ? this.shardLister.listShards() : Promise.resolve([]),
    ]);
    const resumedAt = await this.recordActivity(global, now);
    await this.noteShards(shards, listed, now);
    const { epoch } = global;
    const target = Math.max(global.target, deriveWatermark(shards, now, this.config, resumedAt));
    if (target <= global.watermark) return { watermark: global.watermark, shards, epoch, finalized: 0, raised: false };
    if (target > global.target) await this.store.raiseTarget(target);
    const deadline = Date.now() + this.budgetMs;
    let watermark = global.watermark;
    let finalized = 0;
    while (watermark < target) {
      if (Date.now() > deadline) {
        if (complete) throw new CloseBudgetExceededError(target, watermark);
        this.logger?.warn("closing windows continues in the next run", { target, watermark });
        return { watermark, shards, epoch, finalized, raised: watermark > global.watermark };
      }
      const round = await this.finalizeRound(target, watermark);
      finalized += round.finalized;
      await this.store.raiseWatermark(round.through);
      watermark = round.through;
    }
    return { watermark: target, shards, epoch, finalized, raised: true };
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

  /** Emits every finalized window still in the index, in rounds; returns how many were put. */
  async emitDue(now: number, watermark: number): Promise<number> {
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
