import type { WindowResult } from "./result.js";
import { windowKey, windowKeyRange } from "./state-keys.js";
import type {
  Activity,
  ClaimOutcome,
  GlobalWatermark,
  MergeOutcome,
  OpenWindow,
  OpenWindowRange,
  PaneMax,
  ShardState,
  WindowStore,
} from "./store.js";
import { NO_WATERMARK } from "./trigger.js";

/**
 * The window store in memory, with the same conditional semantics as the DynamoDB store
 * (dynamo-store.ts): for tests, property checks and benchmarks. Every operation is atomic, as a
 * single DynamoDB item write is. `snapshot()` exposes the contents for comparisons.
 */
interface PaneItem {
  maxCents?: number;
  fence?: number;
}

interface ClaimItem {
  owner?: string;
  leaseUntil?: number;
  emittedAt?: number;
}

export class MemoryWindowStore implements WindowStore {
  private global: GlobalWatermark = { watermark: NO_WATERMARK, target: NO_WATERMARK };
  private readonly shards = new Map<string, ShardState>();
  private readonly open = new Map<string, OpenWindow>();
  private readonly panes = new Map<string, Map<number, PaneItem>>();
  private readonly finals = new Map<string, Map<number, WindowResult>>();
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

  async listShards(): Promise<ShardState[]> {
    return [...this.shards.values()].map((s) => ({ ...s })).sort((a, b) => (a.shardId < b.shardId ? -1 : 1));
  }

  async recordShard(shardId: string, update: { lastBatchAt?: number; maxEventTime?: number; pendingMax?: number }): Promise<void> {
    this.writes++;
    const s = this.shards.get(shardId) ?? { shardId, lastBatchAt: 0 };
    if (update.lastBatchAt !== undefined) s.lastBatchAt = update.lastBatchAt;
    if (update.maxEventTime !== undefined && (s.maxEventTime === undefined || update.maxEventTime > s.maxEventTime)) {
      s.maxEventTime = update.maxEventTime;
    }
    if (update.pendingMax !== undefined && (s.pendingMax === undefined || update.pendingMax > s.pendingMax)) {
      s.pendingMax = update.pendingMax;
    }
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

  /** Empties every table, as the rebuild procedure does (docs/runbook.md). */
  clear(): void {
    this.global = { watermark: NO_WATERMARK, target: NO_WATERMARK };
    this.shards.clear();
    this.open.clear();
    this.panes.clear();
    this.finals.clear();
    this.claims.clear();
  }

  async putOpenWindow(window: OpenWindow): Promise<void> {
    this.writes++;
    this.open.set(windowKey(window.windowEnd, window.instrument), { ...window });
  }

  async listOpenWindows(range: OpenWindowRange): Promise<OpenWindow[]> {
    const keys = windowKeyRange(range.after, range.atMost, range.startAfter);
    if (keys === null) return [];
    return [...this.open.entries()]
      .filter(([k]) => k >= keys.lower && k < keys.upper)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, range.limit ?? Number.POSITIVE_INFINITY)
      .map(([, w]) => ({ ...w }));
  }

  async deleteOpenWindow(window: OpenWindow): Promise<void> {
    this.writes++;
    this.open.delete(windowKey(window.windowEnd, window.instrument));
  }

  private pane(instrument: string, paneStart: number): PaneItem {
    let byStart = this.panes.get(instrument);
    if (!byStart) this.panes.set(instrument, (byStart = new Map()));
    let item = byStart.get(paneStart);
    if (!item) byStart.set(paneStart, (item = {}));
    return item;
  }

  async mergePane(instrument: string, paneStart: number, maxCents: number, placedAt: number): Promise<MergeOutcome> {
    this.writes++;
    const item = this.pane(instrument, paneStart);
    if (item.fence !== undefined && item.fence > placedAt) return "fenced";
    if (item.maxCents !== undefined && item.maxCents >= maxCents) return "kept";
    item.maxCents = maxCents;
    return "raised";
  }

