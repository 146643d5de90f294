import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { PositionedTick } from "../kinesis/batch.js";
import { sequenceKey } from "../kinesis/batch.js";
import { queryAll } from "../query-all.js";
import { LATEST_PARTITIONS } from "../resources.js";
import { instrumentHash } from "../ticks/instrument.js";
import { isConditionalCheckFailed } from "../conditional.js";

/**
 * The Latest table: one item per instrument holding its newest tick.
 *
 * Keys (docs/architecture.md, docs/dynamodb.md): pk = `latest#<n>` with
 * n = FNV-1a(instrument) mod LATEST_PARTITIONS, sk = instrument. Writes for many instruments
 * spread over the partitions; listing everything is LATEST_PARTITIONS Queries, never a Scan.
 *
 * Writes are one PutItem per instrument per batch, conditional on the stored tick being older
 * in the order of `order.ts` (eventTime, shardId, sequence number, subIndex):
 *
 *   attribute_not_exists(pk) OR eventTime < :t
 *     OR (eventTime = :t AND (shardId < :shard OR (shardId = :shard AND (seqKey < :seqKey
 *       OR (seqKey = :seqKey AND sub < :sub)))))
 *
 * Item attributes: pk, sk, instrument, priceCents, pricesCents (list), level, eventTime,
 * receivedAt, arrivalTime (epoch ms), shardId, seq (the sequence number as Kinesis gave it),
 * seqKey: the sequence number zero-padded to 128 digits so that DynamoDB's string order is
 * the numeric order, and sub: the tick's subIndex within its record. Items written before
 * records could hold many ticks lack `sub` (a comparison with a missing attribute is false);
 * they came from one-tick records, so a later write with their sequence number is that same
 * tick again, refused as before, and is read back as subIndex 0. A ConditionalCheckFailed
 * answer means a newer (or the same) tick is already stored: that is success ("stale"), not an
 * error. Because the same tick never rewrites itself, a retried or replayed batch issues writes
 * that all fail their condition and change nothing. Items hold only values taken from the
 * record (no processing time), so even a write that does pass stores exactly what a first run
 * would have stored.
 */

export interface LatestItem {
  instrument: string;
  /** price_0 (or PRICE), integer cents. */
  priceCents: number;
  /** All price levels, integer cents. */
  pricesCents: number[];
  level: number | null;
  /** Event time, epoch ms. */
  eventTime: number;
  /** Upstream reception time, epoch ms; null for formats without one. */
  receivedAt: number | null;
  /** Kinesis arrival time of the record, epoch ms. */
  arrivalTime: number;
  shardId: string;
  sequenceNumber: string;
  /** The tick's place in its record (StreamPosition.subIndex). */
  subIndex: number;
}

export type LatestWriteStatus = "written" | "stale" | "failed";

export interface LatestWriteResult {
  entry: PositionedTick;
  status: LatestWriteStatus;
  error?: unknown;
}

export interface LatestWriter {
  /** One conditional write per entry (one entry per instrument). Never rejects. */
  writeLatest(entries: readonly PositionedTick[]): Promise<LatestWriteResult[]>;
}

export interface LatestReader {
  /** Every instrument's latest tick (order unspecified). */
  listLatest(): Promise<LatestItem[]>;
  getLatest(instrument: string): Promise<LatestItem | null>;
  /** Whether the instrument has a latest tick, when a store can tell more cheaply than getLatest. */
  has?(instrument: string): Promise<boolean>;
}

export type LatestStore = LatestWriter & LatestReader;

export function latestPartition(instrument: string): number {
  return instrumentHash(instrument) % LATEST_PARTITIONS;
}

export function latestPk(partition: number): string {
  return `latest#${partition}`;
}

export function latestKey(instrument: string): { pk: string; sk: string } {
  return { pk: latestPk(latestPartition(instrument)), sk: instrument };
}

