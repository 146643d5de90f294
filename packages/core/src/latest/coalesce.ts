import type { PositionedTick } from "../kinesis/batch.js";
import { compareSequenceNumbers } from "../kinesis/batch.js";

/**
 * Folds a batch into one tick per instrument: the newest by event time; on equal event times
 * the one later in the stream (order.ts: shard id, sequence number, then subIndex within the
 * record); for the very same tick twice, the later occurrence in the batch. The result is what the consumer writes,
 * one conditional write per instrument instead of one per record.
 *
 * Pure and allocation-light (one Map entry per instrument): callable in process without AWS,
 * e.g. `coalesceLatest(decodeBatch(records).ticks)`.
 */
export function coalesceLatest(ticks: Iterable<PositionedTick>): Map<string, PositionedTick> {
  const newest = new Map<string, PositionedTick>();
  for (const entry of ticks) {
    const current = newest.get(entry.tick.instrument);
    if (current === undefined || !isOlder(entry, current)) newest.set(entry.tick.instrument, entry);
  }
  return newest;
}

/** True when `a` sorts strictly before `b` (so `b` stays). */
function isOlder(a: PositionedTick, b: PositionedTick): boolean {
  const ta = a.tick.eventTime;
  const tb = b.tick.eventTime;
  if (ta !== tb) return ta < tb;
  const sa = a.position.shardId;
  const sb = b.position.shardId;
  if (sa !== sb) return sa < sb;
  const bySequence = compareSequenceNumbers(a.position.sequenceNumber, b.position.sequenceNumber);
  return bySequence !== 0 ? bySequence < 0 : a.position.subIndex < b.position.subIndex;
}
