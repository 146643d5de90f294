import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { WindowConfig } from "@tickstream/core/config";
import { DynamoWindowStore } from "@tickstream/core/windows/dynamo-store";
import { kinesisWindowSink, type WindowSink } from "@tickstream/core/windows/emitter";
import { WindowEngine } from "@tickstream/core/windows/engine";
import { parseWindowRecord } from "@tickstream/core/windows/result";
import { MemoryShardLister } from "@tickstream/core/windows/shard-lister";
import { records, tick } from "@tickstream/core/windows/testing/scenarios";
import {
  localDynamo,
  localKinesis,
  startLocalAws,
  type LocalAws,
} from "@tickstream/testkit/local-aws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleEmitClaims } from "./settle-claims.js";
import { StreamTail } from "./testing/streams.js";

const config: WindowConfig = {
  windowSizeMs: 10,
  windowSlideMs: 10,
  allowedLatenessMs: 0,
  idleTimeoutMs: 60_000,
  paneRetentionHours: 1,
};

/**
 * A runtime killed in the middle of emitting windows leaves emit claims open: after the put
 * (the records are on the stream) or before it (they are not). Settling them at the next start
 * marks the first kind emitted and gives the second back, so that every window is on the
 * stream exactly once and none waits for its lease to run out.
 */
describe("settling the emit claims of a killed run", () => {
  let aws: LocalAws;
  let dynamodb: DynamoDBClient;
  let kinesis: KinesisClient;

  beforeAll(async () => {
    aws = await startLocalAws();
    dynamodb = localDynamo(aws.dynamo.endpoint);
    kinesis = localKinesis(aws.kinesis.endpoint);
  });

  afterAll(async () => {
    dynamodb?.destroy();
    kinesis?.destroy();
    await aws?.close();
  });

  it("marks what went out, gives back what did not, and every window is emitted once", async () => {
    const store = new DynamoWindowStore({
      doc: DynamoDBDocumentClient.from(dynamodb),
      tables: aws.tables,
      retentionHours: 1,
    });
    const real = kinesisWindowSink(kinesis, aws.streams.windows);
    // The process dies right after its put, or right before it: what is left is the same as
    // after a SIGKILL there (claims taken, nothing marked).
    let death: "after put" | "before put" | undefined;
    const sink: WindowSink = {
      async put(records) {
        if (death === "before put") throw new Error("killed");
        const failed = await real.put(records);
        if (death === "after put") throw new Error("killed");
        return failed;
      },
    };
    const engine = new WindowEngine({
      store,
      sink,
      config,
      shardLister: new MemoryShardLister(["s0"]),
    });
    const settle = () =>
      settleEmitClaims({
        dynamodb,
        kinesis,
        stateTable: aws.tables.state,
        windowsTable: aws.tables.windows,
        windowsStream: aws.streams.windows,
      });
    const tail = new StreamTail(aws.streams.windows);
    const onStream = async () => {
      await tail.poll(kinesis);
      return tail.records
        .map((r) => parseWindowRecord(Buffer.from(r.Data!).toString("utf8")))
        .map((w) => `${w.instrument}@${w.windowStart}=${w.max}`)
        .sort();
    };

    const base = 1_000_000;
    death = "after put";
    await engine.processBatch("s0", records([tick("a", base + 5, 100), tick("b", base + 15, 200)]));
    await engine.processBatch("s0", records([tick("a", base + 50, 1)]));
    expect(await onStream()).toEqual([`a@${base}=1`, `b@${base + 10}=2`]);
    expect(await settle()).toEqual({ marked: 2, released: 0, unknown: 0 });

    death = "before put";
    await engine.processBatch("s0", records([tick("a", base + 65, 300), tick("b", base + 75, 400)]));
    await engine.processBatch("s0", records([tick("c", base + 100, 1)]));
    // Held by the dead run's claims until the lease runs out.
    death = undefined;
    expect((await engine.closeDue()).windowsEmitted).toBe(0);
    expect(await settle()).toEqual({ marked: 0, released: 3, unknown: 0 });

    // The next run emits what was given back at once, and nothing twice.
    expect((await engine.closeDue()).windowsEmitted).toBe(3);
    expect((await engine.closeDue()).windowsEmitted).toBe(0);
    expect(await onStream()).toEqual(
      [
        `a@${base}=1`,
        `b@${base + 10}=2`,
        `a@${base + 50}=0.01`,
        `a@${base + 60}=3`,
        `b@${base + 70}=4`,
      ].sort(),
    );
    expect(await settle()).toEqual({ marked: 0, released: 0, unknown: 0 });
  });
});
