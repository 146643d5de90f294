import { describe, expect, it } from "vitest";
import type { KinesisStreamRecord } from "aws-lambda";
import {
  firstFailure,
  processBatch,
  type BatchDeps,
  type BatchSettings,
  type InvokeResult,
} from "./batch.js";
import type { FailureCondition } from "./events.js";

const NOW = 1_800_000_000_000;

function records(n: number, arrivalMs = NOW - 1000): KinesisStreamRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: "k",
      sequenceNumber: String(1000 + i),
      data: Buffer.from(`r${i}`).toString("base64"),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `shardId-000000000000:${1000 + i}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::000000000000:role/x",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/s",
  }));
}

const seqs = (rs: KinesisStreamRecord[]) => rs.map((r) => Number(r.kinesis.sequenceNumber) - 1000);

const settings: BatchSettings = {
  bisectBatchOnError: true,
  retryAttempts: 2,
  maxRecordAgeMs: -1,
  reportBatchItemFailures: true,
  retryDelayMs: () => 0,
};

function harness(
  fn: (batch: number[], call: number) => unknown,
  opts: { stopAfter?: number } = {},
) {
  const calls: number[][] = [];
  const checkpoints: number[] = [];
  const failures: {
    records: number[];
    condition: FailureCondition;
    invokeCount: number;
    functionError?: string;
  }[] = [];
  const deps: BatchDeps = {
    async invoke(rs): Promise<InvokeResult> {
      calls.push(seqs(rs));
      try {
        return { ok: true, response: await fn(seqs(rs), calls.length) };
      } catch (error) {
        return { ok: false, error };
      }
    },
    async checkpoint(seq) {
      checkpoints.push(Number(seq) - 1000);
    },
    async onFailure(rs, info) {
      failures.push({
        records: seqs(rs),
        condition: info.condition,
        invokeCount: info.invokeCount,
        functionError: info.functionError,
      });
    },
    stopping: () => opts.stopAfter !== undefined && calls.length >= opts.stopAfter,
    now: () => NOW,
    sleep: async () => undefined,
  };
  return { calls, checkpoints, failures, deps };
}

const fail = (...ids: number[]) => ({
  batchItemFailures: ids.map((i) => ({ itemIdentifier: String(1000 + i) })),
});

describe("processBatch (Lambda's handling of one Kinesis batch)", () => {
  it("checkpoints the whole batch after a clean invocation", async () => {
    const h = harness(() => ({ batchItemFailures: [] }));
    const out = await processBatch(records(5), settings, h.deps);
    expect(out).toEqual({ completed: true, invocations: 1, failedRecords: 0 });
    expect(h.calls).toEqual([[0, 1, 2, 3, 4]]);
    expect(h.checkpoints).toEqual([4]);
  });

  it("retries from the lowest reported failure, checkpointing the records before it", async () => {
    const h = harness((_b, call) =>
      call === 1 ? fail(7, 3, 5) : call === 2 ? fail(6) : undefined,
    );
    await processBatch(records(10), settings, h.deps);
    expect(h.calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [3, 4, 5, 6, 7, 8, 9],
      [6, 7, 8, 9],
    ]);
    expect(h.checkpoints).toEqual([2, 5, 9]);
    expect(h.failures).toEqual([]);
  });

  it("treats an unknown or empty itemIdentifier as a failure of the whole batch", async () => {
    expect(firstFailure({ batchItemFailures: [{ itemIdentifier: "" }] }, records(3))).toBe("all");
    expect(firstFailure({ batchItemFailures: [{ itemIdentifier: "42" }] }, records(3))).toBe("all");
    expect(firstFailure({ batchItemFailures: null }, records(3))).toBe(-1);
    expect(firstFailure(null, records(3))).toBe(-1);
    expect(
      firstFailure(
        { batchItemFailures: [{ itemIdentifier: "1002" }, { itemIdentifier: "1001" }] },
        records(3),
      ),
    ).toBe(1);
    const h = harness((_b, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: "nope" }] } : undefined,
    );
    await processBatch(records(4), settings, h.deps);
    expect(h.calls).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    expect(h.checkpoints).toEqual([3]);
  });

  it("ignores the response when partial batch responses are off", async () => {
    const h = harness(() => fail(1));
    await processBatch(records(3), { ...settings, reportBatchItemFailures: false }, h.deps);
    expect(h.calls).toHaveLength(1);
    expect(h.checkpoints).toEqual([2]);
  });

  it("bisects on a function error down to the poison record, then gives up on it alone", async () => {
    const h = harness((batch) => {
      if (batch.includes(5)) throw new Error("poison");
    });
    const out = await processBatch(records(8), settings, h.deps);
    expect(h.calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5],
      [5], // first attempt + retryAttempts (2)
      [6, 7],
    ]);
    expect(h.failures).toEqual([
      {
        records: [5],
        condition: "RetryAttemptsExhausted",
        invokeCount: 3,
        functionError: "Unhandled",
      },
    ]);
    expect(h.checkpoints).toEqual([3, 4, 5, 7]);
    expect(out).toMatchObject({ completed: true, failedRecords: 1, invocations: 9 });
  });

  it("without bisect, retries the whole batch and then sends it to the on-failure destination", async () => {
    const h = harness(() => {
      throw new Error("down");
    });
    await processBatch(
      records(4),
      { ...settings, bisectBatchOnError: false, retryAttempts: 3 },
      h.deps,
    );
    expect(h.calls).toHaveLength(4);
    expect(h.failures).toEqual([
      {
        records: [0, 1, 2, 3],
        condition: "RetryAttemptsExhausted",
        invokeCount: 4,
        functionError: "Unhandled",
      },
    ]);
    expect(h.checkpoints).toEqual([3]);
  });

  it("gives up on reported failures after the retries, without a function error", async () => {
    const h = harness(() => fail(2));
    await processBatch(records(4), { ...settings, retryAttempts: 1 }, h.deps);
    expect(h.calls).toEqual([
      [0, 1, 2, 3],
      [2, 3],
    ]);
    expect(h.failures).toEqual([
      {
        records: [2, 3],
        condition: "RetryAttemptsExhausted",
        invokeCount: 2,
        functionError: undefined,
      },
    ]);
    expect(h.checkpoints).toEqual([1, 3]);
  });

  it("skips records older than the maximum record age (RecordAgeExceeded) without invoking on them", async () => {
    const old = records(3, NOW - 120_000);
    const fresh = records(5).slice(3);
    const h = harness(() => undefined);
    await processBatch([...old, ...fresh], { ...settings, maxRecordAgeMs: 60_000 }, h.deps);
    expect(h.failures).toEqual([
      {
        records: [0, 1, 2],
        condition: "RecordAgeExceeded",
        invokeCount: 0,
        functionError: undefined,
      },
    ]);
    expect(h.calls).toEqual([[3, 4]]);
    expect(h.checkpoints).toEqual([2, 4]);
  });

  it("stops between invocations without committing what is not done", async () => {
    const h = harness(() => fail(2), { stopAfter: 1 });
    const out = await processBatch(records(5), settings, h.deps);
    expect(out.completed).toBe(false);
    expect(h.checkpoints).toEqual([1]);
  });
});
