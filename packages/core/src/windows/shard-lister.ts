import { ListShardsCommand, type KinesisClient, type Shard } from "@aws-sdk/client-kinesis";

/**
 * The shards of the input stream the engine must wait for. A listed shard that has not
 * delivered an event time yet holds the watermark until it has been known for longer than the
 * idle timeout (watermark.ts), so that a cold start does not close windows on the word of the
 * shards that happened to report first.
 */
export interface ShardLister {
  /** Ids of the stream's open shards. */
  listShards(): Promise<string[]>;
}

/** A fixed list (tests, benchmarks). */
export class MemoryShardLister implements ShardLister {
  constructor(public shardIds: string[] = []) {}

  async listShards(): Promise<string[]> {
    return [...this.shardIds];
  }
}

/**
 * The open shards of a Kinesis stream (ListShards, every page; a shard is open while it has no
 * ending sequence number). Closed parents after resharding are left out: once fully read they
 * are idle like any caught-up shard.
 */
export function kinesisShardLister(kinesis: KinesisClient, streamName: string): ShardLister {
  return {
    async listShards() {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
        for (const shard of (out.Shards ?? []) as Shard[]) {
          if (shard.ShardId && !shard.SequenceNumberRange?.EndingSequenceNumber) ids.push(shard.ShardId);
        }
        token = out.NextToken;
      } while (token);
      return ids;
    },
  };
}

/**
 * Caches another lister's answer for `ttlMs` (per process: one Lambda container). When a
 * refresh fails the previous answer is kept; with none, the error is thrown.
 */
export function cachedShardLister(inner: ShardLister, ttlMs = 60_000, clock: () => number = Date.now): ShardLister {
  let cached: { ids: string[]; at: number } | undefined;
  return {
    async listShards() {
      const now = clock();
      if (cached && now - cached.at < ttlMs) return [...cached.ids];
      try {
        cached = { ids: await inner.listShards(), at: now };
      } catch (err) {
        if (!cached) throw err;
      }
      return [...cached.ids];
    },
  };
}
