import { compareSequenceNumbers } from "../kinesis/batch.js";
import { mergeShardStats, type PaneStats } from "./pane-stats.js";
import type { WindowResult } from "./result.js";
import type {
  Activity,
  ClaimKey,
  ClaimOutcome,
  GlobalWatermark,
  PaneItemKey,
  PaneWriteOutcome,
  Reservation,
  ResultItem,
  ShardPaneItem,
  ShardState,
  ShardUpdate,
  WindowStore,
} from "./store.js";
import { NO_WATERMARK } from "./trigger.js";

/**
 * The window store in memory, with the same conditional semantics as the DynamoDB store
 * (dynamo-store.ts): for tests, property checks and benchmarks. Every operation is atomic, as a
 * single DynamoDB item write is. `snapshot()` exposes the contents for comparisons.
 */
interface ClaimItem {
  owner?: string;
  leaseUntil?: number;
  emittedAt?: number;
  left?: string[];
}

function paneKey(paneStart: number, bucket: number, shardId: string): string {
  return `${paneStart}#${bucket}#${shardId}`;
}

function claimKey(key: ClaimKey): string {
  return `${key.windowEnd}#${key.bucket}`;
}

function copyItem(item: ShardPaneItem): ShardPaneItem {
  return { ...item, entries: new Map([...item.entries].map(([k, v]) => [k, { ...v }])) };
}

function copyResult(item: ResultItem): ResultItem {
  return { ...item, maxima: new Map(item.maxima) };
}

export interface PaneSnapshot extends PaneStats {
  instrument: string;
  paneStart: number;
}

export class MemoryWindowStore implements WindowStore {
  private global: GlobalWatermark = { watermark: NO_WATERMARK, target: NO_WATERMARK };
  private readonly shards = new Map<string, ShardState>();
  private readonly panes = new Map<string, ShardPaneItem>();
  private readonly results = new Map<string, ResultItem>();
  private readonly claims = new Map<string, ClaimItem>();
  private writes = 0;

  get writesIssued(): number {
    return this.writes;
  }

  async readGlobal(): Promise<GlobalWatermark> {
    return { ...this.global };
  }

  async raiseTarget(value: number): Promise<void> {
    this.writes++;
    if (value > this.global.target) this.global.target = value;
  }

  async raiseWatermark(value: number): Promise<void> {
    this.writes++;
    if (value > this.global.watermark) this.global.watermark = value;
  }

  async raiseEmittedThrough(value: number): Promise<void> {
    this.writes++;
    if (this.global.emittedThrough === undefined || value > this.global.emittedThrough) this.global.emittedThrough = value;
  }

  async listShards(): Promise<ShardState[]> {
    return [...this.shards.values()]
      .map((s) => ({ ...s, ...(s.reservation ? { reservation: { ...s.reservation } } : {}) }))
      .sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
  }

