import { PutRecordsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent } from "aws-lambda";
import { ensureStream } from "@tickstream/testkit/provision";
import { listShards } from "@tickstream/core/kinesis/shards";
import { describe, expect, it } from "vitest";
import { waitUntil } from "../timing.js";
import { kinesaliteForTests } from "../testing/kinesalite.js";
import { testMapping } from "../testing/mapping.js";
import { ShardReadCache } from "./read-cache.js";
import { ShardReader } from "./shard-reader.js";

async function put(kinesis: KinesisClient, stream: string, values: string[]): Promise<void> {
  const res = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: values.map((v, i) => ({ Data: Buffer.from(v), PartitionKey: `pk-${i}` })),
    }),
  );
  expect(res.FailedRecordCount ?? 0).toBe(0);
}

async function firstShard(kinesis: KinesisClient, stream: string): Promise<string> {
  return (await listShards(kinesis, stream))[0]!.ShardId!;
}

describe("readers of a shard sharing what they read, against kinesalite", () => {
  const local = kinesaliteForTests("tickstream-read-cache-");

  it("fetches each record once for two readers, and answers a caught-up reader from the server", async () => {
    const stream = "cache-readers";
    await ensureStream(local.kinesis, stream, 1);
    const shard = await firstShard(local.kinesis, stream);
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await put(local.kinesis, stream, values.slice(0, 1));
    const cache = new ShardReadCache();
    const a = new ShardReader(local.kinesis, stream, shard, undefined, cache);
    const b = new ShardReader(local.kinesis, stream, shard, undefined, cache);
    // From the oldest record: each reads the first record itself.
    const [first] = await a.read(100);
    expect((await b.read(100))[0]!.SequenceNumber).toBe(first!.SequenceNumber);
    await put(local.kinesis, stream, values.slice(1));
    const byA = await a.read(100);
    expect(byA).toHaveLength(39);
    const fetched = cache.stats.fetched;
    const byB = [...(await b.read(10)), ...(await b.read(100))];
    expect(byB.map((r) => Buffer.from(r.Data!).toString())).toEqual(values.slice(1));
    expect(cache.stats.fetched).toBe(fetched);
    expect(cache.stats.hits).toBe(39);
    // Caught up: both ask the server, which has nothing more.
    expect(await b.read(100)).toEqual([]);
    expect(await a.read(100)).toEqual([]);
    await put(local.kinesis, stream, ["late"]);
    expect((await b.read(100)).map((r) => Buffer.from(r.Data!).toString())).toEqual(["late"]);
    expect((await a.read(100)).map((r) => Buffer.from(r.Data!).toString())).toEqual(["late"]);
    expect(cache.stats.fetched).toBe(fetched + 1);
    // Both at the end at once: one fetches, the other waits for it and reads from memory.
    await put(local.kinesis, stream, ["x", "y", "z"]);
    const [fromA, fromB] = await Promise.all([a.read(100), b.read(100)]);
    expect(fromA.map((r) => r.SequenceNumber)).toEqual(fromB.map((r) => r.SequenceNumber));
    expect(fromB).toHaveLength(3);
    expect(cache.stats.fetched).toBe(fetched + 4);
  });

  it("sizes a read from the server to the data asked for, by the records read before", async () => {
    const stream = "cache-sizes";
    await ensureStream(local.kinesis, stream, 1);
    const shard = await firstShard(local.kinesis, stream);
    await put(
      local.kinesis,
      stream,
      Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(1000, "x")),
    );
    const reader = new ShardReader(local.kinesis, stream, shard);
    expect(await reader.read(1)).toHaveLength(1);
    expect(await reader.read(100, 10_000)).toHaveLength(10);
    // The first record comes whatever its size.
    expect(await reader.read(100, 10)).toHaveLength(1);
    expect(await reader.read(100)).toHaveLength(38);
  });

  it("gives a mapping behind another every record from memory, in shard order", async () => {
    const stream = "cache-mappings";
    await ensureStream(local.kinesis, stream, 2);
    const cache = new ShardReadCache();
    const seen: Record<string, { shard: string; value: string }[]> = { one: [], two: [] };
    const mapping = (id: string) =>
      testMapping({
        kinesis: local.kinesis,
        stream,
        dir: local.dir,
        id,
        handler: async (event: KinesisStreamEvent) => {
          // The second mapping waits for the first to read everything.
          if (id === "two")
            await waitUntil(() => seen.one!.length >= 120, "the first mapping", 10_000);
          for (const r of event.Records)
            seen[id]!.push({
              shard: r.eventID.split(":")[0]!,
              value: Buffer.from(r.kinesis.data, "base64").toString(),
            });
          return { batchItemFailures: [] };
        },
        settings: { batchSize: 7, batchingWindowMs: 0 },
        onFailure: async () => undefined,
        cache,
      });
    const values = Array.from({ length: 120 }, (_, i) => `r${i}`);
    for (let i = 0; i < values.length; i += 30)
      await put(local.kinesis, stream, values.slice(i, i + 30));
    const one = mapping("one");
    const two = mapping("two");
    await Promise.all([one.start(), two.start()]);
    await waitUntil(() => seen.two!.length >= 120, "the second mapping", 20_000);
    await Promise.all([one.stop(), two.stop()]);
    // Both read each shard's first batch themselves (where the oldest record is, is not known
    // to the cache); the second mapping took everything after it from memory.
    expect(cache.stats.fetched).toBe(120 + 14);
    expect(cache.stats.hits).toBe(106);
    const perShard = (id: string) => {
      const out: Record<string, string[]> = {};
      for (const { shard, value } of seen[id]!) (out[shard] ??= []).push(value);
      return out;
    };
    expect(perShard("two")).toEqual(perShard("one"));
    expect(seen.two!.map((s) => s.value).sort()).toEqual([...values].sort());
    // Stopped: neither holds records back.
    for (const s of await listShards(local.kinesis, stream))
      expect(cache.held(stream, s.ShardId!).records).toBe(0);
  });
});
