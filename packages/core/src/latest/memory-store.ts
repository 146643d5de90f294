import type { PositionedTick } from "../kinesis/batch.js";
import { compareLatestOrder } from "./order.js";
import { latestItemOf, type LatestItem, type LatestStore, type LatestWriteResult } from "./store.js";

/**
 * An in-memory Latest table with the same conditional semantics as the DynamoDB store
 * (order.ts): for property tests, benchmarks and tools that run without AWS.
 */
export interface MemoryLatestStore extends LatestStore {
  /** Current items by instrument. */
  readonly items: ReadonlyMap<string, LatestItem>;
  /** Writes attempted so far (each write is one PutItem in DynamoDB). */
  readonly writesIssued: number;
}

export interface MemoryLatestStoreOptions {
  /** Makes the write of an instrument fail (injected fault), e.g. to test partial failures. */
  failOn?: (entry: PositionedTick) => boolean;
}

export function createMemoryLatestStore(options: MemoryLatestStoreOptions = {}): MemoryLatestStore {
  const items = new Map<string, LatestItem>();
  let writesIssued = 0;
  return {
    items,
    get writesIssued() {
      return writesIssued;
    },
    async writeLatest(entries) {
      return entries.map((entry): LatestWriteResult => {
        writesIssued++;
        if (options.failOn?.(entry)) return { entry, status: "failed", error: new Error("injected failure") };
        const candidate = latestItemOf(entry);
        const stored = items.get(candidate.instrument);
        if (stored !== undefined && compareLatestOrder(stored, candidate) >= 0) return { entry, status: "stale" };
        items.set(candidate.instrument, candidate);
        return { entry, status: "written" };
      });
    },
    async listLatest() {
      return [...items.values()];
    },
    async getLatest(instrument) {
      return items.get(instrument) ?? null;
    },
  };
}
