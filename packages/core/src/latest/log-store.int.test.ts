import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { decodeBatch } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { encodePipe } from "../ticks/encode.js";
import { coalesceLatest } from "./coalesce.js";
import { createLogLatestStore } from "./log-store.js";
import { bruteForceLatest, cutBatches, prng, type StreamRecord } from "./test-support.js";
import { streamCutsArb } from "./testing/deliveries.js";
import { latestTablesOnDynalite } from "./testing/dynalite.js";

/** The Latest log and snapshot on dynalite: what readers see, whatever the writes and folds. */

const latestTables = latestTablesOnDynalite();

const newest = (batch: readonly StreamRecord[]) => coalesceLatest(decodeBatch(batch.map((r) => r.record)).ticks);

describe("Latest log and snapshot (dynalite)", () => {
  it("batches in stream order per shard, interleaved across shards, replays and folds at any point: readers see the brute-force latest (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        streamCutsArb({ maxRecords: 25, maxShards: 3, maxBatch: 10, maxSizes: 5, maxReplay: 10, maxReplays: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ({ streams, sizes, replays, seed }, foldRate) => {
          const table = await latestTables.fresh();
          let now = 1_000_000;
          // Several execution environments, each folding when the lease lets it.
          const stores = [0, 1].map(() => createLogLatestStore({ ...table, clock: () => now, compactEveryMs: 10, compactOnWrite: false }));
          const rnd = prng(seed);
          const queues = streams.map((s) => cutBatches(s.records.length, sizes).map(([a, b]) => s.records.slice(a, b)));
          const delivered = streams.map(() => 0);
          let replaysLeft = [...replays];
          while (queues.some((q) => q.length > 0)) {
            const open = queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
            const shard = open[Math.floor(rnd() * open.length)]!;
            const batch = queues[shard]!.shift()!;
            delivered[shard]! += batch.length;
            const store = stores[Math.floor(rnd() * stores.length)]!;
            for (const r of await store.writeLatest(newest(batch))) expect(r.status, String(r.error)).toBe("written");
            // A replay: the event source mapping sends records of the shard again (already delivered ones).
            if (replaysLeft.length > 0 && rnd() < 0.3) {
              const [pick, start, len] = replaysLeft.shift()!;
              const s = pick % streams.length;
              if (delivered[s]! > 0) {
                const from = start % delivered[s]!;
                await store.writeLatest(newest(streams[s]!.records.slice(from, Math.min(delivered[s]!, from + len))));
              }
            }
            now += 5;
            if (rnd() < foldRate) await stores[Math.floor(rnd() * stores.length)]!.compactIfDue();
            // Readers agree with the brute force over what has been delivered, before and after folds.
            if (rnd() < 0.2) {
              const expected = bruteForceLatest(streams.flatMap((st, i) => st.records.slice(0, delivered[i])));
              expect(Object.fromEntries((await stores[0]!.listLatest()).map((i) => [i.instrument, i]))).toEqual(Object.fromEntries(expected));
            }
          }
          replaysLeft = [];
          const expected = bruteForceLatest(streams.flatMap((s) => s.records));
          for (const store of stores) {
            expect(Object.fromEntries((await store.listLatest()).map((i) => [i.instrument, i]))).toEqual(Object.fromEntries(expected));
            for (const [id, item] of expected) expect(await store.getLatest(id), id).toEqual(item);
          }
          now += 100;
          expect(await stores[1]!.compactIfDue()).toBe(true);
          expect(Object.fromEntries((await stores[0]!.listLatest()).map((i) => [i.instrument, i]))).toEqual(Object.fromEntries(expected));
        },
      ),
      { numRuns: 20 },
    );
  });

  it("applies the tie-breaks of order.ts: event time, then shard id, then sequence number as a number (each shard in stream order)", async () => {
    let now = 0;
    const store = createLogLatestStore({ ...(await latestTables.fresh()), clock: () => now, compactEveryMs: 1 });
    const write = async (instrument: string, eventTime: number, shardId: string, seq: string, cents: number) => {
      const rec = toKinesisRecord(encodePipe({ instrument, eventTime, pricesCents: [cents] }), { shardId, sequenceNumber: seq, arrivalTime: 1 });
      now += 2; // every write folds the log
      await store.writeLatest(decodeBatch([rec]).ticks);
    };
    const A = "shardId-000000000000";
    const B = "shardId-000000000001";
    await write("s1", 5, A, "99", 1);
    await write("s1", 5, A, "100", 2); // sequence numbers compare as numbers: 100 > 99
    await write("s1", 5, A, "99", 3); // the same record again
    expect((await store.getLatest("s1"))!.priceCents).toBe(2);
    await write("s2", 5, B, "1", 1);
    await write("s2", 5, A, "999", 2); // equal event times across shards: the larger shard id wins
    expect((await store.getLatest("s2"))!.priceCents).toBe(1);
    await write("s2", 4, B, "5", 9); // an older event time never wins
    await write("s2", 6, A, "1000", 7); // a newer one always does
    expect((await store.getLatest("s2"))!.priceCents).toBe(7);
  });

  it("one log entry per shard and batch, one lease write and a fold of changed buckets per interval", async () => {
    const { doc, tableName } = await latestTables.fresh();
    let now = 0;
    const store = createLogLatestStore({ doc, tableName, clock: () => now, compactEveryMs: 10_000 });
    const records = Array.from({ length: 300 }, (_, i) =>
      toKinesisRecord(encodePipe({ instrument: `I${i % 100}`, eventTime: 1000 + i, pricesCents: [i] }), { shardId: "shardId-000000000000", sequenceNumber: String(1000 + i), arrivalTime: 1 }),
    );
    await store.writeLatest(coalesceLatest(decodeBatch(records).ticks)); // folds: the first write finds no lease
    now += 5_000;
    await store.writeLatest(coalesceLatest(decodeBatch(records.slice(0, 10)).ticks)); // no fold yet
    const count = async (pk: string) => (await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": pk } }))).Items!.length;
    expect(await count("log")).toBe(2);
    expect(await count("snap")).toBeGreaterThan(1);
    expect(await count("snap")).toBeLessThanOrEqual(16);
    expect((await store.listLatest()).length).toBe(100);
    expect((await store.getLatest("I7"))!.priceCents).toBe(207);
    expect(await store.getLatest("nope")).toBeNull();
    expect(await store.has("I7")).toBe(true);
    expect(await store.has("nope")).toBe(false);
  });
});
