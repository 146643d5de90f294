import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import type { PutRecordsFn, PutRecordsRequest } from "../producer/putter.js";
import { findArchiveBucketOutput, resolveArchive } from "./archive-target.js";
import { dayPrefixes } from "@tickstream/core/archive/keys";
import { encodePipe } from "@tickstream/core/ticks/encode";
import { encodeAggregated } from "@tickstream/core/ticks/kpl";
import { decodeBatch } from "@tickstream/core/kinesis/batch";
import { toKinesisRecord } from "@tickstream/core/kinesis/records";
import { deliveredLines } from "@tickstream/local/archive/delivery";
import { archiveLines, deadLetterRecord, partitionKeyFor, replay } from "./replay.js";

const T = Date.UTC(2026, 10, 22, 10, 0, 0); // 2026-11-22T10:00:00Z
const H = 3_600_000;

const pipe = (instrument: number, seq: number, price: number) =>
  encodePipe({ instrument: String(instrument), eventTime: seq, receivedAt: seq + 10, level: 1, pricesCents: [price] });

/** An S3 stand-in holding objects in memory; lists are paginated by 2 to exercise paging. */
function fakeS3(objects: Record<string, Uint8Array>): S3Client {
  return {
    async send(cmd: unknown) {
      if (cmd instanceof ListObjectsV2Command) {
        const { Prefix = "", ContinuationToken } = cmd.input;
        const keys = Object.keys(objects)
          .filter((k) => k.startsWith(Prefix))
          .sort()
          .reverse(); // unsorted on purpose
        const start = ContinuationToken ? Number(ContinuationToken) : 0;
        const page = keys.slice(start, start + 2);
        const more = start + 2 < keys.length;
        return {
          Contents: page.map((Key) => ({ Key })),
          IsTruncated: more,
          NextContinuationToken: more ? String(start + 2) : undefined,
        };
      }
      if (cmd instanceof GetObjectCommand) {
        const body = objects[cmd.input.Key!];
        if (!body) throw Object.assign(new Error("no such key"), { name: "NoSuchKey" });
        return { Body: { transformToByteArray: async () => body } };
      }
      throw new Error(`unexpected command ${(cmd as object).constructor.name}`);
    },
  } as unknown as S3Client;
}

/** Replays from an in-memory archive (bucket "b") into the stream "prices". */
function replayFrom(
  objects: Record<string, Uint8Array>,
  options: Omit<Parameters<typeof replay>[0], "s3" | "bucket" | "streamName">,
) {
  return replay({ s3: fakeS3(objects), bucket: "b", streamName: "prices", ...options });
}

/** Replays the dead letters that arrived in the hour from T; a random partition key is "rnd". */
function replayDeadLetters(objects: Record<string, Uint8Array>, put: PutRecordsFn) {
  return replayFrom(objects, { put, fromMs: T, toMs: T + H, source: "dead-letters", randomKey: () => "rnd" });
}

function recordingPut(
  fail?: (attempt: number, index: number) => string | undefined,
): PutRecordsFn & { calls: PutRecordsRequest[] } {
  const calls: PutRecordsRequest[] = [];
  const fn = (async (request: PutRecordsRequest) => {
    calls.push(request);
    const attempt = calls.length;
    const Records = request.Records.map((_, i) => {
      const code = fail?.(attempt, i);
      return code
        ? { ErrorCode: code, ErrorMessage: code }
        : { SequenceNumber: String(attempt * 1000 + i), ShardId: "shardId-0" };
    });
    return { FailedRecordCount: Records.filter((r) => "ErrorCode" in r).length, Records };
  }) as PutRecordsFn & { calls: PutRecordsRequest[] };
  fn.calls = calls;
  return fn;
}

const gz = (lines: string[]) => gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join("")));
const text = (d: Uint8Array) => Buffer.from(d).toString("utf8");
const fastRetry = { maxRetries: 5, baseDelayMs: 1, maxDelayMs: 2 };

describe("archiveLines", () => {
  it("reads gzip (several members too) and plain objects, one record per line", () => {
    expect(archiveLines(gz(["a", "b"])).map(text)).toEqual(["a", "b"]);
    const twoMembers = Buffer.concat([gz(["a"]), gz(["b", "c"])]);
    expect(archiveLines(twoMembers).map(text)).toEqual(["a", "b", "c"]);
    expect(archiveLines(Buffer.from("x\ny")).map(text)).toEqual(["x", "y"]);
    expect(archiveLines(Buffer.from("x\n\ny\n")).map(text)).toEqual(["x", "", "y"]);
    expect(archiveLines(new Uint8Array())).toEqual([]);
  });
});

