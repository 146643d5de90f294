import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { listShards } from "@tickstream/core/kinesis/shards";
import { DynamoWindowStore } from "@tickstream/core/windows/dynamo-store";
import { parseWindowRecord } from "@tickstream/core/windows/result";
import { settleOpenClaims } from "@tickstream/core/windows/settle";

/**
 * After a crash: settles the emit claims the dead runtime held. The window engine claims a
 * result item (a lease in the State table), puts its records on the windows stream, then marks
 * the claim emitted. A runtime killed between the claim and the mark leaves a claim that blocks
 * the item until its lease runs out, and then its records are put again if they had gone out.
 *
 * Locally the runtime is the only writer, and this runs before any function does, so every
 * claim still open belongs to the dead run and its outcome can be read off the stream
 * (core's windows/settle.ts decides: all records there, marked emitted; none, given back; some,
 * given back naming the rest). Either way each window reaches the windows stream exactly once.
 */

/** Reads the stream from this long before the oldest open lease (leases last a minute). */
const LOOKBACK_MS = 15 * 60_000;

export interface SettleOutcome {
  /** Claims whose records were all on the stream: now marked emitted. */
  marked: number;
  /** Claims whose records were not all there: given back. */
  released: number;
  /** Open claims of a layout this does not know (an older one): left to expire. */
  unknown: number;
}

const recordKey = (instrument: string, windowEnd: number) => `${instrument}@${windowEnd}`;

/** Keys (instrument, windowEnd) of every window record on the stream that arrived at or after `since`. */
async function emittedKeys(
  kinesis: KinesisClient,
  stream: string,
  since: number,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const shard of await listShards(kinesis, stream)) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId!,
          ShardIteratorType: "AT_TIMESTAMP",
          Timestamp: new Date(since),
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const out = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
      );
      for (const r of out.Records ?? []) {
        try {
          const w = parseWindowRecord(Buffer.from(r.Data!).toString("utf8"));
          keys.add(recordKey(w.instrument, w.windowEnd));
        } catch {
          // not a window record: nobody's claim
        }
      }
      if ((out.Records ?? []).length === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return keys;
}

export async function settleEmitClaims(options: {
  dynamodb: DynamoDBClient;
  kinesis: KinesisClient;
  stateTable: string;
  windowsTable: string;
  windowsStream: string;
  now?: number;
}): Promise<SettleOutcome> {
  const doc = DynamoDBDocumentClient.from(options.dynamodb);
  const store = new DynamoWindowStore({
    doc,
    tables: { panes: "", windows: options.windowsTable, state: options.stateTable },
    retentionHours: 1,
  });
  const { claims, otherLayout } = await store.listOpenClaims();
  const now = options.now ?? Date.now();
  if (claims.length === 0) return { marked: 0, released: 0, unknown: otherLayout };
  const oldestLease = Math.min(...claims.map((c) => c.leaseUntil || now));
  const since = Math.max(0, Math.min(now, oldestLease) - LOOKBACK_MS);
  const onStream = await emittedKeys(options.kinesis, options.windowsStream, since);
  const settled = await settleOpenClaims(
    store,
    claims,
    (instrument, windowEnd) => onStream.has(recordKey(instrument, windowEnd)),
    now,
  );
  return { ...settled, unknown: otherLayout };
}
