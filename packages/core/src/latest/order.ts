import type { StreamPosition } from "../tick.js";
import { compareSequenceNumbers } from "../kinesis/batch.js";

/**
 * The order that decides which tick is "the latest" of an instrument.
 *
 * 1. Larger event time wins: an older tick arriving later never replaces a newer one.
 * 2. Equal event times, same shard: the larger Kinesis sequence number wins. A shard is
 *    processed in sequence order, so this is "the one processed later wins", and it stays true
 *    under retries and replays: replaying an older record of the shard does not make it win.
 * 3. Equal event times, different shards: the larger shard id wins. Between shards there is no
 *    processing order that survives a replay (either shard may be replayed alone), so the tie is
 *    broken by a fixed rule instead, which keeps every replay a no-op. Shard ids grow with
 *    resharding (children get higher ids than their parent and are read after it), so after a
 *    split or merge the rule again favours the records read later.
 * 4. Equal event times, same record (same shard and sequence number): the larger subIndex
 *    wins. Ticks of one record (KPL sub-records, lines) share its sequence number; the later
 *    one in the record is the one the producer wrote later.
 * 5. The very same tick (same shard, sequence number and subIndex) is not written again: a
 *    retried or replayed record changes nothing.
 *
 * The DynamoDB condition in `store.ts` encodes the same order; the in-memory store in
 * `memory-store.ts` uses this function.
 */

export interface Ordered {
  eventTime: number;
  shardId: string;
  sequenceNumber: string;
  subIndex: number;
}

/** Negative when a sorts before b (b is newer), positive when a is newer, 0 for the same tick. */
export function compareLatestOrder(a: Ordered, b: Ordered): number {
  if (a.eventTime !== b.eventTime) return a.eventTime - b.eventTime;
  if (a.shardId !== b.shardId) return a.shardId < b.shardId ? -1 : 1;
  const bySequence = compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber);
  return bySequence !== 0 ? bySequence : a.subIndex - b.subIndex;
}

export function orderOf(eventTime: number, position: StreamPosition): Ordered {
  return { eventTime, shardId: position.shardId, sequenceNumber: position.sequenceNumber, subIndex: position.subIndex };
}
