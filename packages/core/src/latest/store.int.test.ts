import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { decodeBatch } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { encodePipe } from "../ticks/encode.js";
import { encodeAggregated } from "../ticks/kpl.js";
import { coalesceLatest } from "./coalesce.js";
import { createDynamoLatestStore, latestKey, latestPartition, latestPutInput } from "./store.js";
import { bruteForceLatest } from "./test-support.js";
import { shuffledDeliveries, streamCutsArb } from "./testing/deliveries.js";
import { latestTablesOnDynalite } from "./testing/dynalite.js";

/** The DynamoDB condition itself (not the in-memory model of it), on dynalite. */

const latestTables = latestTablesOnDynalite();

describe("DynamoDB latest store (dynalite)", () => {
  it("random batch splits, replays and arrival orders converge to the brute-force latest (property)", async () => {
    await fc.assert(
      fc.asyncProperty(streamCutsArb({ maxRecords: 25, maxShards: 3, maxBatch: 10, maxSizes: 5, maxReplay: 10, maxReplays: 4 }), async (cuts) => {
        const store = createDynamoLatestStore(await latestTables.fresh());
        const deliveries = shuffledDeliveries(cuts);
        for (const batch of deliveries) {
          const results = await store.writeLatest(coalesceLatest(decodeBatch(batch.map((r) => r.record)).ticks));
          for (const r of results) expect(r.status, String(r.error)).not.toBe("failed");
        }
        const expected = bruteForceLatest(cuts.streams.flatMap((s) => s.records));
        const stored = await store.listLatest();
        expect(Object.fromEntries(stored.map((i) => [i.instrument, i]))).toEqual(Object.fromEntries(expected));
      }),
      { numRuns: 25 },
    );
  });

  it("applies the condition's tie-breaks: event time, then shard id, then sequence number as a number", async () => {
    const store = createDynamoLatestStore(await latestTables.fresh());
    const write = async (instrument: string, eventTime: number, shardId: string, seq: string, cents: number) => {
      const rec = toKinesisRecord(encodePipe({ instrument, eventTime, pricesCents: [cents] }), { shardId, sequenceNumber: seq, arrivalTime: 1 });
      const [result] = await store.writeLatest(decodeBatch([rec]).ticks);
      return result!.status;
    };
    const A = "shardId-000000000000";
    const B = "shardId-000000000001";
    // sequence numbers compare as numbers: 100 > 99 (as strings "100" < "99")
    expect(await write("s1", 5, A, "99", 1)).toBe("written");
    expect(await write("s1", 5, A, "100", 2)).toBe("written");
    expect(await write("s1", 5, A, "99", 3)).toBe("stale");
    expect((await store.getLatest("s1"))!.priceCents).toBe(2);
    // the same record again is not rewritten
    expect(await write("s1", 5, A, "100", 2)).toBe("stale");
    // equal event times across shards: the larger shard id wins, whatever the order
    expect(await write("s2", 5, B, "1", 1)).toBe("written");
    expect(await write("s2", 5, A, "999", 2)).toBe("stale");
    expect(await write("s3", 5, A, "999", 2)).toBe("written");
    expect(await write("s3", 5, B, "1", 1)).toBe("written");
    expect((await store.getLatest("s2"))!.priceCents).toBe(1);
    expect((await store.getLatest("s3"))!.priceCents).toBe(1);
    // an older event time never wins, a newer one always does
    expect(await write("s2", 4, B, "5", 9)).toBe("stale");
    expect(await write("s2", 6, A, "2", 7)).toBe("written");
    expect((await store.getLatest("s2"))!.priceCents).toBe(7);
  });

  it("within one record the later tick wins on equal event times; the record again changes nothing", async () => {
    const { doc, tableName } = await latestTables.fresh();
    const store = createDynamoLatestStore({ doc, tableName });
    const position = { shardId: "shardId-000000000000", sequenceNumber: "500", arrivalTime: 1 };
    const tick = (cents: number) => Buffer.from(encodePipe({ instrument: "k1", eventTime: 7, pricesCents: [cents] }));
    const record = toKinesisRecord(encodeAggregated([1, 2, 3].map((c) => ({ partitionKey: "k1", data: tick(c) }))), position);
    const ticks = decodeBatch([record]).ticks;
    expect(ticks.map((t) => t.position.subIndex)).toEqual([0, 1, 2]);
    // one write at a time, in every order: subIndex 2 ends on top and stays there
    expect((await store.writeLatest([ticks[1]!])).map((r) => r.status)).toEqual(["written"]);
    expect((await store.writeLatest([ticks[0]!])).map((r) => r.status)).toEqual(["stale"]);
    expect((await store.writeLatest([ticks[2]!])).map((r) => r.status)).toEqual(["written"]);
    expect((await store.writeLatest([ticks[2]!])).map((r) => r.status)).toEqual(["stale"]);
    expect(await store.getLatest("k1")).toMatchObject({ priceCents: 3, sequenceNumber: "500", subIndex: 2 });
    expect((await store.writeLatest(coalesceLatest(decodeBatch([record]).ticks))).map((r) => r.status)).toEqual(["stale"]);
    // an item stored before ticks had a subIndex (no `sub`) refuses its own record again
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...latestPutInput(tableName, ticks[0]!).Item, ...latestKey("k2"), instrument: "k2", sub: undefined } }));
    const legacy = decodeBatch([toKinesisRecord(encodePipe({ instrument: "k2", eventTime: 7, pricesCents: [9] }), position)]).ticks;
    expect((await store.writeLatest(legacy)).map((r) => r.status)).toEqual(["stale"]);
    expect(await store.getLatest("k2")).toMatchObject({ priceCents: 1, subIndex: 0 });
  });

  it("lists every partition with Queries and gets one instrument", async () => {
    const store = createDynamoLatestStore(await latestTables.fresh());
    const ids = Array.from({ length: 40 }, (_, i) => `I${i}`);
    expect(new Set(ids.map(latestPartition)).size).toBe(4);
    const records = ids.map((id, i) => toKinesisRecord(encodePipe({ instrument: id, eventTime: 1000 + i, level: 1, pricesCents: [i] }), { shardId: "shardId-000000000000", sequenceNumber: String(10 + i), arrivalTime: 5 }));
    const results = await store.writeLatest(coalesceLatest(decodeBatch(records).ticks));
    expect(results.every((r) => r.status === "written")).toBe(true);
    const listed = await store.listLatest();
    expect(listed.map((i) => i.instrument).sort()).toEqual([...ids].sort());
    expect(await store.getLatest("I7")).toEqual({
      instrument: "I7",
      priceCents: 7,
      pricesCents: [7],
      level: 1,
      eventTime: 1007,
      receivedAt: null,
      arrivalTime: 5,
      shardId: "shardId-000000000000",
      sequenceNumber: "17",
      subIndex: 0,
    });
    expect(await store.getLatest("nope")).toBeNull();
    // the same batch again: every write refused by the condition
    const again = await store.writeLatest(coalesceLatest(decodeBatch(records).ticks));
    expect(again.every((r) => r.status === "stale")).toBe(true);
  });
});
