import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { ensureStream } from "@tickstream/testkit/provision";
import { describe, expect, it } from "vitest";
import type { LambdaHandler } from "../lambda.js";
import type { OnFailureRecord } from "./events.js";
import { kinesaliteForTests } from "../testing/kinesalite.js";
import { testMapping } from "../testing/mapping.js";

const TIMEOUT_MS = 300;

/**
 * A function that runs past its time limit fails as Lambda's would: the invocation counts as a
 * function error, the batch is bisected and retried per the mapping's settings, and what still
 * times out goes to the on-failure destination; the poller does not wait for it forever.
 */
describe("event source mapping and the function's time limit", () => {
  const local = kinesaliteForTests("tickstream-timeout-");

  const decode = (r: KinesisStreamRecord) => Buffer.from(r.kinesis.data, "base64").toString();

  async function run(stream: string, values: string[], handler: LambdaHandler) {
    await ensureStream(local.kinesis, stream, 1);
    const res = await local.kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: values.map((v) => ({ Data: Buffer.from(v), PartitionKey: "k" })),
      }),
    );
    expect(res.FailedRecordCount ?? 0).toBe(0);
    const failures: OnFailureRecord[] = [];
    const mapping = testMapping({
      kinesis: local.kinesis,
      stream,
      dir: local.dir,
      id: "SlowConsumer",
      handler,
      timeoutMs: TIMEOUT_MS,
      settings: { batchSize: 8, batchingWindowMs: 0, retryAttempts: 1, bisectBatchOnError: true },
      onFailure: async (doc) => void failures.push(doc),
    });
    await mapping.start();
    await mapping.waitCaughtUp(Date.now(), 30_000);
    await mapping.stop();
    return { failures, status: mapping.status() };
  }

  it("bisects and retries around a record whose invocations never return, then gives it up", async () => {
    const delivered: string[] = [];
    let hung = 0;
    const values = Array.from({ length: 8 }, (_, i) => (i === 5 ? "hang" : `ok-${i}`));
    const { failures, status } = await run(
      "timeout-hang",
      values,
      async (event: KinesisStreamEvent) => {
        const batch = event.Records.map(decode);
        if (batch.includes("hang")) {
          hung += 1;
          return new Promise(() => undefined); // never settles
        }
        delivered.push(...batch);
        return { batchItemFailures: [] };
      },
    );
    expect(delivered).toEqual(values.filter((v) => v !== "hang"));
    // 8 time out -> [0..3] ok, [4..7] time out -> [4,5] time out -> [4] ok, [5] times out
    // on its first try and on its one retry -> [6,7] ok.
    expect(hung).toBe(5);
    expect(failures).toHaveLength(1);
    const doc = failures[0]!;
    expect(doc.requestContext.condition).toBe("RetryAttemptsExhausted");
    expect(doc.requestContext.approximateInvokeCount).toBe(2);
    expect(doc.responseContext.functionError).toBe("Unhandled");
    expect(doc.KinesisBatchInfo.batchSize).toBe(1);
    expect(status[0]!.failedRecords).toBe(1);
  });

  it("retries a batch that timed out once, and counts it done when a retry finishes in time", async () => {
    const delivered: string[] = [];
    let attempts = 0;
    const { failures, status } = await run(
      "timeout-once",
      ["a", "b", "c"],
      async (event: KinesisStreamEvent) => {
        attempts += 1;
        // Longer than the time limit on the first try only; that invocation's late finish is
        // not taken for a result.
        if (attempts === 1) await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));
        else delivered.push(...event.Records.map(decode));
        return { batchItemFailures: [] };
      },
    );
    expect(failures).toEqual([]);
    expect(delivered).toEqual(["a", "b", "c"]);
    expect(status[0]!.failedRecords).toBe(0);
    // The first attempt timed out and was bisected; each half then ran in time.
    expect(status[0]!.invocations).toBe(3);
  });
});
