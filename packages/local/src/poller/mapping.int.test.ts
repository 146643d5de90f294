import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { ensureStream } from "@tickstream/testkit/provision";
import { CONSUMERS } from "@tickstream/core/resources";
import { startKinesalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { destroyClients, localClients, type LocalClients } from "../clients.js";
import { ensureBucket } from "../provision.js";
import { startS3Server } from "../servers/s3.js";
import type { LambdaHandler } from "../lambda.js";
import { s3FailureDestination } from "./destination.js";
import type { OnFailureRecord } from "./events.js";
import { testMapping } from "../testing/mapping.js";

const STREAM = "poller-test";
const BUCKET = "poller-archive";

describe("event source mapping against kinesalite", () => {
  let dir: string;
  let kinesis: LocalServer;
  let s3: LocalServer;
  let clients: LocalClients;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tickstream-poller-"));
    kinesis = await startKinesalite();
    s3 = await startS3Server({ path: join(dir, "s3"), port: 0 });
    clients = localClients({
      region: "us-east-1",
      kinesisEndpoint: kinesis.endpoint,
      dynamodbEndpoint: "http://127.0.0.1:1",
      s3Endpoint: s3.endpoint,
      cognitoEndpoint: "http://127.0.0.1:1",
    });
    await ensureStream(clients.kinesis, STREAM, 2);
    await ensureBucket(clients.s3, BUCKET);
  });

  afterAll(async () => {
    destroyClients(clients);
    await kinesis?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function put(values: string[]): Promise<void> {
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      const res = await clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: STREAM,
          Records: chunk.map((v, j) => ({ Data: Buffer.from(v), PartitionKey: `pk-${i + j}` })),
        }),
      );
      expect(res.FailedRecordCount ?? 0).toBe(0);
    }
  }

  function mapping(handler: LambdaHandler) {
    return testMapping({
      kinesis: clients.kinesis,
      stream: STREAM,
      dir,
      id: "TestConsumer",
      handler,
      settings: { batchSize: 50, batchingWindowMs: 50 },
      onFailure: s3FailureDestination(clients.s3, BUCKET, "tickstream-local-TestConsumer"),
    });
  }

  const decode = (r: KinesisStreamRecord) => Buffer.from(r.kinesis.data, "base64").toString();

  it("delivers Lambda-shaped batches, retries reported failures, isolates a poison record and resumes from its checkpoint", async () => {
    const seen: string[] = [];
    const sample: KinesisStreamRecord[] = [];
    const flakyFailed = new Set<string>();
    const handler: LambdaHandler = async (event: KinesisStreamEvent) => {
      sample.push(event.Records[0]!);
      if (event.Records.some((r) => decode(r) === "POISON")) throw new Error("cannot parse");
      const failures: { itemIdentifier: string }[] = [];
      for (const r of event.Records) {
        const v = decode(r);
        if (v.startsWith("flaky") && !flakyFailed.has(v)) {
          flakyFailed.add(v);
          failures.push({ itemIdentifier: r.kinesis.sequenceNumber });
          continue;
        }
        if (failures.length === 0) seen.push(v);
      }
      return { batchItemFailures: failures };
    };

    const first = Array.from({ length: 300 }, (_, i) =>
      i === 137 ? "POISON" : i % 40 === 7 ? `flaky-${i}` : `ok-${i}`,
    );
    await put(first);
    const m1 = mapping(handler);
    await m1.start();
    await m1.waitCaughtUp(Date.now(), 30_000);
    await m1.stop();

    // Every good record was handled (reported failures again on retry), the poison one never.
    const good = first.filter((v) => v !== "POISON");
    expect(new Set(seen)).toEqual(new Set(good));
    expect(seen).not.toContain("POISON");

    // Event shape as Lambda's.
    const r = sample[0]!;
    expect(r).toMatchObject({
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventName: "aws:kinesis:record",
      awsRegion: "us-east-1",
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`,
      kinesis: { kinesisSchemaVersion: "1.0" },
    });
    expect(r.eventID).toMatch(/^shardId-\d{12}:\d+$/);
    expect(r.eventID.endsWith(`:${r.kinesis.sequenceNumber}`)).toBe(true);
    expect(r.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1e9);
    expect(r.kinesis.approximateArrivalTimestamp).toBeLessThan(1e11); // seconds, not ms

    // The poison record's batch metadata went to the on-failure destination.
    const listed = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "failed-batches/" }),
    );
    expect(listed.Contents).toHaveLength(1);
    const key = listed.Contents![0]!.Key!;
    expect(key).toMatch(
      /^failed-batches\/tickstream-local-TestConsumer\/shardId-\d{12}\/\d{4}\/\d{2}\/\d{2}\/.+\.json$/,
    );
    const obj = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const doc = JSON.parse(await obj.Body!.transformToString()) as OnFailureRecord;
    expect(doc.requestContext.condition).toBe("RetryAttemptsExhausted");
    expect(doc.requestContext.approximateInvokeCount).toBe(CONSUMERS.latest.retryAttempts + 1);
    expect(doc.responseContext.functionError).toBe("Unhandled");
    expect(doc.KinesisBatchInfo.batchSize).toBe(1);
    expect(doc.KinesisBatchInfo.startSequenceNumber).toBe(doc.KinesisBatchInfo.endSequenceNumber);
    expect(doc.KinesisBatchInfo.streamArn).toBe(
      `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`,
    );
    expect(Date.parse(doc.KinesisBatchInfo.approximateArrivalOfFirstRecord)).toBeGreaterThan(0);

    // Checkpoints are on disk, one file per shard.
    const status = m1.status();
    expect(status).toHaveLength(2);
    for (const s of status) {
      const file = JSON.parse(
        await readFile(
          join(dir, "checkpoints", "TestConsumer", STREAM, `${s.shardId}.json`),
          "utf8",
        ),
      );
      expect(file.sequenceNumber).toBe(s.checkpoint);
    }

    // A new mapping on the same checkpoints resumes after them: only new records arrive.
    const second = Array.from({ length: 120 }, (_, i) => `second-${i}`);
    await put(second);
    const seen2: string[] = [];
    const m2 = mapping(async (event: KinesisStreamEvent) => {
      for (const rec of event.Records) seen2.push(decode(rec));
      return { batchItemFailures: [] };
    });
    await m2.start();
    await m2.waitCaughtUp(Date.now(), 30_000);
    await m2.stop();
    expect(seen2.sort()).toEqual([...second].sort());
  });
});
