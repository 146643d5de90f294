import fc from "fast-check";
import { cutBatches, prng, shardStreamsArb, type ShardStream, type StreamRecord } from "../test-support.js";

export interface DeliveryLimits {
  /** Records per shard and shards, at most (shardStreamsArb). */
  maxRecords: number;
  maxShards?: number;
  /** Batch sizes from 1 to `maxBatch`, up to `maxSizes` of them, cycled over each shard. */
  maxBatch: number;
  maxSizes: number;
  /** Up to `maxReplays` replays of 1 to `maxReplay` records each. */
  maxReplay: number;
  maxReplays: number;
}

/** Shards, how their records are cut into batches, slices delivered again, and a seed. */
export interface StreamCuts {
  streams: ShardStream[];
  sizes: number[];
  /** [shard pick, start, length]: taken modulo the shards and the shard's records. */
  replays: Array<[number, number, number]>;
  seed: number;
}

export function streamCutsArb(limits: DeliveryLimits): fc.Arbitrary<StreamCuts> {
  return fc.record({
    streams: shardStreamsArb(limits.maxRecords, limits.maxShards),
    sizes: fc.array(fc.integer({ min: 1, max: limits.maxBatch }), { minLength: 1, maxLength: limits.maxSizes }),
    replays: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: limits.maxReplay })), { maxLength: limits.maxReplays }),
    seed: fc.integer(),
  });
}

/**
 * Batches as the event source mapping may hand them over, shard order lost: every shard cut into
 * batches, plus the replayed slices (duplicates, retries), in an arrival order drawn from the seed.
 */
export function shuffledDeliveries({ streams, sizes, replays, seed }: StreamCuts): StreamRecord[][] {
  const deliveries: StreamRecord[][] = [];
  for (const s of streams) for (const [a, b] of cutBatches(s.records.length, sizes)) deliveries.push(s.records.slice(a, b));
  for (const [pick, start, len] of replays) {
    const shard = streams[pick % streams.length]!;
    const from = start % shard.records.length;
    deliveries.push(shard.records.slice(from, from + len));
  }
  const rnd = prng(seed);
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  return deliveries;
}
