import type { Shard } from "@aws-sdk/client-kinesis";
import type { CheckpointStore } from "./checkpoint.js";

/**
 * Which shards of a listing a reader of the stream may start on, as Lambda and Firehose follow
 * resharding: a shard closed by SplitShard or MergeShards is read to its end first, and its
 * children only once it (both parents, for a merge) has been dealt with entirely, so that the
 * records of a partition key are read in order. Shards found finished in their checkpoint are
 * added to `finished`.
 */
export async function shardsToStart(
  shards: readonly Shard[],
  reader: {
    /** The shard has a reader already. */
    reading: (shardId: string) => boolean;
    /** Shards closed by a reshard and dealt with entirely (in this run or an earlier one). */
    finished: Set<string>;
    checkpoints: CheckpointStore;
  },
): Promise<string[]> {
  const ids = new Set(shards.flatMap((s) => (s.ShardId ? [s.ShardId] : [])));
  const ready: string[] = [];
  for (const shard of shards) {
    const id = shard.ShardId;
    if (!id || reader.reading(id) || reader.finished.has(id)) continue;
    if (await reader.checkpoints.isFinished(id)) {
      reader.finished.add(id);
      continue;
    }
    // A parent no longer listed has aged out of the stream: nothing of it is left to read.
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
      (p): p is string => !!p && ids.has(p),
    );
    if (parents.every((p) => reader.finished.has(p))) ready.push(id);
  }
  return ready;
}
