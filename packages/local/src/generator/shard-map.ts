import { createHash } from "node:crypto";
import type { Shard } from "@aws-sdk/client-kinesis";

/**
 * Where Kinesis puts a partition key: the MD5 of its UTF-8 bytes, read as a 128-bit unsigned
 * integer, falls in one open shard's hash key range. The KPL predicts shards this way to pack
 * the records of one shard together.
 */

export interface ShardRange {
  shardId: string;
  /** Inclusive bounds of the shard's hash key range. */
  start: bigint;
  end: bigint;
}

export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash("md5").update(partitionKey, "utf8").digest("hex")}`);
}

/** The shard whose range holds the key's hash, or "" when none does (a map being resharded). */
export function shardOfKey(partitionKey: string, shards: readonly ShardRange[]): string {
  const hash = hashKeyOf(partitionKey);
  for (const s of shards) if (hash >= s.start && hash <= s.end) return s.shardId;
  return "";
}

/** The hash key ranges of a listing's open shards (a closed shard takes no new records). */
export function openShardRanges(shards: readonly Shard[]): ShardRange[] {
  return shards
    .filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber && s.HashKeyRange)
    .map((s) => ({
      shardId: s.ShardId!,
      start: BigInt(s.HashKeyRange!.StartingHashKey!),
      end: BigInt(s.HashKeyRange!.EndingHashKey!),
    }));
}
