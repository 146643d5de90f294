import { describe, expect, it } from "vitest";
import {
  backoffMs,
  putBatch,
  takeBatch,
  type OutRecord,
  type PutRecordsFn,
  type PutRecordsRequest,
} from "./putter.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const rec = (text: string, key = "k"): OutRecord => ({ data: enc.encode(text), partitionKey: key });
const fast = { maxRetries: 8, baseDelayMs: 1, maxDelayMs: 5 };

/**
 * A PutRecords stub that throttles: each call refuses the entries whose data it has refused
 * fewer than `times` times, at random positions. It records what "landed" in the stream.
 */
function throttlingStream(times: number, fraction = 0.3, seed = 1) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const refusals = new Map<string, number>();
  const landed: string[] = [];
  const calls: PutRecordsRequest[] = [];
  const put: PutRecordsFn = async (request) => {
    calls.push(request);
    const results = request.Records.map((r) => {
      const text = dec.decode(r.Data);
      const n = refusals.get(text) ?? 0;
      if (n < times && rand() < fraction) {
        refusals.set(text, n + 1);
        return {
          ErrorCode: "ProvisionedThroughputExceededException",
          ErrorMessage: "Rate exceeded for shard shardId-000000000000",
        };
      }
      landed.push(text);
      return { SequenceNumber: String(landed.length), ShardId: "shardId-000000000000" };
    });
    return { FailedRecordCount: results.filter((r) => "ErrorCode" in r).length, Records: results };
  };
  return { put, landed, calls, refusals };
}

describe("putBatch", () => {
  it("resends only the failed entries until every record has landed exactly once", async () => {
    const stream = throttlingStream(3, 0.4);
    const records = Array.from({ length: 300 }, (_, i) => rec(`r${i}`, `key${i % 7}`));
    const out = await putBatch(stream.put, "prices", records, fast);
    expect(out.failed).toEqual([]);
    expect(out.delivered).toHaveLength(300);
    expect([...stream.landed].sort()).toEqual(records.map((r) => dec.decode(r.data)).sort());
    expect(new Set(stream.landed).size).toBe(300);
    const refused = [...stream.refusals.values()].reduce((a, b) => a + b, 0);
    expect(refused).toBeGreaterThan(0);
    expect(out.retried).toBe(refused);
    expect(out.throttled).toBe(refused);
    // Every call after the first carries only entries refused by the previous one.
    expect(stream.calls[0]!.Records).toHaveLength(300);
    for (let i = 1; i < stream.calls.length; i++) {
      expect(stream.calls[i]!.Records.length).toBeLessThan(stream.calls[i - 1]!.Records.length + 1);
    }
  });

  it("keeps the original order of the entries it resends", async () => {
    const stream = throttlingStream(2, 0.5, 3);
    const records = Array.from({ length: 100 }, (_, i) => rec(`r${String(i).padStart(3, "0")}`));
    await putBatch(stream.put, "prices", records, fast);
    for (const call of stream.calls) {
      const texts = call.Records.map((r) => dec.decode(r.Data));
      expect(texts).toEqual([...texts].sort());
    }
  });

  it("counts records as failed after the last retry, with the error code", async () => {
    const stream = throttlingStream(100, 0.5, 5);
    const records = Array.from({ length: 50 }, (_, i) => rec(`r${i}`));
    const out = await putBatch(stream.put, "prices", records, { ...fast, maxRetries: 2 });
    expect(out.failed.length).toBeGreaterThan(0);
    expect(out.delivered.length + out.failed.length).toBe(50);
    expect(new Set(stream.landed).size).toBe(out.delivered.length);
    expect(out.failed.every((f) => f.code === "ProvisionedThroughputExceededException")).toBe(true);
    expect(stream.calls).toHaveLength(3);
  });

  it("retries a call that fails as a whole when the error is transient", async () => {
    let calls = 0;
    const put: PutRecordsFn = async (request) => {
      calls++;
      if (calls <= 2)
        throw Object.assign(new Error("Rate exceeded"), {
          name: "ProvisionedThroughputExceededException",
        });
      return {
        FailedRecordCount: 0,
        Records: request.Records.map(() => ({ SequenceNumber: "1", ShardId: "s" })),
      };
    };
    const out = await putBatch(put, "prices", [rec("a"), rec("b")], fast);
    expect(out.delivered).toHaveLength(2);
    expect(out.retried).toBe(4);
    expect(out.throttled).toBe(4);
  });

  it("stops at once on an error that retrying cannot fix", async () => {
    let calls = 0;
    const put: PutRecordsFn = async () => {
      calls++;
      throw Object.assign(new Error("Stream prices under account 000000000000 not found."), {
        name: "ResourceNotFoundException",
        $metadata: { httpStatusCode: 400 },
      });
    };
    const out = await putBatch(put, "prices", [rec("a"), rec("b")], fast);
    expect(calls).toBe(1);
    expect(out.fatal?.name).toBe("ResourceNotFoundException");
    expect(out.failed.map((f) => f.code)).toEqual([
      "ResourceNotFoundException",
      "ResourceNotFoundException",
    ]);
  });

  it("backs off exponentially with full jitter, capped", () => {
    const policy = { maxRetries: 8, baseDelayMs: 100, maxDelayMs: 5_000 };
    expect(backoffMs(0, { ...policy, random: () => 0.999 })).toBe(100);
    expect(backoffMs(3, { ...policy, random: () => 0.999 })).toBe(799);
    expect(backoffMs(10, { ...policy, random: () => 1 })).toBe(5_000);
    expect(backoffMs(3, { ...policy, random: () => 0 })).toBe(1);
  });
});

describe("takeBatch", () => {
  it("takes at most 500 records", () => {
    const queue = Array.from({ length: 1200 }, (_, i) => rec(`r${i}`));
    expect(takeBatch(queue)).toHaveLength(500);
    expect(takeBatch(queue)).toHaveLength(500);
    expect(takeBatch(queue)).toHaveLength(200);
    expect(queue).toHaveLength(0);
  });

  it("takes at most 5 MiB of data and partition keys", () => {
    const big = "x".repeat(1024 * 1024 - 10);
    const queue = Array.from({ length: 8 }, () => rec(big, "0123456789"));
    const first = takeBatch(queue);
    expect(first).toHaveLength(5);
    expect(takeBatch(queue)).toHaveLength(3);
  });
});
