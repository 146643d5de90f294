import { QueryCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { parseWindowRecord } from "@tickstream/core/windows/result";
// A namespace import: the State table's key helpers belong to the window engine, and a start
// must not fail to load should they change; an unknown claim layout is left alone instead.
import * as stateKeys from "@tickstream/core/windows/state-keys";

/**
 * After a crash: settles the emit claims the dead runtime held. The window engine claims a
 * window (a lease in the State table), puts its record on the windows stream, then marks the
 * claim emitted. A runtime killed between the claim and the mark leaves a claim that blocks the
 * window until its lease runs out, and then the window is put again if the record had gone out.
 *
 * Locally the runtime is the only writer, and this runs before any function does, so every
 * claim still open belongs to the dead run and its outcome can be read off the stream: a record
 * there means the put happened (mark the claim emitted, as the dead run would have); none means
 * it did not (give the claim back, so the next run emits the window at once). Either way each
 * window reaches the windows stream exactly once.
 */

/** Reads the stream from this long before the oldest open lease (leases last a minute). */
const LOOKBACK_MS = 15 * 60_000;

export interface SettleOutcome {
  /** Claims whose record was on the stream: now marked emitted. */
  marked: number;
  /** Claims whose record was not: given back. */
  released: number;
  /**
   * Open claims of a layout this does not know (it knows one claim per window and instrument):
   * left to expire.
   */
  unknown: number;
}

/** One emit claim per (window, instrument), sort key `<windowEnd:16>#<instrument>`. */
function windowKeyOf(): ((windowEnd: number, instrument: string) => string) | undefined {
  const fn = (stateKeys as Record<string, unknown>).windowKey;
  return typeof fn === "function" ? (fn as (end: number, instrument: string) => string) : undefined;
}

const EMIT_KIND = (stateKeys as { STATE_KINDS?: { emit?: string } }).STATE_KINDS?.emit ?? "emit";

interface OpenClaim {
  sk: string;
  leaseUntil: number;
}

async function openClaims(dynamodb: DynamoDBClient, table: string): Promise<OpenClaim[]> {
  const claims: OpenClaim[] = [];
  let startKey: Record<string, never> | undefined;
  do {
    const out = await dynamodb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "attribute_not_exists(emittedAt)",
        ExpressionAttributeValues: { ":pk": { S: EMIT_KIND } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      const sk = item.sk?.S;
      if (sk) claims.push({ sk, leaseUntil: Number(item.leaseUntil?.N ?? 0) });
    }
    startKey = out.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  return claims;
}

/** Keys (windowKey) of every window record on the stream that arrived at or after `since`. */
async function emittedKeys(
  kinesis: KinesisClient,
  stream: string,
  since: number,
  windowKey: (windowEnd: number, instrument: string) => string,
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
          keys.add(windowKey(w.windowEnd, w.instrument));
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
  windowsStream: string;
  now?: number;
}): Promise<SettleOutcome> {
  const outcome: SettleOutcome = { marked: 0, released: 0, unknown: 0 };
  const claims = await openClaims(options.dynamodb, options.stateTable);
  if (claims.length === 0) return outcome;
  const windowKey = windowKeyOf();
  if (!windowKey) {
    outcome.unknown = claims.length;
    return outcome;
  }
  const now = options.now ?? Date.now();
  const oldestLease = Math.min(...claims.map((c) => c.leaseUntil || now));
  const since = Math.max(0, Math.min(now, oldestLease) - LOOKBACK_MS);
  const onStream = await emittedKeys(options.kinesis, options.windowsStream, since, windowKey);
  for (const claim of claims) {
    const emitted = onStream.has(claim.sk);
    try {
      await options.dynamodb.send(
        new UpdateItemCommand({
          TableName: options.stateTable,
          Key: { pk: { S: EMIT_KIND }, sk: { S: claim.sk } },
          UpdateExpression: emitted ? "SET emittedAt = :v" : "SET leaseUntil = :v",
          ConditionExpression: "attribute_not_exists(emittedAt)",
          ExpressionAttributeValues: { ":v": { N: String(emitted ? now : 0) } },
        }),
      );
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") continue;
      throw err;
    }
    if (emitted) outcome.marked += 1;
    else outcome.released += 1;
  }
  return outcome;
}
