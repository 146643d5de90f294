/**
 * What a pane holds per instrument: open, high, low, close and tick count (the candle), plus
 * the event times of the open and close ticks, which decide merges.
 *
 * Order of ticks: event time, then stream position (shard id, then sequence number and
 * sub-index). `open` is the first tick in that order, `close` the last. Within one shard the
 * engine applies each record once and in stream order (records at or below a pane item's
 * high-water mark are skipped, see store.ts), so a later tick with the same event time is
 * the later one in the stream: open moves only to a strictly earlier event time, close to an
 * equal or later one. Across shards the readers merge by (event time, shard id).
 *
 * `count` is the number of stream records applied to the pane: a retried or replayed batch
 * does not add to it (its records are at or below the high-water mark), while a record put to
 * the stream again (a new sequence number, e.g. a producer's retry or `npm run replay`) is a
 * new record and counts again. Open, high, low and close are not changed by such a repeat.
 */
export interface PaneStats {
  open: number;
  /** Event time of the open tick. */
  openAt: number;
  high: number;
  low: number;
  close: number;
  /** Event time of the close tick. */
  closeAt: number;
  count: number;
}

export function statsOfTick(cents: number, eventTime: number): PaneStats {
  return { open: cents, openAt: eventTime, high: cents, low: cents, close: cents, closeAt: eventTime, count: 1 };
}

/** Folds one tick into `s` (in place); the tick comes later in the stream than every tick in `s`. */
export function addTick(s: PaneStats, cents: number, eventTime: number): void {
  if (eventTime < s.openAt) {
    s.open = cents;
    s.openAt = eventTime;
  }
  if (eventTime >= s.closeAt) {
    s.close = cents;
    s.closeAt = eventTime;
  }
  if (cents > s.high) s.high = cents;
  if (cents < s.low) s.low = cents;
  s.count++;
}

/** `stored` followed in the stream (same shard) by `later`; a new object. */
export function appendStats(stored: PaneStats | undefined, later: PaneStats): PaneStats {
  if (stored === undefined) return { ...later };
  const earlierOpen = later.openAt < stored.openAt;
  const laterClose = later.closeAt >= stored.closeAt;
  return {
    open: earlierOpen ? later.open : stored.open,
    openAt: earlierOpen ? later.openAt : stored.openAt,
    high: Math.max(stored.high, later.high),
    low: Math.min(stored.low, later.low),
    close: laterClose ? later.close : stored.close,
    closeAt: laterClose ? later.closeAt : stored.closeAt,
    count: stored.count + later.count,
  };
}

export interface ShardStats {
  shardId: string;
  stats: PaneStats;
}

/**
 * One pane of one instrument as the shards hold it, merged: open by (event time, shard id)
 * first, close by the same order last, high and low over all, counts added. Order-independent.
 */
export function mergeShardStats(parts: readonly ShardStats[]): PaneStats | undefined {
  let out: PaneStats | undefined;
  let openShard = "";
  let closeShard = "";
  for (const { shardId, stats } of parts) {
    if (out === undefined) {
      out = { ...stats };
      openShard = closeShard = shardId;
      continue;
    }
    if (stats.openAt < out.openAt || (stats.openAt === out.openAt && shardId < openShard)) {
      out.open = stats.open;
      out.openAt = stats.openAt;
      openShard = shardId;
    }
    if (stats.closeAt > out.closeAt || (stats.closeAt === out.closeAt && shardId > closeShard)) {
      out.close = stats.close;
      out.closeAt = stats.closeAt;
      closeShard = shardId;
    }
    if (stats.high > out.high) out.high = stats.high;
    if (stats.low < out.low) out.low = stats.low;
    out.count += stats.count;
  }
  return out;
}

/** Consecutive panes (oldest first) as one: open of the first, close of the last. */
export function mergeConsecutive(panes: readonly PaneStats[]): PaneStats | undefined {
  if (panes.length === 0) return undefined;
  const out = { ...panes[0]! };
  for (let i = 1; i < panes.length; i++) {
    const p = panes[i]!;
    out.close = p.close;
    out.closeAt = p.closeAt;
    if (p.high > out.high) out.high = p.high;
    if (p.low < out.low) out.low = p.low;
    out.count += p.count;
  }
  return out;
}
