import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { compareSequenceNumbers, lowestSequenceNumber, sequenceKey } from "../kinesis/batch.js";
import { queryAll } from "../query-all.js";
import { compareLatestOrder } from "./order.js";
import { decodeLatestValues } from "./packed.js";
import type { LatestItem } from "./store.js";

/**
 * Reads of the Latest log and snapshot (layout in log-store.ts), shared by the store (its full
 * reads and the fold) and the API's tailing reader (tail-reader.ts).
 */

export const LOG_PK = "log";
export const SNAP_PK = "snap";

type Item = Record<string, unknown>;

export interface LogEntry {
  shardId: string;
  /** The item's sort key. */
  sk: string;
  /** Largest sequence number among the entry's ticks. */
  maxSeq: string;
  /** The sort key without its part number: the items of one written entry share it. */
  group: string;
  part: number;
  /** How many parts the entry was written in (1 for items written before parts were counted). */
  parts: number;
  values: LatestItem[];
}

export interface Bucket {
  bucket: number;
  cut: Map<string, string>;
  values: LatestItem[];
}

/** Keeps the newest tick per instrument (order.ts). */
export function fold(into: Map<string, LatestItem>, values: Iterable<LatestItem>): void {
  for (const v of values) {
    const stored = into.get(v.instrument);
    if (stored === undefined || compareLatestOrder(stored, v) < 0) into.set(v.instrument, v);
  }
}

export function maxSeq(a: string | undefined, b: string): string {
  return a === undefined || compareSequenceNumbers(b, a) > 0 ? b : a;
}

/** A snapshot bucket item ("b00" … "b15") as read. */
export function bucketOf(item: Item): Bucket | undefined {
  if (!(item.d instanceof Uint8Array)) return undefined;
  return {
    bucket: Number(String(item.sk).slice(1)),
    cut: new Map(Object.entries((item.cut ?? {}) as Record<string, string>)),
    values: decodeLatestValues(item.d),
  };
}

export async function readSnapshot(doc: DynamoDBDocumentClient, tableName: string, consistentRead: boolean): Promise<Bucket[]> {
  const items = await queryAll(doc, {
    TableName: tableName,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": SNAP_PK },
    ConsistentRead: consistentRead,
  });
  return items.flatMap((item) => bucketOf(item) ?? []);
}

function logEntryOf(item: Item): LogEntry | undefined {
  if (!(item.d instanceof Uint8Array)) return undefined;
  const sk = String(item.sk);
  const [shardId, key] = sk.split("#") as [string, string];
  const counted = typeof item.n === "number";
  return {
    shardId,
    sk,
    maxSeq: BigInt(key).toString(),
    group: counted ? sk.slice(0, sk.lastIndexOf("#")) : sk,
    part: counted ? Number(sk.slice(sk.lastIndexOf("#") + 1)) : 0,
    parts: counted ? (item.n as number) : 1,
    values: decodeLatestValues(item.d),
  };
}

/** Log entries with a sort key in each [from, to] range (inclusive), strongly consistent or not. */
export async function readLogRanges(doc: DynamoDBDocumentClient, tableName: string, ranges: readonly (readonly [string, string])[], consistentRead: boolean): Promise<LogEntry[]> {
  const pages = await Promise.all(
    ranges.map(([a, b]) =>
      queryAll(doc, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":pk": LOG_PK, ":a": a, ":b": b },
        ConsistentRead: consistentRead,
      }),
    ),
  );
  return pages.flat().flatMap((item) => logEntryOf(item) ?? []);
}

/**
 * A cursor just past every log key of `shard` with sequence number `cut` or lower: keys are
 * "<shard>#<128-digit sequence number>#<digits>...", and "~" sorts above every digit.
 */
export function cursorAtCut(shard: string, cut: string): string {
  return `${shard}#${sequenceKey(cut)}#~`;
}

/**
 * Key ranges of the log entries after each cursor, and of every entry of the shards no cursor
 * names: one Query per cursor plus one. A key is a shard id, "#" and digits, so `cursor + " "`
 * is the smallest string above the cursor and below every larger key; "<next shard>#" is below
 * every key of the next shard and above every key of a shard id sorting between the two.
 */
export function rangesAfter(cursors: ReadonlyMap<string, string>): [string, string][] {
  const shards = [...cursors.keys()].sort();
  const ranges: [string, string][] = [["!", shards.length > 0 ? `${shards[0]}#` : "~"]];
  shards.forEach((shard, i) => ranges.push([`${cursors.get(shard)} `, i + 1 < shards.length ? `${shards[i + 1]}#` : "~"]));
  return ranges;
}

/** Each shard's cursor at its cut (see cursorAtCut). */
export function cursorsAtCuts(cuts: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...cuts].map(([shard, cut]) => [shard, cursorAtCut(shard, cut)]));
}

/**
 * Ranges of log entries beyond `cuts` (per shard: the entries with a larger sequence number),
 * and of every entry of the shards `cuts` does not name.
 */
export function rangesBeyondCuts(cuts: ReadonlyMap<string, string>): [string, string][] {
  return rangesAfter(cursorsAtCuts(cuts));
}

/**
 * Every instrument's newest tick: the snapshot buckets with the log entries beyond their
 * lowest cuts, folded. Any version of a bucket is complete up to its own cut, so the snapshot
 * may be read eventually consistent while the log is read strongly consistent.
 */
export async function readNewest(
  doc: DynamoDBDocumentClient,
  tableName: string,
  consistent: { snapshot: boolean; log: boolean },
): Promise<{ buckets: Bucket[]; cuts: Map<string, string>; log: LogEntry[]; newest: Map<string, LatestItem> }> {
  const buckets = await readSnapshot(doc, tableName, consistent.snapshot);
  const cuts = lowestCuts(buckets);
  const log = await readLogRanges(doc, tableName, rangesBeyondCuts(cuts), consistent.log);
  const newest = new Map<string, LatestItem>();
  for (const b of buckets) fold(newest, b.values);
  for (const e of log) fold(newest, e.values);
  return { buckets, cuts, log, newest };
}

/** The smallest cut of each shard over the buckets (a shard missing from one bucket: none). */
export function lowestCuts(buckets: readonly Bucket[]): Map<string, string> {
  const out = new Map<string, string>();
  const shards = new Set(buckets.flatMap((b) => [...b.cut.keys()]));
  for (const shard of shards) {
    const cuts = buckets.map((b) => b.cut.get(shard));
    if (cuts.every((c): c is string => c !== undefined)) out.set(shard, lowestSequenceNumber(cuts)!);
  }
  return out;
}

/**
 * The entries read whose every part was read too. Only these may move a cut or a cursor past
 * them: a part of an entry whose other part failed to be written is superseded by the retry,
 * which can carry the same largest sequence number, or a smaller one when the batch was bisected.
 */
export function completeEntries(entries: readonly LogEntry[]): LogEntry[] {
  const parts = new Map<string, Set<number>>();
  for (const e of entries) {
    const seen = parts.get(e.group);
    if (seen) seen.add(e.part);
    else parts.set(e.group, new Set([e.part]));
  }
  return entries.filter((e) => parts.get(e.group)!.size >= e.parts);
}
