import { instrumentsToPut } from "./closer.js";
import type { DynamoWindowStore, OpenClaim } from "./dynamo-store.js";

/**
 * Settling the emit claims of a run that died (the local runtime does this at its next start,
 * when it is the only writer). A claim covers the records of one result item; each of them is
 * either on the `windows` stream or not. All of them there: the claim is marked emitted, as the
 * dead run would have done. None: it is given back, so the next emission puts them at once.
 * Some: it is given back naming the instruments still to put. Every record then reaches the
 * stream exactly once.
 */
export interface SettleOutcome {
  /** Claims whose records were all on the stream: now marked emitted. */
  marked: number;
  /** Claims given back (with what is left to put, if part went out). */
  released: number;
}

/** Settles `claims` (from store.listOpenClaims, read once by the caller). */
export async function settleOpenClaims(
  store: DynamoWindowStore,
  claims: readonly OpenClaim[],
  onStream: (instrument: string, windowEnd: number) => boolean,
  now: number,
): Promise<SettleOutcome> {
  const outcome: SettleOutcome = { marked: 0, released: 0 };
  for (const claim of claims) {
    const [item] = await store.readBucketResults(claim.bucket, claim.windowStart, claim.windowStart);
    const instruments = item ? instrumentsToPut(item, claim.left) : [];
    const missing = instruments.filter((i) => !onStream(i, claim.windowEnd));
    if (missing.length === 0) {
      if (await store.settleClaim(claim, { emitted: true, now })) outcome.marked += 1;
    } else if (await store.settleClaim(claim, { emitted: false, ...(missing.length < instruments.length ? { left: missing } : {}) })) {
      outcome.released += 1;
    }
  }
  return outcome;
}
