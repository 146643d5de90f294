import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { compareSequenceNumbers, lowestSequenceNumber, sequenceKey, type PositionedTick } from "../kinesis/batch.js";
import { isConditionalCheckFailed } from "../conditional.js";
import { LATEST_COMPACTION, LATEST_SNAPSHOT_BUCKETS } from "../resources.js";
import { instrumentHash } from "../ticks/instrument.js";
import { bucketOf, completeEntries, fold, LOG_PK, maxSeq, rangesBeyondCuts, readLogRanges, readNewest, SNAP_PK, type Bucket, type LogEntry } from "./log-reads.js";
import { encodeLatestValues } from "./packed.js";
import { latestItemOf, type LatestItem, type LatestStore, type LatestWriteResult } from "./store.js";

/**
 * The Latest table as a log and a snapshot (docs/dynamodb.md, "Latest table").
 *
 * Writes: a batch of the latest consumer (one shard) appends ONE log entry holding the newest
 * tick of each of its instruments, packed (packed.ts): its cost follows the bytes that changed,
 * not the number of instruments. Every ten seconds or so one invocation (a lease decides which)
 * folds the log into the snapshot: 16 bucket items holding every instrument's newest tick, each
 * with the log position (per shard) it is complete up to: its cut.
 *
 * Reads: the snapshot buckets, then the log entries beyond the smallest cut of each shard (a
 * Query per shard, and one per gap between known shard ids for shards no cut names yet); the
 * API keeps what it read and then reads only the log after it (tail-reader.ts). The
 * newest tick of an instrument is the maximum in the order of order.ts over everything read, so
 * it does not matter in which order, or how often, entries and snapshots were written: a retried
 * or replayed batch adds an entry whose ticks are older than or equal to what is stored, and
 * changes nothing a reader sees. The order is the DynamoDB condition's of the per-instrument
 * layout (store.ts): an older tick never replaces a newer one.
 *
 * Why reads are complete: an entry's sort key carries the largest sequence number among its
 * ticks. A compaction takes every entry above the bucket's cut and raises the cut to the largest
 * key of the whole entries it read (every part read: an entry of more than 1,000 instruments is
 * written in parts, and when one fails the retry's entry can carry the same or, bisected, a
 * smaller key). An entry written later with a key at or below that cut can only be a retry of
 * records the shard had already delivered (new records have larger sequence numbers), whose
 * ticks the compacted entries already dominate. Entries expire (TTL) a day after they are
 * written; the windows timer also compacts (every minute), so the log is folded long before.
 *
 * Keys (pk, sk):
 *   "log",  "<shardId>#<max sequence number, 128 digits>#<min sequence number>#<part>": d (B), n (parts), expiresAt
 *   "snap", "b00" … "b15": d (B), cut (M: shard id -> sequence number), gen (N)
 *   "meta", "compaction": at (N): the lease, taken when the last compaction is old enough
 */
export interface LogLatestStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** How often the log is folded into the snapshot, ms (default LATEST_COMPACTION.everyMs). */
  compactEveryMs?: number;
  /** Compact after writes when due (the consumer); readers leave it to writers and the timer. */
  compactOnWrite?: boolean;
  clock?: () => number;
  /** Strongly consistent reads (compaction always uses them). */
  consistentReads?: boolean;
  /** Values per log item (default 1,000); smaller in tests of entries written in several parts. */
  valuesPerPart?: number;
}

export interface LogLatestStore extends LatestStore {
  has(instrument: string): Promise<boolean>;
  /** Folds the log into the snapshot if the last compaction is old enough; true if this one did. */
  compactIfDue(): Promise<boolean>;
}

const META_KEY = { pk: "meta", sk: "compaction" };
/** Values per log item: about 70 bytes each, so a part stays far below DynamoDB's 400 KB. */
const VALUES_PER_PART = 1000;
/** How long log entries are kept (TTL): a reader idle longer must start from the snapshot. */
export const LOG_TTL_SECONDS = 24 * 3600;

export function snapshotBucketOf(instrument: string): number {
  return instrumentHash(instrument) % LATEST_SNAPSHOT_BUCKETS;
}

function bucketKey(bucket: number): string {
  return `b${String(bucket).padStart(2, "0")}`;
}