describe("partitionKeyFor", () => {
  it("is the instrument of a decodable record, random otherwise", () => {
    expect(partitionKeyFor(Buffer.from(pipe(3, T, 12345)))).toEqual({ key: "3", decodable: true });
    const json = Buffer.from(
      '{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}',
    );
    expect(partitionKeyFor(json)).toEqual({ key: "AAPL", decodable: true });
    expect(partitionKeyFor(Buffer.from("garbage"), () => "rnd")).toEqual({
      key: "rnd",
      decodable: false,
    });
  });
});

describe("replay", () => {
  const objects: Record<string, Uint8Array> = {
    "raw/2026/11/22/09/prices-1-2026-11-22-09-59-00-a.gz": gz([pipe(1, T - 60_000, 100)]),
    "raw/2026/11/22/10/prices-1-2026-11-22-10-00-01-a.gz": gz([
      pipe(1, T + 1000, 101),
      pipe(2, T + 1500, 201),
    ]),
    "raw/2026/11/22/10/prices-1-2026-11-22-10-05-00-b.gz": gz([
      pipe(1, T + 300_000, 102),
      "not a tick",
      "",
    ]),
    "raw/2026/11/22/10/prices-1-2026-11-22-10-30-00-c.gz": gz(
      Array.from({ length: 1200 }, (_, i) => pipe(i % 7, T + 1_800_000 + i, 1000 + i)),
    ),
    "raw/2026/11/22/11/prices-1-2026-11-22-11-00-00-a.gz": gz([pipe(9, T + H, 900)]),
    "errors/2026/11/22/10/prices-1-2026-11-22-10-00-00-z.gz": gz(["must not be read"]),
  };

  it("puts every record of the selected arrival hours back, in archive order, in batches of ≤ 500", async () => {
    const put = recordingPut();
    const report = await replayFrom(objects, {
      put,
      fromMs: T + 10 * 60_000,
      toMs: T + H,
      randomKey: () => "rnd",
    });
    expect(report.prefixes).toEqual(["raw/2026/11/22/10/"]);
    expect(report.objects).toBe(3);
    expect(report.records).toBe(2 + 2 + 1200);
    expect(report.decodable).toBe(2 + 1 + 1200);
    expect(report.skippedEmpty).toBe(1);
    expect(report).toMatchObject({ delivered: 1204, failed: 0, retried: 0 });
    expect(put.calls.map((c) => c.Records.length)).toEqual([500, 500, 204]);
    const sent = put.calls.flatMap((c) => c.Records);
    expect(text(sent[0]!.Data)).toBe(pipe(1, T + 1000, 101));
    expect(sent[0]!.PartitionKey).toBe("1");
    expect(text(sent[3]!.Data)).toBe("not a tick");
    expect(sent[3]!.PartitionKey).toBe("rnd");
    expect(text(sent[1203]!.Data)).toBe(pipe(1199 % 7, T + 1_800_000 + 1199, 2199));
    expect(sent.every((r) => r.Data.byteLength > 0 && !text(r.Data).endsWith("\n"))).toBe(true);
  });

  it("resends only the failed entries until they are in", async () => {
    // The first call refuses every third record; the resends go through.
    const put = recordingPut((attempt, i) =>
      attempt === 1 && i % 3 === 0 ? "ProvisionedThroughputExceededException" : undefined,
    );
    const report = await replayFrom(objects, {
      put,
      fromMs: T,
      toMs: T + 1,
      retry: fastRetry,
    });
    expect(report).toMatchObject({ delivered: 1204, failed: 0, throttled: 167 });
    expect(report.retried).toBe(167);
    expect(put.calls[1]!.Records).toHaveLength(167);
    expect(put.calls.reduce((n, c) => n + c.Records.length, 0)).toBe(1204 + 167);
  });

  it("counts what could not be put, and stops on an error retrying cannot fix", async () => {
    const always = recordingPut(() => "InternalFailure");
    const r1 = await replayFrom(objects, {
      put: always,
      fromMs: T + H,
      toMs: T + H + 1,
      retry: fastRetry,
    });
    expect(r1).toMatchObject({
      records: 1,
      delivered: 0,
      failed: 1,
      failures: { InternalFailure: 1 },
    });

    const missing: PutRecordsFn = async () => {
      throw Object.assign(new Error("Stream prices not found"), {
        name: "ResourceNotFoundException",
      });
    };
    const r2 = await replayFrom(objects, {
      put: missing,
      fromMs: T,
      toMs: T + 2 * H,
      retry: fastRetry,
    });
    expect(r2.fatal).toMatch(/ResourceNotFoundException/);
    expect(r2.delivered).toBe(0);
    expect(r2.failed).toBeGreaterThan(0);
    expect(r2.objects).toBeLessThan(4);
  });

  it("a dry run counts and puts nothing", async () => {
    const put = recordingPut();
    const report = await replayFrom(objects, {
      put,
      fromMs: T - H,
      toMs: T + 2 * H,
      dryRun: true,
    });
    expect(put.calls).toHaveLength(0);
    expect(report).toMatchObject({ objects: 5, records: 1 + 1204 + 1, delivered: 0 });
    expect(report.byPrefix["raw/2026/11/22/09/"]).toEqual({ objects: 1, records: 1 });
  });

  it("paces to --rate", async () => {
    const put = recordingPut();
    const started = Date.now();
    const report = await replayFrom(objects, {
      put,
      fromMs: T,
      toMs: T + 1,
      rate: 4000,
    });
    expect(report.delivered).toBe(1204);
    // 1204 records at 4000/s with a burst of 500: at least ~175 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

describe("dead letters", () => {
  const line = (raw: string, seq: string, arrivalTime: number) =>
    JSON.stringify({
      raw: Buffer.from(raw).toString("base64"),
      reason: "no price",
      shardId: "shardId-000000000000",
      sequenceNumber: seq,
      arrivalTime,
      consumer: "latest",
    });
  const objects: Record<string, Uint8Array> = {
    "dead-letters/2026/11/21/shardId-000000000000-1.jsonl": Buffer.from(
      `${line("old", "1", T - 20 * H)}\n`,
    ),
    "dead-letters/2026/11/22/shardId-000000000000-5.jsonl": Buffer.from(
      [
        line(pipe(4, T, 400), "5", T + 1000),
        line("still bad", "6", T + 2000),
        "not json",
        line("late", "7", T + 5 * H),
      ].join("\n") + "\n",
    ),
    // A replay with other batch boundaries wrote record 6 a second time.
    "dead-letters/2026/11/22/shardId-000000000000-6.jsonl": Buffer.from(
      `${line("still bad", "6", T + 2000)}\n`,
    ),
  };

  it("lists the arrival days of the range and reads the lines", () => {
    expect(dayPrefixes(T - 20 * H, T + H)).toEqual([
      "dead-letters/2026/11/21/",
      "dead-letters/2026/11/22/",
    ]);
    expect(dayPrefixes(T, T + 1)).toEqual(["dead-letters/2026/11/22/"]);
    expect(deadLetterRecord(Buffer.from(line("x", "9", 5)))).toEqual({
      data: Buffer.from("x"),
      id: "shardId-000000000000/9/-",
      arrivalTime: 5,
    });
    expect(deadLetterRecord(Buffer.from("{}"))).toBeUndefined();
    expect(deadLetterRecord(Buffer.from("nope"))).toBeUndefined();
  });

  it("puts back the raw bytes of the dead letters that arrived in the range, each once", async () => {
    const put = recordingPut();
    const report = await replayDeadLetters(objects, put);
    expect(report).toMatchObject({
      source: "dead-letters",
      objects: 2,
      records: 2,
      decodable: 1,
      duplicates: 1,
      outOfRange: 1,
      unreadable: 1,
      delivered: 2,
    });
    const sent = put.calls.flatMap((c) => c.Records).map((r) => [text(r.Data), r.PartitionKey]);
    expect(sent).toEqual([
      [pipe(4, T, 400), "4"],
      ["still bad", "rnd"],
    ]);
  });
});

describe("records that held many ticks", () => {
  it("raw: the archive's de-aggregated lines of a KPL record replay as the same ticks, one per record", async () => {
    const ticks = [pipe(1, T, 100), pipe(2, T + 1, 200), `${pipe(3, T + 2, 300)}\n${pipe(4, T + 3, 400)}`];
    const aggregate = encodeAggregated(ticks.map((data, i) => ({ partitionKey: `k${i}`, data: Buffer.from(data) })));
    const lines = Buffer.concat([deliveredLines(aggregate), deliveredLines(Buffer.from(`${pipe(5, T + 4, 500)}\n${pipe(6, T + 5, 600)}\n`))]);
    const put = recordingPut();
    const objects = { [`raw/2026/11/22/10/archive-${T}.gz`]: gzipSync(lines) };
    const report = await replayFrom(objects, {
      put,
      fromMs: T,
      toMs: T + H,
      retry: fastRetry,
    });
    expect(report).toMatchObject({ records: 6, decodable: 6, delivered: 6 });
    const sent = put.calls.flatMap((c) => c.Records);
    expect(sent.map((r) => r.PartitionKey)).toEqual(["1", "2", "3", "4", "5", "6"]);
    const position = { shardId: "shardId-000000000000", sequenceNumber: "1", arrivalTime: T + H };
    const original = decodeBatch([toKinesisRecord(aggregate, position), toKinesisRecord(`${pipe(5, T + 4, 500)}\n${pipe(6, T + 5, 600)}\n`, position)]);
    const replayed = decodeBatch(sent.map((r, i) => toKinesisRecord(r.Data, { ...position, sequenceNumber: String(10 + i) })));
    expect(replayed.bad).toEqual([]);
    expect(replayed.ticks.map((t) => t.tick)).toEqual(original.ticks.map((t) => t.tick));
  });

  it("dead letters: each bad part of a record is put back once (shard, sequence number, subIndex)", async () => {
    const line = (raw: string, seq: string, subIndex: number | null) =>
      JSON.stringify({ raw: Buffer.from(raw).toString("base64"), reason: "bad", shardId: "shardId-000000000000", sequenceNumber: seq, subIndex, arrivalTime: T + 1000, consumer: "latest" });
    const put = recordingPut();
    const objects = {
      "dead-letters/2026/11/22/shardId-000000000000-8.jsonl": Buffer.from([line("part-1", "8", 1), line("part-3", "8", 3), line("whole", "9", null)].join("\n") + "\n"),
      "dead-letters/2026/11/22/shardId-000000000000-8b.jsonl": Buffer.from(`${line("part-3", "8", 3)}\n${line("whole", "9", null)}\n`),
    };
    const report = await replayDeadLetters(objects, put);
    expect(report).toMatchObject({ records: 3, duplicates: 2, delivered: 3 });
    expect(put.calls.flatMap((c) => c.Records).map((r) => text(r.Data))).toEqual(["part-1", "part-3", "whole"]);
  });
});

describe("archive target", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "replay-target-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the archive bucket in the stage's SST outputs", () => {
    const outputs = {
      "staging-tickstream-Storage": { ArchiveBucketName: "staging-tickstream-storage-archive-1" },
      "prod-tickstream-Storage": { ArchiveBucketName: "prod-bucket" },
    };
    expect(findArchiveBucketOutput(outputs, "staging")).toBe(
      "staging-tickstream-storage-archive-1",
    );
    expect(
      findArchiveBucketOutput(
        { "pr-1-tickstream-S": { ArchiveBucketArn: "arn:aws:s3:::abc" } },
        "pr-1",
      ),
    ).toBe("abc");
    expect(findArchiveBucketOutput(outputs, "pr-2")).toBeUndefined();
  });

  it("reads the local bucket and endpoint from the local outputs", () => {
    const file = path.join(dir, "outputs.json");
    writeFileSync(
      file,
      JSON.stringify({
        region: "eu-west-1",
        s3Endpoint: "http://127.0.0.1:1",
        archiveBucket: "tickstream-archive",
      }),
    );
    const target = { mode: "local", region: "eu-west-1" } as Parameters<typeof resolveArchive>[1];
    const a = resolveArchive({ outputs: file }, target, dir);
    expect(a.bucket).toBe("tickstream-archive");
    expect(a.description).toContain("http://127.0.0.1:1");
    a.client.destroy();
    expect(() =>
      resolveArchive({ stream: "s" }, { mode: "aws", region: "eu-west-1" } as never, dir),
    ).toThrow(/--bucket/);
    expect(() =>
      resolveArchive({ stage: "qa" }, { mode: "aws", region: "eu-west-1" } as never, dir),
    ).toThrow(/--bucket/);
  });
});

// Each case starts tsx in a child process: slow on a loaded machine.
describe("npm run replay (command line)", { timeout: 60_000 }, () => {
  const root = path.resolve(import.meta.dirname, "../../../..");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "packages/tools/src/cli/replay.ts", ...args], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });

  it("--help prints the usage and exits 0", () => {
    const r = run("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: npm run replay --");
    expect(r.stdout).toContain("--dry-run");
  });

  it("bad flags print the usage and exit 2", () => {
    const bad = run("--from", "2026-11-22T10:00:00Z", "--too", "x");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown flag --too \(did you mean --to\?\)/);
    expect(bad.stderr).toContain("Usage: npm run replay --");
    expect(run("--from", "2026-11-22T10:00:00Z").status).toBe(2);
    const inverted = run("--from", "2026-11-22T10:00:00Z", "--to", "2026-11-22T09:00:00Z");
    expect(inverted.status).toBe(2);
    expect(inverted.stderr).toContain("--to must be later than --from");
    expect(run("--from", "yesterday", "--to", "today").status).toBe(2);
  });

  it("without a running local runtime, says what to do and exits 1", () => {
    const r = run(
      "--from",
      "2026-11-22T10:00:00Z",
      "--to",
      "2026-11-22T11:00:00Z",
      "--outputs",
      path.join(tmpdir(), "nothing-here.json"),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/npm start/);
  });
});