  async fencePane(instrument: string, paneStart: number, value: number): Promise<void> {
    this.writes++;
    const item = this.pane(instrument, paneStart);
    if (item.fence === undefined || item.fence < value) item.fence = value;
  }

  async readPanes(instrument: string, fromPane: number, toPane: number): Promise<PaneMax[]> {
    const byStart = this.panes.get(instrument);
    if (!byStart) return [];
    const out: PaneMax[] = [];
    for (const [paneStart, item] of byStart) {
      if (paneStart >= fromPane && paneStart <= toPane && item.maxCents !== undefined) out.push({ paneStart, maxCents: item.maxCents });
    }
    return out.sort((a, b) => a.paneStart - b.paneStart);
  }

  async putFinal(result: WindowResult): Promise<WindowResult> {
    this.writes++;
    let byStart = this.finals.get(result.instrument);
    if (!byStart) this.finals.set(result.instrument, (byStart = new Map()));
    const stored = byStart.get(result.windowStart);
    if (stored) return { ...stored };
    byStart.set(result.windowStart, { ...result });
    return { ...result };
  }

  async readFinals(instrument: string, fromStart: number, toStart: number): Promise<WindowResult[]> {
    const byStart = this.finals.get(instrument);
    if (!byStart) return [];
    return [...byStart.values()]
      .filter((r) => r.windowStart >= fromStart && r.windowStart <= toStart)
      .sort((a, b) => a.windowStart - b.windowStart)
      .map((r) => ({ ...r }));
  }

  async claimEmission(window: OpenWindow, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome> {
    this.writes++;
    const key = windowKey(window.windowEnd, window.instrument);
    const claim = this.claims.get(key) ?? {};
    if (claim.emittedAt !== undefined) return "emitted";
    if (claim.leaseUntil !== undefined && claim.leaseUntil >= now && claim.owner !== owner) return "busy";
    this.claims.set(key, { owner, leaseUntil: now + leaseMs });
    return "claimed";
  }

  async markEmitted(window: OpenWindow, owner: string, now: number): Promise<boolean> {
    this.writes++;
    const claim = this.claims.get(windowKey(window.windowEnd, window.instrument));
    if (!claim || claim.owner !== owner) return false;
    claim.emittedAt = now;
    return true;
  }

  async releaseClaim(window: OpenWindow, owner: string): Promise<void> {
    this.writes++;
    const claim = this.claims.get(windowKey(window.windowEnd, window.instrument));
    if (claim && claim.owner === owner && claim.emittedAt === undefined) claim.leaseUntil = 0;
  }

  /** Everything stored, in a stable shape, for comparisons in tests. */
  snapshot(): {
    global: GlobalWatermark;
    panes: { instrument: string; paneStart: number; maxCents: number }[];
    finals: WindowResult[];
    open: OpenWindow[];
    shards: ShardState[];
  } {
    const panes: { instrument: string; paneStart: number; maxCents: number }[] = [];
    for (const [instrument, byStart] of this.panes) {
      for (const [paneStart, item] of byStart) if (item.maxCents !== undefined) panes.push({ instrument, paneStart, maxCents: item.maxCents });
    }
    panes.sort((a, b) => (a.instrument === b.instrument ? a.paneStart - b.paneStart : a.instrument < b.instrument ? -1 : 1));
    const finals = [...this.finals.values()].flatMap((m) => [...m.values()]).map((r) => ({ ...r }));
    finals.sort((a, b) => (a.instrument === b.instrument ? a.windowStart - b.windowStart : a.instrument < b.instrument ? -1 : 1));
    return {
      global: { watermark: this.global.watermark, target: this.global.target },
      panes,
      finals,
      open: [...this.open.values()].map((w) => ({ ...w })),
      shards: [...this.shards.values()].map((s) => ({ ...s })),
    };
  }
}
