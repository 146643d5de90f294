import { join } from "node:path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent } from "aws-lambda";
import { listShards } from "@tickstream/core/kinesis/shards";
import { ensureStream } from "@tickstream/testkit/provision";
import { mergeShards, splitShard, upperChild } from "@tickstream/testkit/reshard";
import { beforeAll, describe, expect, it } from "vitest";
import type { LambdaHandler } from "../lambda.js";
import { CheckpointStore } from "./checkpoint.js";
import type { OnFailureRecord } from "./events.js";
import { kinesaliteForTests } from "../testing/kinesalite.js";
import { testMapping } from "../testing/mapping.js";

const STREAM = "reshard-test";
const KEYS = Array.from({ length: 24 }, (_, i) => `key-${i}`);

/**
 * Resharding in the middle of a stream, with the function slower than the producer so that
 * every parent has a backlog when its children start to fill: every record reaches the
 * function once, and the records of each partition key in the order they were put, across a
 * split, a merge and a restart of the mapping in between.
 */
describe("event source mapping across resharding", () => {
  const local = kinesaliteForTests("tickstream-reshard-");

  beforeAll(async () => {
    await ensureStream(local.kinesis, STREAM, 2);
  });

  const next = new Map<string, number>();
  /** Puts `rounds` records for every key, each key's values counting up. */
  async function put(rounds: number): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      const records = KEYS.map((key) => {
        const n = next.get(key) ?? 0;
        next.set(key, n + 1);
        return { PartitionKey: key, Data: Buffer.from(`${key}:${n}`) };
      });
      const res = await local.kinesis.send(
        new PutRecordsCommand({ StreamName: STREAM, Records: records }),
      );
      expect(res.FailedRecordCount ?? 0).toBe(0);
    }
  }

  it("reads each parent to its end before its children, in order per partition key", async () => {
    const seen = new Map<string, number[]>();
    const shardsSeen = new Set<string>();
    const failures: OnFailureRecord[] = [];
    const handler: LambdaHandler = async (event: KinesisStreamEvent) => {
      // Slower than the producer: the parents still hold a backlog when their children fill.
      await new Promise((r) => setTimeout(r, 15));
      for (const r of event.Records) {
        const [key, n] = Buffer.from(r.kinesis.data, "base64").toString().split(":") as [
          string,
          string,
        ];
        const list = seen.get(key) ?? [];
        list.push(Number(n));
        seen.set(key, list);
        shardsSeen.add(r.eventID.split(":")[0]!);
      }
      return { batchItemFailures: [] };
    };
    const mapping = () =>
      testMapping({
        kinesis: local.kinesis,
        stream: STREAM,
        dir: local.dir,
        id: "ReshardConsumer",
        handler,
        settings: { batchSize: 20, batchingWindowMs: 0, shardSyncMs: 100 },
        onFailure: async (doc) => void failures.push(doc),
      });

    const m1 = mapping();
    await m1.start();
    await put(20);
    // Split shard 0 in two while its backlog is being read.
    const second = (await listShards(local.kinesis, STREAM))[1]!.ShardId!;
    const split = await splitShard(local.kinesis, STREAM);
    await put(20);

    // Stop in the middle and start again on the same checkpoints.
    await m1.stop();
    const m2 = mapping();
    await m2.start();

    // Merge the split's upper child with shard 1 (adjacent hash ranges).
    const upper = await upperChild(local.kinesis, STREAM, split);
    await mergeShards(local.kinesis, STREAM, upper, second);
    await put(20);
    await m2.waitCaughtUp(Date.now(), 60_000);
    await m2.stop();

    const shards = await listShards(local.kinesis, STREAM);
    expect(shards).toHaveLength(2 + 2 + 1);
    // Records reached the function from the children of the split and of the merge.
    const merged = shards.find((s) => s.AdjacentParentShardId)!.ShardId!;
    expect(shardsSeen).toContain(merged);
    expect(shardsSeen).toContain(upper);
    for (const key of KEYS) {
      expect(seen.get(key), key).toEqual(Array.from({ length: next.get(key)! }, (_, i) => i));
    }
    expect(failures).toEqual([]);
    // Every closed shard is marked finished in its checkpoint, and the open ones are not.
    const store = new CheckpointStore(join(local.dir, "checkpoints"), "ReshardConsumer", STREAM);
    for (const s of shards) {
      expect(await store.isFinished(s.ShardId!), s.ShardId).toBe(
        !!s.SequenceNumberRange?.EndingSequenceNumber,
      );
    }
  });
});
