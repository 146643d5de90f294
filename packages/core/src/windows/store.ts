import type { ShardProgress } from "./watermark.js";
import type { WindowResult } from "./result.js";

/**
 * What the window engine needs from storage, as small conditional operations. Two
 * implementations keep exactly the same semantics: dynamo-store.ts (Panes, Windows and State
 * tables) and memory-store.ts (tests, benchmarks). The conditions are what make retries,
 * replays and racing invocations safe; closer.ts and engine.ts document the protocol that uses them.
 */

/** The global watermark item (State: pk "watermark", sk "global"). */
export interface GlobalWatermark {
  /**
   * The effective watermark: every window with end <= watermark has its final result stored
   * (or held no tick). Batches place their ticks against it. Never goes back.
   */
  watermark: number;
  /**
   * The highest watermark an advance has announced (>= watermark). Windows with end in
   * (watermark, target] are being finalized; any invocation may finish that work.
   */
  target: number;
  /**
   * Identifies this generation of the State table's contents: set once (if absent) by the first
   * activity. Emptying the table starts a new one, so caches of what is stored can be dropped.
   */
  epoch?: string;
  /** Wall clock of the consumer's last activity (a batch or a timer run). */
  lastActivityAt?: number;
  /** Wall clock at which the consumer last resumed after not running (see closer.ts). */
  resumedAt?: number;
}

/** What one activity of the consumer records on the global item. */
export interface Activity {
  now: number;
  /** The consumer did not run for longer than the downtime threshold: set resumedAt = now. */
  resumed: boolean;
  /** Epoch to set if the item has none. */
  epoch: string;
}

/** A shard's progress (State: pk "shard", sk shardId). */
export interface ShardState extends ShardProgress {
  /**
   * Largest event time of records that were checkpointed by a partly failed batch (before its
   * lowest failed record). Folded into maxEventTime by the shard's next successful batch, so
   * that the retry of the rest is placed against the same watermark as the first attempt.
   */
  pendingMax?: number;
}

/** An entry of the index of windows still to close (State: pk "open", sk "<end>#<instrument>"). */
export interface OpenWindow {
  instrument: string;
  windowStart: number;
  windowEnd: number;
}

export interface OpenWindowRange {
  /** Exclusive lower bound of windowEnd; none: from the start. */
  after?: number;
  /** Continue after this entry (exclusive), in (windowEnd, instrument) order. */
  startAfter?: OpenWindow;
  /** Inclusive upper bound of windowEnd. */
  atMost: number;
  limit?: number;
}

export interface PaneMax {
  paneStart: number;
  maxCents: number;
}

/**
 * - raised: the pane's max is now the given value (first tick of the pane, or a new high);
 * - kept: the stored max was already >= the value (a duplicate, a replay, an older high);
 * - fenced: refused because a window of the pane was finalized at a watermark above the one the
 *   tick was placed against (the batch read the watermark before a racing advance).
 */
export type MergeOutcome = "raised" | "kept" | "fenced";

/**
 * - claimed: this owner may emit now (lease granted);
 * - emitted: the window's record was already put and recorded;
 * - busy: another owner holds an unexpired lease.
 */
export type ClaimOutcome = "claimed" | "emitted" | "busy";

/** Reads the API needs. */
export interface WindowReadStore {
  readGlobal(): Promise<GlobalWatermark>;
  /** Panes holding at least one tick with paneStart in [fromPane, toPane], ascending. */
  readPanes(instrument: string, fromPane: number, toPane: number): Promise<PaneMax[]>;
  /** Stored final results with windowStart in [fromStart, toStart], ascending. */
  readFinals(instrument: string, fromStart: number, toStart: number): Promise<WindowResult[]>;
}

export interface WindowStore extends WindowReadStore {
  /** target = max(target, value). */
  raiseTarget(value: number): Promise<void>;
  /** watermark = max(watermark, value). */
  raiseWatermark(value: number): Promise<void>;
  listShards(): Promise<ShardState[]>;
  /**
   * Records a shard's progress: lastBatchAt is set when given; maxEventTime and pendingMax,
   * when given, only ever rise.
   */
  recordShard(shardId: string, update: { lastBatchAt?: number; maxEventTime?: number; pendingMax?: number }): Promise<void>;
  /**
   * Sets lastBatchAt = now only if the shard is active (lastBatchAt >= activeSince): a failed
   * batch keeps an active shard from turning idle, but does not wake an idle one (its retry must
   * be placed against the watermark the first attempt saw).
   */
  touchShard(shardId: string, now: number, activeSince: number): Promise<void>;

  /**
   * Records that the consumer knows of a shard: firstSeenAt = now unless it has one (put if
   * absent, so that the idle clock of a shard that has not reported survives containers).
   */
  noteShard(shardId: string, now: number): Promise<void>;
  /**
   * lastActivityAt = now if it is lower (or absent); with `resumed`, also resumedAt = now; epoch
   * set if absent.
   */
  recordActivity(activity: Activity): Promise<void>;

  /** Adds a window to the index of windows still to close (idempotent). */
  putOpenWindow(window: OpenWindow): Promise<void>;
  /**
   * Index entries with after < windowEnd <= atMost, ascending by (windowEnd, instrument); at
   * most `limit` of them when given.
   */
  listOpenWindows(range: OpenWindowRange): Promise<OpenWindow[]>;
  deleteOpenWindow(window: OpenWindow): Promise<void>;

  /**
   * Max-merge of one pane: maxCents = value if the pane has no max or a smaller one, and only if
   * the pane's fence is <= placedAt (the watermark the tick was placed against).
   */
  mergePane(instrument: string, paneStart: number, maxCents: number, placedAt: number): Promise<MergeOutcome>;
  /** fence = max(fence, value); creates a tickless pane item if there is none. */
  fencePane(instrument: string, paneStart: number, value: number): Promise<void>;

  /** Stores a final result unless one exists; returns the stored one (first computation wins). */
  putFinal(result: WindowResult): Promise<WindowResult>;

  claimEmission(window: OpenWindow, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome>;
  /** Records the emission; false if the owner no longer holds the claim. */
  markEmitted(window: OpenWindow, owner: string, now: number): Promise<boolean>;
  /** Gives a claim back (after a failed put) so the next round may retry at once. */
  releaseClaim(window: OpenWindow, owner: string): Promise<void>;

  /** Write requests issued so far (for the WritesIssued metric). */
  readonly writesIssued: number;
}
