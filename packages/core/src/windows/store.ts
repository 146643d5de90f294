import type { PaneStats } from "./pane-stats.js";
import type { ShardProgress } from "./watermark.js";

/**
 * What the window engine needs from storage, as small conditional operations. Two
 * implementations keep exactly the same semantics: dynamo-store.ts (Panes, Windows and State
 * tables) and memory-store.ts (tests, benchmarks). The conditions are what make retries,
 * replays and racing invocations safe; closer.ts and engine.ts document the protocol that uses
 * them, docs/dynamodb.md the keys.
 *
 * Packing: instruments are spread over a fixed number of buckets (buckets.ts). A pane item
 * holds one shard's ticks of one pane for every instrument of one bucket; a result item the
 * maxima of one window for every instrument of one bucket; an emit claim covers one result
 * item. So writes scale with buckets and panes, not with instruments.
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
   * Every result of a window with end <= emittedThrough has been put on the `windows` stream
   * (absent: none yet). Emission looks for work above it only.
   */
  emittedThrough?: number;
  /**
   * Identifies this generation of the State table's contents: set once (if absent) by the first
   * activity. Emptying the table starts a new one.
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

/**
 * A batch's announcement that it is placing ticks against `placedAt` into panes
 * [fromPane, toPane] of its shard. An advance does not close a window above `placedAt` while an
 * unexpired reservation holds (wall clock < `until`); an expired one it fences (closer.ts).
 */
export interface Reservation {
  placedAt: number;
  until: number;
  fromPane: number;
  toPane: number;
}

/** A shard's progress (State: pk "shard", sk shardId). */
export interface ShardState extends ShardProgress {
  /**
   * Largest event time of records that were checkpointed by a partly failed batch (before its
   * lowest failed record). Folded into maxEventTime by the shard's next successful batch, so
   * that the retry of the rest is placed against the same watermark as the first attempt.
   */
  pendingMax?: number;
  /** Set while a batch of the shard is placing ticks. */
  reservation?: Reservation;
}

export interface ShardUpdate {
  lastBatchAt?: number;
  maxEventTime?: number;
  pendingMax?: number;
  /** Remove the shard's reservation in the same write. */
  clearReservation?: boolean;
}

/** Which pane item of a shard: the pane and the instrument bucket. */
export interface PaneItemKey {
  paneStart: number;
  bucket: number;
}

/** One shard's ticks of one pane for the instruments of one bucket (Panes table). */
export interface ShardPaneItem extends PaneItemKey {
  shardId: string;
  /**
   * High-water mark: the sequence number of the last record of the last batch that wrote the
   * item. Records of the shard at or below it are already in the item (or were late for it).
   */
  hw?: string;
  /**
   * Set only on items of a shard whose reservation expired: writes placed against a watermark
   * below the fence are refused.
   */
  fence?: number;
  /** Per instrument. Empty on an item that only carries a fence. */
  entries: Map<string, PaneStats>;
}

/**
 * - written: the item now holds the new entries and high-water mark;
 * - fenced: refused, the item's fence is above the watermark the batch was placed against;
 * - conflict: refused, the item's high-water mark is not the expected one (another execution
 *   environment of the shard wrote it since it was read).
 */
export type PaneWriteOutcome = { kind: "written" } | { kind: "fenced"; fence: number } | { kind: "conflict" };

/** The final maxima of one window for the instruments of one bucket (Windows table). */
export interface ResultItem {
  bucket: number;
  windowStart: number;
  windowEnd: number;
  /** Per instrument that held an on-time tick in the window: its maximum, cents. */
  maxima: Map<string, number>;
}

/** An emit claim covers the records of one result item. */
export interface ClaimKey {
  windowEnd: number;
  bucket: number;
  /** The result item's window start (kept on the claim, so that a claim names its item). */
  windowStart: number;
}

/**
 * - claimed: this owner may emit now (lease granted); `left` when an earlier owner put part of
 *   the item's records: only these instruments remain;
 * - emitted: the item's records were all put and recorded;
 * - busy: another owner holds an unexpired lease.
 */
export type ClaimOutcome = { kind: "claimed"; left?: string[] } | { kind: "emitted" } | { kind: "busy" };

/** Reads the API needs. */
export interface WindowReadStore {
  readGlobal(): Promise<GlobalWatermark>;
  /** Pane items of one bucket, every shard, paneStart in [fromPane, toPane], by (paneStart, shard). */
  readBucketPanes(bucket: number, fromPane: number, toPane: number): Promise<ShardPaneItem[]>;
  /** Result items of one bucket with windowStart in [fromStart, toStart], ascending; the first `limit` when given. */
  readBucketResults(bucket: number, fromStart: number, toStart: number, limit?: number): Promise<ResultItem[]>;
}

export interface WindowStore extends WindowReadStore {
  /** target = max(target, value). */
  raiseTarget(value: number): Promise<void>;
  /** watermark = max(watermark, value). */
  raiseWatermark(value: number): Promise<void>;
  /** emittedThrough = max(emittedThrough, value). */
  raiseEmittedThrough(value: number): Promise<void>;
  listShards(): Promise<ShardState[]>;
  /**
   * Records a shard's progress: lastBatchAt is set when given; maxEventTime and pendingMax,
   * when given, only ever rise.
   */
  recordShard(shardId: string, update: ShardUpdate): Promise<void>;
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

  /** Sets the shard's reservation (replacing any). */
  reserve(shardId: string, reservation: Reservation): Promise<void>;
  /** Removes the shard's reservation; with `only`, only if it is still that one. */
  clearReservation(shardId: string, only?: Reservation): Promise<void>;

  /** The shard's existing items among `keys` (strongly consistent). */
  readShardPanes(shardId: string, keys: readonly PaneItemKey[]): Promise<ShardPaneItem[]>;
  /**
   * Replaces a pane item with `item` if its high-water mark is `expectedHw` (none: the item is
   * absent or carries only a fence) and its fence, if any, is <= placedAt.
   */
  writeShardPane(item: ShardPaneItem, expectedHw: string | undefined, placedAt: number): Promise<PaneWriteOutcome>;
  /** fence = max(fence, value) on the shard's items at `keys`, creating fence-only items. */
  fenceShardPanes(shardId: string, keys: readonly PaneItemKey[], value: number): Promise<void>;
  /** The smallest paneStart >= from of any item of the bucket (any shard), if there is one. */
  firstPaneAtOrAfter(bucket: number, from: number): Promise<number | undefined>;

  /** Stores a result item unless one exists for its (bucket, windowStart); the first one wins. */
  putResults(item: ResultItem): Promise<void>;

  claimEmission(key: ClaimKey, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome>;
  /** Records the emission of all of the item's records; false if the owner no longer holds the claim. */
  markEmitted(key: ClaimKey, owner: string, now: number): Promise<boolean>;
  /**
   * Gives a claim back so the next run may retry at once; with `left`, records that only those
   * instruments' records remain to be put (the others went out).
   */
  releaseClaim(key: ClaimKey, owner: string, left?: readonly string[]): Promise<void>;

  /** Write requests issued so far (for the WritesIssued metric). */
  readonly writesIssued: number;
}