export function createLogLatestStore(options: LogLatestStoreOptions): LogLatestStore {
  const { doc, tableName } = options;
  // Looked up at each call, so that a clock swapped in later (benchmarks, fake timers) counts.
  const clock = options.clock ?? (() => Date.now());
  const compactEveryMs = options.compactEveryMs ?? LATEST_COMPACTION.everyMs;
  const consistent = options.consistentReads ?? false;
  const valuesPerPart = options.valuesPerPart ?? VALUES_PER_PART;
  /** When this process last saw a compaction (its own or, from the lease, another's). */
  let lastCompactionSeen = Number.NEGATIVE_INFINITY;

  function readLog(cuts: ReadonlyMap<string, string>, consistentRead: boolean): Promise<LogEntry[]> {
    return readLogRanges(doc, tableName, rangesBeyondCuts(cuts), consistentRead);
  }

  async function readBucket(bucket: number): Promise<Bucket | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: SNAP_PK, sk: bucketKey(bucket) }, ConsistentRead: consistent }));
    return Item && bucketOf(Item);
  }

  async function takeLease(now: number): Promise<boolean> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: META_KEY,
          UpdateExpression: "SET #at = :now",
          ConditionExpression: "attribute_not_exists(#at) OR #at <= :due",
          ExpressionAttributeNames: { "#at": "at" },
          ExpressionAttributeValues: { ":now": now, ":due": now - compactEveryMs },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      lastCompactionSeen = now;
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const at = (err as { Item?: { at?: { N?: string } } }).Item?.at?.N;
      lastCompactionSeen = at === undefined ? now : Number(at);
      return false;
    }
  }

  async function compact(gen: number): Promise<void> {
    const { buckets, log } = await readNewest(doc, tableName, { snapshot: true, log: true });
    const byBucket = new Map<number, { values: Map<string, LatestItem>; cut: Map<string, string> }>();
    const target = (bucket: number) => {
      let b = byBucket.get(bucket);
      if (!b) byBucket.set(bucket, (b = { values: new Map(), cut: new Map() }));
      return b;
    };
    for (const b of buckets) {
      const t = target(b.bucket);
      fold(t.values, b.values);
      for (const [s, c] of b.cut) t.cut.set(s, c);
    }
    // Every bucket gets every entry beyond its own cut, and the cut rises to the whole entries read.
    const readUpTo = new Map<string, string>();
    for (const e of completeEntries(log)) readUpTo.set(e.shardId, maxSeq(readUpTo.get(e.shardId), e.maxSeq));
    for (const e of log) {
      for (const v of e.values) {
        const t = target(snapshotBucketOf(v.instrument));
        const cut = t.cut.get(e.shardId);
        if (cut === undefined || compareSequenceNumbers(e.maxSeq, cut) > 0) fold(t.values, [v]);
      }
    }
    for (const t of byBucket.values()) for (const [s, c] of readUpTo) t.cut.set(s, maxSeq(t.cut.get(s), c));
    await Promise.all(
      [...byBucket].map(async ([bucket, t]) => {
        try {
          await doc.send(
            new PutCommand({
              TableName: tableName,
              Item: { pk: SNAP_PK, sk: bucketKey(bucket), d: encodeLatestValues([...t.values.values()]), cut: Object.fromEntries(t.cut), gen },
              // A slower compaction that took an older lease does not put an older snapshot back.
              ConditionExpression: "attribute_not_exists(gen) OR gen < :gen",
              ExpressionAttributeValues: { ":gen": gen },
            }),
          );
        } catch (err) {
          if (!isConditionalCheckFailed(err)) throw err;
        }
      }),
    );
  }

  const store: LogLatestStore = {
    async writeLatest(entries: readonly PositionedTick[]): Promise<LatestWriteResult[]> {
      if (entries.length === 0) return [];
      const byShard = new Map<string, PositionedTick[]>();
      for (const e of entries) {
        const list = byShard.get(e.position.shardId);
        if (list) list.push(e);
        else byShard.set(e.position.shardId, [e]);
      }
      const results: LatestWriteResult[] = [];
      const expiresAt = Math.floor(clock() / 1000) + LOG_TTL_SECONDS;
      await Promise.all(
        [...byShard].map(async ([shardId, group]) => {
          const values = group.map(latestItemOf).sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
          let hi: string | undefined;
          for (const v of values) hi = maxSeq(hi, v.sequenceNumber);
          const lo = lowestSequenceNumber(values.map((v) => v.sequenceNumber));
          try {
            const parts = Math.ceil(values.length / valuesPerPart);
            for (let part = 0; part < parts; part++) {
              await doc.send(
                new PutCommand({
                  TableName: tableName,
                  Item: {
                    pk: LOG_PK,
                    sk: `${shardId}#${sequenceKey(hi!)}#${lo}#${part}`,
                    d: encodeLatestValues(values.slice(part * valuesPerPart, (part + 1) * valuesPerPart)),
                    n: parts,
                    expiresAt,
                  },
                }),
              );
            }
            for (const entry of group) results.push({ entry, status: "written" });
          } catch (error) {
            for (const entry of group) results.push({ entry, status: "failed", error });
          }
        }),
      );
      if (options.compactOnWrite !== false) await store.compactIfDue().catch(() => false);
      return results;
    },

    async compactIfDue() {
      const now = clock();
      if (now - lastCompactionSeen < compactEveryMs) return false;
      if (!(await takeLease(now))) return false;
      await compact(now);
      return true;
    },

    async listLatest() {
      return [...(await readNewest(doc, tableName, { snapshot: consistent, log: consistent })).newest.values()];
    },

    async getLatest(instrument) {
      const bucket = await readBucket(snapshotBucketOf(instrument));
      const found = new Map<string, LatestItem>();
      if (bucket) fold(found, bucket.values.filter((v) => v.instrument === instrument));
      for (const e of await readLog(bucket?.cut ?? new Map(), consistent)) {
        const cut = bucket?.cut.get(e.shardId);
        if (cut === undefined || compareSequenceNumbers(e.maxSeq, cut) > 0) fold(found, e.values.filter((v) => v.instrument === instrument));
      }
      return found.get(instrument) ?? null;
    },

    async has(instrument) {
      // Once folded, an instrument stays in its bucket: one small read answers in the common case.
      const bucket = await readBucket(snapshotBucketOf(instrument));
      if (bucket?.values.some((v) => v.instrument === instrument)) return true;
      return (await store.getLatest(instrument)) !== null;
    },
  };
  return store;
}
