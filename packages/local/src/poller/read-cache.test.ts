import type { _Record } from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { ShardReadCache } from "./read-cache.js";

const S = "prices";
const SHARD = "shardId-000000000000";

/** Records with sequence numbers 100, 101, … and `size` bytes of data each. */
function records(first: number, count: number, size = 10): _Record[] {
  return Array.from({ length: count }, (_, i) => ({
    SequenceNumber: String(first + i),
    Data: new Uint8Array(size).fill(i),
    PartitionKey: "k",
  }));
}

const seqs = (rs: _Record[] | undefined) => rs?.map((r) => r.SequenceNumber);

/** A cache with a reader far behind, so that no record is let go for having been read. */
function holding(): ShardReadCache {
  const cache = new ShardReadCache();
  cache.join({}, S, SHARD, "1");
  return cache;
}

describe("records shared between the readers of a shard", () => {
  it("serves another reader what one reader fetched, after any position it holds", () => {
    const cache = holding();
    const a = {};
    const b = {};
    cache.add(a, S, SHARD, "99", records(100, 5));
    expect(seqs(cache.take(b, S, SHARD, "99", 10))).toEqual(["100", "101", "102", "103", "104"]);
    expect(seqs(cache.take(b, S, SHARD, "101", 2))).toEqual(["102", "103"]);
    // Another shard or stream is not served from this one's records.
    expect(cache.take(b, S, "shardId-000000000001", "99", 10)).toBeUndefined();
    expect(cache.take(b, "other", SHARD, "99", 10)).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 7, fetched: 5 });
  });

  it("sends a reader to the server at the end of what is held, from the oldest record, or from an unknown place", () => {
    const cache = holding();
    cache.add({}, S, SHARD, "99", records(100, 3));
    // Caught up: the answer must come from the server (an empty read means caught up).
    expect(cache.take({}, S, SHARD, "102", 10)).toBeUndefined();
    expect(cache.take({}, S, SHARD, undefined, 10)).toBeUndefined();
    expect(cache.take({}, S, SHARD, "50", 10)).toBeUndefined();
  });

  it("keeps to the byte budget beyond the first record", () => {
    const cache = holding();
    cache.add({}, S, SHARD, "99", records(100, 5, 100));
    expect(seqs(cache.take({}, S, SHARD, "99", 10, 250))).toEqual(["100", "101"]);
    expect(seqs(cache.take({}, S, SHARD, "99", 10, 10))).toEqual(["100"]);
  });

  it("appends what reaches beyond the run once, when two readers fetched the same records", () => {
    const cache = holding();
    const a = {};
    const b = {};
    cache.add(a, S, SHARD, "99", records(100, 3));
    // b read from 99 at the same time as a, and got one more.
    cache.add(b, S, SHARD, "99", records(100, 4));
    cache.add(a, S, SHARD, "102", records(103, 2));
    expect(seqs(cache.take({}, S, SHARD, "99", 10))).toEqual(["100", "101", "102", "103", "104"]);
  });

  it("starts again past a gap, and ignores records older than those it holds", () => {
    const cache = holding();
    cache.add({}, S, SHARD, "99", records(100, 3));
    cache.add({}, S, SHARD, "199", records(200, 2));
    expect(cache.take({}, S, SHARD, "99", 10)).toBeUndefined();
    expect(seqs(cache.take({}, S, SHARD, "199", 10))).toEqual(["200", "201"]);
    cache.add({}, S, SHARD, "49", records(50, 2));
    expect(seqs(cache.take({}, S, SHARD, "199", 10))).toEqual(["200", "201"]);
    expect(cache.take({}, S, SHARD, "49", 10)).toBeUndefined();
  });

  it("holds records until every reader of the shard has passed them", () => {
    const cache = new ShardReadCache();
    const fast = {};
    const slow = {};
    cache.join(fast, S, SHARD, "99");
    cache.join(slow, S, SHARD, "99");
    cache.add(fast, S, SHARD, "99", records(100, 4));
    expect(seqs(cache.take(slow, S, SHARD, "99", 1))).toEqual(["100"]);
    cache.add(fast, S, SHARD, "103", records(104, 2));
    // slow has read 100 only: 101 on are still held for it.
    expect(cache.held(S, SHARD).records).toBe(5);
    expect(seqs(cache.take(slow, S, SHARD, "100", 10))).toEqual([
      "101",
      "102",
      "103",
      "104",
      "105",
    ]);
    // Both are at 105: nothing is left to hold.
    expect(cache.held(S, SHARD)).toEqual({ records: 0, bytes: 0 });
    // A reader that stops no longer holds records back.
    cache.add(fast, S, SHARD, "105", records(106, 2));
    expect(cache.held(S, SHARD).records).toBe(2);
    cache.forget(slow, S, SHARD);
    expect(cache.held(S, SHARD).records).toBe(0);
  });

  it("holds records for a reader still behind them, or starting from the oldest record", () => {
    const cache = new ShardReadCache();
    const ahead = {};
    const behind = {};
    const fromOldest = {};
    cache.join(ahead, S, SHARD, "99");
    cache.join(behind, S, SHARD, "50");
    cache.add(ahead, S, SHARD, "99", records(100, 3));
    expect(cache.held(S, SHARD).records).toBe(3);
    // It catches up from the server, then reads on from memory.
    cache.add(behind, S, SHARD, "50", records(51, 49));
    expect(seqs(cache.take(behind, S, SHARD, "99", 10))).toEqual(["100", "101", "102"]);
    expect(cache.held(S, SHARD).records).toBe(0);
    cache.join(fromOldest, S, SHARD, undefined);
    cache.add(ahead, S, SHARD, "102", records(103, 2));
    expect(cache.held(S, SHARD).records).toBe(2);
  });

  it("lets go of the oldest records beyond its byte cap, whoever has yet to read them", () => {
    const cache = new ShardReadCache(250);
    const behind = {};
    cache.join(behind, S, SHARD, "99");
    cache.add({}, S, SHARD, "99", records(100, 4, 100));
    expect(cache.held(S, SHARD)).toEqual({ records: 2, bytes: 200 });
    expect(cache.take(behind, S, SHARD, "99", 10)).toBeUndefined();
    expect(seqs(cache.take(behind, S, SHARD, "101", 10))).toEqual(["102", "103"]);
  });

  it("tells a reader which reads from the server are in progress, until they settle", async () => {
    const cache = new ShardReadCache();
    let finish!: () => void;
    const read = new Promise<void>((r) => (finish = r));
    cache.fetching(S, SHARD, "99", read);
    const pending = cache.pending(S, SHARD, "99");
    expect(pending).toBeDefined();
    expect(cache.pending(S, SHARD, "100")).toBeUndefined();
    finish();
    await pending;
    await Promise.resolve();
    expect(cache.pending(S, SHARD, "99")).toBeUndefined();
    // A failed read settles the wait too.
    const failed = Promise.reject(new Error("down"));
    cache.fetching(S, SHARD, "100", failed);
    await expect(cache.pending(S, SHARD, "100")).resolves.toBeUndefined();
    await failed.catch(() => undefined);
  });
});
