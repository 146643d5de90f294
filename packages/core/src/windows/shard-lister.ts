import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "../kinesis/shards.js";

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
      const shards = await listShards(kinesis, streamName);
      return shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).flatMap((s) => (s.ShardId ? [s.ShardId] : []));
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