export function latestItemOf(entry: PositionedTick): LatestItem {
  const { tick, position } = entry;
  return {
    instrument: tick.instrument,
    priceCents: tick.pricesCents[0]!,
    pricesCents: tick.pricesCents,
    level: tick.level,
    eventTime: tick.eventTime,
    receivedAt: tick.receivedAt,
    arrivalTime: position.arrivalTime,
    shardId: position.shardId,
    sequenceNumber: position.sequenceNumber,
    subIndex: position.subIndex,
  };
}

export const LATEST_CONDITION =
  "attribute_not_exists(#pk) OR #t < :t OR (#t = :t AND (#shard < :shard OR (#shard = :shard AND (#seqKey < :seqKey OR (#seqKey = :seqKey AND #sub < :sub)))))";

/** The PutItem input for one instrument's newest tick of a batch. */
export function latestPutInput(tableName: string, entry: PositionedTick) {
  const item = latestItemOf(entry);
  return {
    TableName: tableName,
    Item: {
      ...latestKey(item.instrument),
      instrument: item.instrument,
      priceCents: item.priceCents,
      pricesCents: item.pricesCents,
      level: item.level,
      eventTime: item.eventTime,
      receivedAt: item.receivedAt,
      arrivalTime: item.arrivalTime,
      shardId: item.shardId,
      seq: item.sequenceNumber,
      seqKey: sequenceKey(item.sequenceNumber),
      sub: item.subIndex,
    },
    ConditionExpression: LATEST_CONDITION,
    ExpressionAttributeNames: { "#pk": "pk", "#t": "eventTime", "#shard": "shardId", "#seqKey": "seqKey", "#sub": "sub" },
    ExpressionAttributeValues: {
      ":t": item.eventTime,
      ":shard": item.shardId,
      ":seqKey": sequenceKey(item.sequenceNumber),
      ":sub": item.subIndex,
    },
  };
}

function toLatestItem(raw: Record<string, unknown>): LatestItem {
  return {
    instrument: String(raw.instrument ?? raw.sk),
    priceCents: Number(raw.priceCents),
    pricesCents: Array.isArray(raw.pricesCents) ? raw.pricesCents.map(Number) : [Number(raw.priceCents)],
    level: raw.level === null || raw.level === undefined ? null : Number(raw.level),
    eventTime: Number(raw.eventTime),
    receivedAt: raw.receivedAt === null || raw.receivedAt === undefined ? null : Number(raw.receivedAt),
    arrivalTime: Number(raw.arrivalTime),
    shardId: String(raw.shardId),
    sequenceNumber: String(raw.seq),
    subIndex: typeof raw.sub === "number" ? raw.sub : 0,
  };
}

/** Runs `fn` over items with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface DynamoLatestStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Conditional writes in flight at once (default 16). */
  concurrency?: number;
}

export function createDynamoLatestStore(options: DynamoLatestStoreOptions): LatestStore {
  const { doc, tableName } = options;
  const concurrency = options.concurrency ?? 16;

  return {
    async writeLatest(entries) {
      return mapLimit(entries, concurrency, async (entry): Promise<LatestWriteResult> => {
        try {
          await doc.send(new PutCommand(latestPutInput(tableName, entry)));
          return { entry, status: "written" };
        } catch (error) {
          if (isConditionalCheckFailed(error)) return { entry, status: "stale" };
          return { entry, status: "failed", error };
        }
      });
    },

    async listLatest() {
      const partitions = Array.from({ length: LATEST_PARTITIONS }, (_, n) => n);
      const pages = await Promise.all(
        partitions.map(async (n) => {
          const items = await queryAll(doc, {
            TableName: tableName,
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": "pk" },
            ExpressionAttributeValues: { ":pk": latestPk(n) },
          });
          return items.map(toLatestItem);
        }),
      );
      return pages.flat();
    },

    async getLatest(instrument) {
      const out = await doc.send(new GetCommand({ TableName: tableName, Key: latestKey(instrument) }));
      return out.Item ? toLatestItem(out.Item) : null;
    },
  };
}
