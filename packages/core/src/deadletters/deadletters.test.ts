import { describe, expect, it } from "vitest";
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import type { BadRecord } from "../kinesis/batch.js";
import { deadLetterKey } from "../archive/keys.js";
import { deadLetterObjects, s3DeadLetterWriter, type PutObjectClient } from "./deadletters.js";

const SHARD = "shardId-000000000001";
const day1 = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
const day2 = Date.UTC(2026, 10, 23, 0, 0, 0, 0);

function bad(text: string | Uint8Array, seq: string, arrivalTime: number, shardId = SHARD, subIndex: number | null = 0): BadRecord {
  return { raw: typeof text === "string" ? Buffer.from(text) : text, reason: "unrecognised format", position: { shardId, sequenceNumber: seq, arrivalTime, subIndex } };
}

/** A fake S3 that keeps PutObject bodies by key (overwrite semantics) and can fail on demand. */
class FakeS3 implements PutObjectClient {
  objects = new Map<string, { body: string; contentType?: string; bucket: string }>();
  failKeys = new Set<string>();
  async send(command: PutObjectCommand): Promise<unknown> {
    const { Bucket, Key, Body, ContentType } = command.input;
    if (this.failKeys.has(Key!)) throw Object.assign(new Error("SlowDown"), { name: "SlowDown" });
    this.objects.set(Key!, { body: String(Body), contentType: ContentType, bucket: Bucket! });
    return {};
  }
}

describe("dead letters", () => {
  it("writes JSON lines under dead-letters/YYYY/MM/DD/ (UTC arrival day), keyed by shard and first sequence number", async () => {
    const s3 = new FakeS3();
    const write = s3DeadLetterWriter(s3, "archive", "latest");
    const records = [bad("zzz", "1010", day2), bad(new Uint8Array([0xff, 0x00]), "999", day1), bad("", "1000", day1)];
    const result = await write(records);
    expect(result).toEqual({ written: 3, failed: [], errors: [] });
    expect([...s3.objects.keys()].sort()).toEqual([
      `dead-letters/2026/11/22/${SHARD}-999.jsonl`,
      `dead-letters/2026/11/23/${SHARD}-1010.jsonl`,
    ]);
    const first = s3.objects.get(`dead-letters/2026/11/22/${SHARD}-999.jsonl`)!;
    expect(first.bucket).toBe("archive");
    expect(first.contentType).toBe("application/x-ndjson");
    expect(first.body.endsWith("\n")).toBe(true);
    expect(first.body.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([
      { raw: "/wA=", reason: "unrecognised format", shardId: SHARD, sequenceNumber: "999", subIndex: 0, arrivalTime: day1, consumer: "latest" },
      { raw: "", reason: "unrecognised format", shardId: SHARD, sequenceNumber: "1000", subIndex: 0, arrivalTime: day1, consumer: "latest" },
    ]);
  });

  it("a retried batch overwrites its object instead of adding one", async () => {
    const s3 = new FakeS3();
    const write = s3DeadLetterWriter(s3, "archive", "latest");
    const records = [bad("a", "5", day1), bad("b", "7", day1)];
    await write(records);
    await write(records);
    await write(records.slice(0, 1)); // first half of a bisected batch
    await write(records.slice(1)); // second half
    const lines = [...s3.objects.values()].flatMap((o) => o.body.trimEnd().split("\n"));
    expect(lines.map((l) => JSON.parse(l).sequenceNumber).sort()).toEqual(["5", "7"]);
    expect(deadLetterKey(day1, SHARD, "5")).toBe(`dead-letters/2026/11/22/${SHARD}-5.jsonl`);
  });

  it("returns the records of an object that could not be written, never throws", async () => {
    const s3 = new FakeS3();
    s3.failKeys.add(`dead-letters/2026/11/23/${SHARD}-20.jsonl`);
    const result = await s3DeadLetterWriter(s3, "archive", "latest")([bad("a", "10", day1), bad("b", "20", day2), bad("c", "21", day2)]);
    expect(result.written).toBe(1);
    expect(result.failed.map((r) => r.position.sequenceNumber)).toEqual(["20", "21"]);
    expect(result.errors).toHaveLength(1);
    expect(await s3DeadLetterWriter(s3, "archive", "latest")([])).toEqual({ written: 0, failed: [], errors: [] });
  });

  it("groups by shard too", () => {
    const objects = deadLetterObjects([bad("a", "3", day1, "shardId-000000000002"), bad("b", "4", day1)], "latest");
    expect(objects.map((o) => o.key).sort()).toEqual([`dead-letters/2026/11/22/${SHARD}-4.jsonl`, "dead-letters/2026/11/22/shardId-000000000002-3.jsonl"]);
  });
});