  async recordShard(shardId: string, update: ShardUpdate): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId) ?? { shardId, lastBatchAt: 0 };
    if (update.lastBatchAt !== undefined) s.lastBatchAt = update.lastBatchAt;
    if (update.maxEventTime !== undefined && (s.maxEventTime === undefined || update.maxEventTime > s.maxEventTime)) {
      s.maxEventTime = update.maxEventTime;
    }
    if (update.pendingMax !== undefined && (s.pendingMax === undefined || update.pendingMax > s.pendingMax)) {
      s.pendingMax = update.pendingMax;
    }
    if (update.clearReservation) delete s.reservation;
    this.shards.set(shardId, s);
  }

  async touchShard(shardId: string, now: number, activeSince: number): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId);
    if (s && s.lastBatchAt >= activeSince) s.lastBatchAt = now;
  }

  async noteShard(shardId: string, now: number): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId) ?? { shardId, lastBatchAt: 0 };
    s.firstSeenAt ??= now;
    this.shards.set(shardId, s);
  }

  async recordActivity(activity: Activity): Promise<void> {
    this.writes++;
    const g = this.global;
    g.epoch ??= activity.epoch;
    if (g.lastActivityAt !== undefined && g.lastActivityAt >= activity.now) return;
    g.lastActivityAt = activity.now;
    if (activity.resumed) g.resumedAt = activity.now;
  }

  async reserve(shardId: string, reservation: Reservation): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId) ?? { shardId, lastBatchAt: 0 };
    s.reservation = { ...reservation };
    this.shards.set(shardId, s);
  }

  async clearReservation(shardId: string, only?: Reservation): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId);
    if (!s?.reservation) return;
    if (only && (s.reservation.placedAt !== only.placedAt || s.reservation.until !== only.until)) return;
    delete s.reservation;
  }

  /** Empties every table, as the rebuild procedure does (docs/runbook.md). */
  clear(): void {
    this.global = { watermark: NO_WATERMARK, target: NO_WATERMARK };
    this.shards.clear();
    this.panes.clear();
    this.results.clear();
    this.claims.clear();
  }

  async readShardPanes(shardId: string, keys: readonly PaneItemKey[]): Promise<ShardPaneItem[]> {
    const out: ShardPaneItem[] = [];
    for (const k of keys) {
      const item = this.panes.get(paneKey(k.paneStart, k.bucket, shardId));
      if (item) out.push(copyItem(item));
    }
    return out;
  }

  async writeShardPane(item: ShardPaneItem, expectedHw: string | undefined, placedAt: number): Promise<PaneWriteOutcome> {
    this.writes++;
    const key = paneKey(item.paneStart, item.bucket, item.shardId);
    const stored = this.panes.get(key);
    if (stored?.fence !== undefined && stored.fence > placedAt) return { kind: "fenced", fence: stored.fence };
    if (stored?.hw !== expectedHw) return { kind: "conflict" };
    const next = copyItem(item);
    if (stored?.fence !== undefined) next.fence = stored.fence;
    else delete next.fence;
    this.panes.set(key, next);
    return { kind: "written" };
  }

  async fenceShardPanes(shardId: string, keys: readonly PaneItemKey[], value: number): Promise<void> {
    for (const k of keys) {
      this.writes++;
      const key = paneKey(k.paneStart, k.bucket, shardId);
      const item: ShardPaneItem = this.panes.get(key) ?? { paneStart: k.paneStart, bucket: k.bucket, shardId, entries: new Map() };
      if (item.fence === undefined || item.fence < value) item.fence = value;
      this.panes.set(key, item);
    }
  }

  async firstPaneAtOrAfter(bucket: number, from: number): Promise<number | undefined> {
    let first: number | undefined;
    for (const item of this.panes.values()) {
      if (item.bucket === bucket && item.paneStart >= from && (first === undefined || item.paneStart < first)) first = item.paneStart;
    }
    return first;
  }

  async readBucketPanes(bucket: number, fromPane: number, toPane: number): Promise<ShardPaneItem[]> {
    return [...this.panes.values()]
      .filter((i) => i.bucket === bucket && i.paneStart >= fromPane && i.paneStart <= toPane)
      .sort((a, b) => a.paneStart - b.paneStart || (a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0))
      .map(copyItem);
  }

  async putResults(item: ResultItem): Promise<void> {
    this.writes++;
    const key = `${item.bucket}#${item.windowStart}`;
    if (!this.results.has(key)) this.results.set(key, copyResult(item));
  }

  async readBucketResults(bucket: number, fromStart: number, toStart: number, limit?: number): Promise<ResultItem[]> {
    return [...this.results.values()]
      .filter((r) => r.bucket === bucket && r.windowStart >= fromStart && r.windowStart <= toStart)
      .sort((a, b) => a.windowStart - b.windowStart)
      .slice(0, limit ?? Number.POSITIVE_INFINITY)
      .map(copyResult);
  }

  async claimEmission(key: ClaimKey, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome> {
    this.writes++;
    const k = claimKey(key);
    const claim = this.claims.get(k) ?? {};
    if (claim.emittedAt !== undefined) return { kind: "emitted" };
    if (claim.leaseUntil !== undefined && claim.leaseUntil >= now && claim.owner !== owner) return { kind: "busy" };
    this.claims.set(k, { ...claim, owner, leaseUntil: now + leaseMs });
    return claim.left ? { kind: "claimed", left: [...claim.left] } : { kind: "claimed" };
  }

  async markEmitted(key: ClaimKey, owner: string, now: number): Promise<boolean> {
    this.writes++;
    const claim = this.claims.get(claimKey(key));
    if (!claim || claim.owner !== owner) return false;
    claim.emittedAt = now;
    delete claim.left;
    return true;
  }

  async releaseClaim(key: ClaimKey, owner: string, left?: readonly string[]): Promise<void> {
    this.writes++;
    const claim = this.claims.get(claimKey(key));
    if (claim && claim.owner === owner && claim.emittedAt === undefined) {
      claim.leaseUntil = 0;
      if (left) claim.left = [...left];
    }
  }

  /** Everything stored, in a stable shape, for comparisons in tests. */
  snapshot(): {
    global: GlobalWatermark;
    panes: PaneSnapshot[];
    finals: WindowResult[];
    shards: ShardState[];
    pendingClaims: Omit<ClaimKey, "windowStart">[];
  } {
    const byPane = new Map<string, { instrument: string; paneStart: number; parts: { shardId: string; stats: PaneStats }[] }>();
    for (const item of this.panes.values()) {
      for (const [instrument, stats] of item.entries) {
        const k = `${instrument}\u0000${item.paneStart}`;
        let p = byPane.get(k);
        if (!p) byPane.set(k, (p = { instrument, paneStart: item.paneStart, parts: [] }));
        p.parts.push({ shardId: item.shardId, stats });
      }
    }
    const panes: PaneSnapshot[] = [...byPane.values()].map((p) => ({ instrument: p.instrument, paneStart: p.paneStart, ...mergeShardStats(p.parts)! }));
    panes.sort((a, b) => (a.instrument === b.instrument ? a.paneStart - b.paneStart : a.instrument < b.instrument ? -1 : 1));
    const finals: WindowResult[] = [];
    for (const r of this.results.values()) {
      for (const [instrument, maxCents] of r.maxima) finals.push({ instrument, windowStart: r.windowStart, windowEnd: r.windowEnd, maxCents });
    }
    finals.sort((a, b) => (a.instrument === b.instrument ? a.windowStart - b.windowStart : a.instrument < b.instrument ? -1 : 1));
    const pendingClaims = [...this.claims.entries()]
      .filter(([, c]) => c.emittedAt === undefined)
      .map(([k]) => {
        const [end, bucket] = k.split("#").map(Number) as [number, number];
        return { windowEnd: end, bucket };
      });
    return {
      global: {
        watermark: this.global.watermark,
        target: this.global.target,
        ...(this.global.emittedThrough === undefined ? {} : { emittedThrough: this.global.emittedThrough }),
      },
      panes,
      finals,
      shards: [...this.shards.values()].map((s) => ({ ...s })),
      pendingClaims,
    };
  }

  /** The high-water marks of one shard's items (tests). */
  highWaterMarks(shardId: string): string[] {
    return [...this.panes.values()].filter((i) => i.shardId === shardId && i.hw !== undefined).map((i) => i.hw!).sort(compareSequenceNumbers);
  }
}
