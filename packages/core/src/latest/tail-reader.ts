import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { completeEntries, cursorsAtCuts, fold, rangesAfter, readLogRanges, readNewest, type LogEntry } from "./log-reads.js";
import { createLogLatestStore, LOG_TTL_SECONDS } from "./log-store.js";
import type { LatestItem, LatestReader } from "./store.js";

/**
 * A reader of the Latest log and snapshot (log-store.ts) that keeps what it read: the newest
 * tick of every instrument and, per shard, a cursor (the sort key of the last whole log entry
 * it read). Created once per process (the API's Lambda container), it answers a request by
 * reading only the log entries written since its last one: one strongly consistent Query per
 * shard from its cursor to the next shard's first key, which also covers the entries of shards
 * it has no cursor for (a reshard's children, whose ids lie between or after the known ones),
 * and one for the keys before the first shard. Folded in the order of order.ts, like every
 * reader of the table: an older tick never replaces a newer one, whatever order entries come in.
 *
 * Why the tail is complete: the log entries of a shard are written one batch at a time, in
 * sequence order (parallelization factor 1), and a new entry's key carries a sequence number
 * larger than every earlier record's. A cursor moves only past whole entries (every part read,
 * log-reads.ts completeEntries). An entry written later with a key at or below a cursor is
 * then a retry or replay of records whose write had succeeded (a single-part entry is written
 * all or nothing), or the first half of a bisected batch whose whole entry had been written:
 * its ticks are older than or the same as the ticks read. A retry after a failed write comes
 * after the cursor (its records are past the last written entry), and so does the part of a
 * batch written in parts once its retry is whole. The reads are strongly consistent, so an
 * entry is seen by the first request that starts after its write returned.
 *
 * The snapshot is read again, starting over from its cuts, on the first request of a process
 * and whenever the last read of it is `snapshotEveryMs` old (default a minute; it may not exceed
 * the log's retention, a day: a process idle longer starts from the snapshot, never from a
 * cursor whose log expired). That also bounds how long anything a cursor could have skipped
 * stays unseen: an entry written while a Query passed its place in the key order, which the
 * fold (log-store.ts) reads under the same argument.
 *
 * Instrument routes use the same view: an instrument once seen stays known without a read; an
 * unknown one is looked for in the log since the cursors while the view is fresh, and with the
 * store's small bucket read (no full read) while it is not.
 */
export interface TailLatestReaderOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  clock?: () => number;
  /** The longest time the view goes without reading the snapshot again, ms (default 60,000). */
  snapshotEveryMs?: number;
}

export interface TailLatestReader extends LatestReader {
  has(instrument: string): Promise<boolean>;
}

export const TAIL_SNAPSHOT_EVERY_MS = 60_000;

interface View {
  items: Map<string, LatestItem>;
  /** Shard id -> every log key of the shard up to this one has been read (exclusive lower bound of the next read). */
  cursors: Map<string, string>;
  /** When the snapshot was last read (the clock before the read). */
  snapshotAt: number;
}

/** Moves each shard's cursor to the largest key of the whole entries read. */
function advance(cursors: Map<string, string>, log: readonly LogEntry[]): void {
  for (const e of completeEntries(log)) {
    const cursor = cursors.get(e.shardId);
    if (cursor === undefined || e.sk > cursor) cursors.set(e.shardId, e.sk);
  }
}

export function createTailLatestReader(options: TailLatestReaderOptions): TailLatestReader {
  const { doc, tableName } = options;
  const clock = options.clock ?? (() => Date.now());
  const snapshotEveryMs = options.snapshotEveryMs ?? TAIL_SNAPSHOT_EVERY_MS;
  if (!(snapshotEveryMs > 0 && snapshotEveryMs <= LOG_TTL_SECONDS * 1000)) {
    throw new Error(`snapshotEveryMs must be above 0 and at most the log's retention (${LOG_TTL_SECONDS * 1000} ms), got ${snapshotEveryMs}`);
  }
  // Cold answers for one instrument: its snapshot bucket, not the whole snapshot.
  const store = createLogLatestStore({ doc, tableName, clock, compactOnWrite: false });
  let view: View | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const fresh = (v: View | undefined): v is View => v !== undefined && clock() - v.snapshotAt < snapshotEveryMs;

  async function fromSnapshot(): Promise<View> {
    const snapshotAt = clock();
    // Built afresh, not folded into the previous view: the snapshot and the log beyond its cuts
    // hold every tick written, and a table emptied to be replayed (npm run replay) must empty
    // the view too, within one refresh. The log is read strongly consistent, as the tail.
    const { cuts, log, newest: items } = await readNewest(doc, tableName, { snapshot: false, log: true });
    const cursors = cursorsAtCuts(cuts);
    advance(cursors, log);
    return { items, cursors, snapshotAt };
  }

  async function tail(v: View): Promise<View> {
    const log = await readLogRanges(doc, tableName, rangesAfter(v.cursors), true);
    // Applied only once every read succeeded: a failed request leaves the view as it was.
    for (const e of log) fold(v.items, e.values);
    advance(v.cursors, log);
    return v;
  }

  /** The view with every entry written before the call; one refresh at a time. */
  function refresh(): Promise<View> {
    const run = queue.then(async () => (view = fresh(view) ? await tail(view) : await fromSnapshot()));
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    async listLatest() {
      return [...(await refresh()).items.values()];
    },
    async getLatest(instrument) {
      if (!fresh(view)) return store.getLatest(instrument);
      return (await refresh()).items.get(instrument) ?? null;
    },
    async has(instrument) {
      if (view?.items.has(instrument)) return true;
      if (!fresh(view)) return store.has(instrument);
      return (await refresh()).items.has(instrument);
    },
  };
}
