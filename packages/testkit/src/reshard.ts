import { MergeShardsCommand, SplitShardCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { waitStreamActive } from "./provision.js";

/**
 * Resharding for tests of the stream's readers (the event source mapping, the archive, the
 * consume tool): each call returns once the stream is ACTIVE again, as a reader would find it.
 */

/** Splits `shardId` (default: the first listed) at the middle of its hash range; returns where. */
export async function splitShard(kinesis: KinesisClient, stream: string, shardId?: string): Promise<{ parent: string; mid: bigint }> {
  const shards = await listShards(kinesis, stream);
  const parent = shardId === undefined ? shards[0] : shards.find((s) => s.ShardId === shardId);
  if (!parent?.ShardId || !parent.HashKeyRange) throw new Error(`no shard ${shardId ?? "at all"} in ${stream}`);
  const mid = (BigInt(parent.HashKeyRange.StartingHashKey!) + BigInt(parent.HashKeyRange.EndingHashKey!)) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent.ShardId, NewStartingHashKey: mid.toString() }));
  await waitStreamActive(kinesis, stream, 10_000);
  return { parent: parent.ShardId, mid };
}

/** The open child of a split that starts at `mid` (its upper half). */
export async function upperChild(kinesis: KinesisClient, stream: string, split: { parent: string; mid: bigint }): Promise<string> {
  const child = (await listShards(kinesis, stream)).find(
    (s) => s.ParentShardId === split.parent && BigInt(s.HashKeyRange!.StartingHashKey!) === split.mid,
  );
  if (!child?.ShardId) throw new Error(`no child of ${split.parent} starting at ${split.mid}`);
  return child.ShardId;
}

/** Merges two shards of adjacent hash ranges. */
export async function mergeShards(kinesis: KinesisClient, stream: string, shard: string, adjacent: string): Promise<void> {
  await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shard, AdjacentShardToMerge: adjacent }));
  await waitStreamActive(kinesis, stream, 10_000);
}
