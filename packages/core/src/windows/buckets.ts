import { WINDOW_BUCKETS } from "../resources.js";
import { instrumentHash } from "../ticks/instrument.js";

/**
 * Instruments are packed into a fixed number of buckets (resources.ts WINDOW_BUCKETS): a pane
 * item, a result item and an emit claim each cover one bucket. More buckets mean smaller
 * items (cheaper reads of one instrument, more write requests); fewer mean larger ones.
 * Writers and readers must agree on the count: changing it needs empty Panes, Windows and
 * State tables (docs/dynamodb.md).
 */
export function bucketOf(instrument: string, buckets: number = WINDOW_BUCKETS): number {
  return instrumentHash(instrument) % buckets;
}

export function allBuckets(buckets: number = WINDOW_BUCKETS): number[] {
  return Array.from({ length: buckets }, (_, b) => b);
}
