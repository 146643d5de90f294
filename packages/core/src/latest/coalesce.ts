import type { PositionedTick } from "../kinesis/batch.js";
import { compareSequenceNumbers } from "../kinesis/batch.js";

/**
 * Folds a batch into one tick per instrument: the newest by event time; on equal event times
 * the one later in the stream (order.ts: shard id, sequence number, then subIndex within the
 * record); for the very same tick twice, the later occurrence in the batch. The result is what the consumer writes,
 * one conditional write per instrument instead of one per record.
 *
 * Pure and allocation-light (one Map entry per instrument): callable in process without AWS,
 * e.g. `coalesceLatest(decodeBatch(records).ticks)`. One entry per instrument, in the order the
 * instruments first appear in the batch.
 */
export function coalesceLatest(ticks: Iterable<PositionedTick>): PositionedTick[] {
  // One lookup per tick: a newer tick replaces the slot's entry rather than the map's.
  const slots = new Map<string, { entry: PositionedTick }>();
  for (const entry of ticks) {
    const slot = slots.get(entry.tick.instrument);
    if (slot === undefined) slots.set(entry.tick.instrument, { entry });
    else if (!isOlder(entry, slot.entry)) slot.entry = entry;
  }
  return Array.from(slots.values(), (slot) => slot.entry);
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
