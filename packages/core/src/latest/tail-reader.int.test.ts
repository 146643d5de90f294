import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { startDynalite, localDynamo, type LocalServer } from "@tickstream/testkit/local-aws";
import { ensureTable } from "@tickstream/testkit/provision";
import { TABLES } from "../resources.js";
import { decodeBatch, type PositionedTick } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { encodePipe } from "../ticks/encode.js";
import { coalesceLatest } from "./coalesce.js";
import { createLogLatestStore } from "./log-store.js";
import type { LatestItem } from "./store.js";
import { createTailLatestReader } from "./tail-reader.js";
import { BASE_TIME, bruteForceLatest, cutBatches, prng, shardStreamsArb, type StreamRecord } from "./test-support.js";

/** The API's tailing reader against the Latest log and snapshot on dynalite. */

let dynamo: LocalServer;
let doc: DynamoDBDocumentClient;

async function freshTable(): Promise<string> {
  const name = `tail-${randomUUID().slice(0, 8)}`;
  await ensureTable(localDynamo(dynamo.endpoint), TABLES.latest, name);
  return name;
}

beforeAll(async () => {
  dynamo = await startDynalite();
  doc = DynamoDBDocumentClient.from(localDynamo(dynamo.endpoint), { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.close();
});

const newest = (batch: readonly StreamRecord[]) => coalesceLatest(decodeBatch(batch.map((r) => r.record)).ticks);
const byInstrument = (items: readonly LatestItem[]) => Object.fromEntries(items.map((i) => [i.instrument, i]));
const HOUR = 3_600_000;

const shard = (n: number) => `shardId-${String(n).padStart(12, "0")}`;
/** One-tick records of a shard: [instrument, event time offset, cents] at growing sequence numbers. */
function ticks(shardId: string, firstSeq: number, specs: readonly [string, number, number][]): PositionedTick[] {
  const records = specs.map(([instrument, t, cents], i) =>
    toKinesisRecord(encodePipe({ instrument, eventTime: BASE_TIME + t, pricesCents: [cents] }), { shardId, sequenceNumber: String(firstSeq + i), arrivalTime: BASE_TIME + 60_000 }),
  );
  return decodeBatch(records).ticks;
}
const batchOf = (entries: readonly PositionedTick[]) => coalesceLatest(entries);
const prices = (items: readonly LatestItem[]) => Object.fromEntries(items.map((i) => [i.instrument, i.priceCents]));

describe("tailing Latest reader (dynalite)", () => {
  it("a warm reader sees every batch as soon as it is written and never an older tick: batches, replays, new shards and folds in any order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        shardStreamsArb(25, 3),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (streams, sizes, seed, foldRate) => {
          const tableName = await freshTable();
          let now = 1_000_000;
          const writer = createLogLatestStore({ doc, tableName, clock: () => now, compactEveryMs: 10, compactOnWrite: false });
          // The snapshot is read once: everything after comes from the tail.
          const reader = createTailLatestReader({ doc, tableName, clock: () => now, snapshotEveryMs: 24 * HOUR });
          const rnd = prng(seed);
          const queues = streams.map((s) => cutBatches(s.records.length, sizes).map(([a, b]) => s.records.slice(a, b)));
          const delivered = streams.map(() => 0);
          // A shard may start after the reader has its cursors: it is discovered from the log.
          if (rnd() < 0.5) expect(await reader.listLatest()).toEqual([]);
          while (queues.some((q) => q.length > 0)) {
            const open = queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
            const s = open[Math.floor(rnd() * open.length)]!;
            const batch = queues[s]!.shift()!;
            delivered[s]! += batch.length;
            for (const r of await writer.writeLatest(newest(batch))) expect(r.status, String(r.error)).toBe("written");
            if (rnd() < 0.3) {
              // A replay of delivered records of the shard: an entry at or below the cursor.
              const from = Math.floor(rnd() * delivered[s]!);
              await writer.writeLatest(newest(streams[s]!.records.slice(from, Math.min(delivered[s]!, from + 1 + Math.floor(rnd() * 5)))));
            }
            now += 5;
            if (rnd() < foldRate) await writer.compactIfDue();
            const expected = bruteForceLatest(streams.flatMap((st, i) => st.records.slice(0, delivered[i])));
            expect(byInstrument(await reader.listLatest())).toEqual(Object.fromEntries(expected));
            for (const [id, item] of expected) {
              expect(await reader.has(id), id).toBe(true);
              if (rnd() < 0.2) expect(await reader.getLatest(id), id).toEqual(item);
            }
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it("reads only the log written since its last request, and the newer tick of an instrument wins whichever entry comes later", async () => {
    const tableName = await freshTable();
    let now = 0;
    const writer = createLogLatestStore({ doc, tableName, clock: () => now, compactOnWrite: false });
    const reader = createTailLatestReader({ doc, tableName, clock: () => now });
    await writer.writeLatest(batchOf(ticks(shard(0), 100, [["a", 10, 1], ["b", 10, 1]])));
    expect(prices(await reader.listLatest())).toEqual({ a: 1, b: 1 });
    await writer.writeLatest(batchOf(ticks(shard(0), 200, [["a", 20, 2], ["b", 5, 9]]))); // b's tick is older
    now += 1000;
    expect(prices(await reader.listLatest())).toEqual({ a: 2, b: 1 });
    await writer.writeLatest(batchOf(ticks(shard(1), 50, [["b", 10, 3]]))); // equal event time, larger shard id
    now += 1000;
    expect(prices(await reader.listLatest())).toEqual({ a: 2, b: 3 });
    expect((await reader.getLatest("b"))!.shardId).toBe(shard(1));
  });

  it("after a fold: the warm view goes on from its cursors, and a reader idle past its snapshot interval starts from the snapshot", async () => {
    const tableName = await freshTable();
    let now = 0;
    const writer = createLogLatestStore({ doc, tableName, clock: () => now, compactEveryMs: 1, compactOnWrite: false });
    const reader = createTailLatestReader({ doc, tableName, clock: () => now, snapshotEveryMs: 60_000 });
    await writer.writeLatest(batchOf(ticks(shard(0), 100, [["a", 10, 1]])));
    expect(prices(await reader.listLatest())).toEqual({ a: 1 });
    await writer.writeLatest(batchOf(ticks(shard(0), 200, [["a", 20, 2], ["c", 20, 7]])));
    now += 10;
    expect(await writer.compactIfDue()).toBe(true);
    await writer.writeLatest(batchOf(ticks(shard(0), 300, [["b", 30, 3]])));
    now += 1000;
    expect(prices(await reader.listLatest())).toEqual({ a: 2, b: 3, c: 7 });
    // Entries written while the reader is idle are folded, then expire (TTL): only the snapshot has them.
    await writer.writeLatest(batchOf(ticks(shard(0), 400, [["a", 40, 4], ["d", 40, 4]])));
    now += 2 * 24 * HOUR;
    expect(await writer.compactIfDue()).toBe(true);
    const log = await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "log" } }));
    for (const item of log.Items ?? []) await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
    expect(prices(await reader.listLatest())).toEqual({ a: 4, b: 3, c: 7, d: 4 });
    // A cold reader (a new container) from the same table.
    expect(prices(await createTailLatestReader({ doc, tableName, clock: () => now }).listLatest())).toEqual({ a: 4, b: 3, c: 7, d: 4 });
  });

  it("discovers shards it has no cursor for: before, between and after the known ones", async () => {
    const tableName = await freshTable();
    let now = 0;
    const writer = createLogLatestStore({ doc, tableName, clock: () => now, compactEveryMs: 1, compactOnWrite: false });
    const reader = createTailLatestReader({ doc, tableName, clock: () => now });
    await writer.writeLatest([...batchOf(ticks(shard(1), 10, [["a", 1, 1]])), ...batchOf(ticks(shard(3), 10, [["b", 1, 1]]))]);
    now += 10;
    await writer.compactIfDue(); // the snapshot's cuts name shards 1 and 3
    expect(prices(await reader.listLatest())).toEqual({ a: 1, b: 1 });
    for (const [n, instrument] of [[2, "between"], [0, "before"], [4, "after"], [10, "ten"]] as const) {
      await writer.writeLatest(batchOf(ticks(shard(n), 10, [[instrument, 1, n]])));
      now += 1000;
      expect((await reader.listLatest()).map((i) => i.instrument).sort()).toContain(instrument);
      expect(await reader.has(instrument)).toBe(true);
    }
    // And their next entries, read from their own cursors.
    await writer.writeLatest(batchOf(ticks(shard(2), 20, [["between", 2, 22]])));
    await writer.writeLatest(batchOf(ticks(shard(0), 20, [["before", 2, 20]])));
    now += 1000;
    expect(prices(await reader.listLatest())).toMatchObject({ between: 22, before: 20, after: 4, ten: 10 });
  });

  it("an entry written in parts whose second part failed: neither the reader's cursor nor the fold's cut passes it before the retry is whole, also when the retry is bisected", async () => {
    for (const bisect of [false, true]) {
      const tableName = await freshTable();
      let now = 0;
      // Two values per part; the writer's client fails the second part of the first attempt.
      const writerDoc = DynamoDBDocumentClient.from(localDynamo(dynamo.endpoint));
      let failPart: string | undefined = "#1";
      writerDoc.middlewareStack.add(
        (next) => async (args) => {
          const raw = (args.input as { Item?: { sk?: string | { S?: string } } }).Item?.sk;
          const sk = typeof raw === "string" ? raw : (raw?.S ?? "");
          if (failPart !== undefined && sk.endsWith(failPart)) throw Object.assign(new Error("throttled"), { name: "ProvisionedThroughputExceededException" });
          return next(args);
        },
        { step: "initialize", name: "failSecondPart" },
      );
      const writer = createLogLatestStore({ doc: writerDoc, tableName, clock: () => now, compactEveryMs: 1, compactOnWrite: false, valuesPerPart: 2 });
      const reader = createTailLatestReader({ doc, tableName, clock: () => now });
      const folder = createLogLatestStore({ doc, tableName, clock: () => now, compactEveryMs: 1, compactOnWrite: false });
      await writer.writeLatest(batchOf(ticks(shard(0), 10, [["a", 0, 1]])));
      expect(prices(await reader.listLatest())).toEqual({ a: 1 });
      // A batch of records 100..103: parts [a, b] and [c, d]; the newest record (103) is in part 0.
      const batch = ticks(shard(0), 100, [["c", 1, 5], ["d", 1, 5], ["b", 1, 5], ["a", 1, 5]]);
      const results = await writer.writeLatest(batchOf(batch));
      expect(results.every((r) => r.status === "failed")).toBe(true);
      now += 10;
      expect(prices(await reader.listLatest())).toEqual({ a: 5, b: 5 }); // part 0 is read, and folded
      expect(await folder.compactIfDue()).toBe(true);
      failPart = undefined;
      // Lambda resumes at the lowest failed record (100); bisected, the first half comes alone.
      const retries = bisect ? [batch.slice(0, 2), batch.slice(2)] : [batch];
      for (const retry of retries) {
        for (const r of await writer.writeLatest(batchOf(retry))) expect(r.status).toBe("written");
        now += 1000;
        for (const e of retry) expect((await reader.getLatest(e.tick.instrument))?.priceCents, e.tick.instrument).toBe(5);
      }
      const expected = { a: 5, b: 5, c: 5, d: 5 };
      expect(prices(await reader.listLatest()), `bisect ${bisect}`).toEqual(expected);
      now += 10;
      expect(await folder.compactIfDue()).toBe(true);
      expect(prices(await folder.listLatest()), `bisect ${bisect}`).toEqual(expected);
      expect(prices(await createTailLatestReader({ doc, tableName, clock: () => now }).listLatest())).toEqual(expected);
      writerDoc.destroy();
    }
  });
});
