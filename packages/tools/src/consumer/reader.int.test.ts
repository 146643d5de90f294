import { PutRecordsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import {
  localKinesis,
  startKinesalite,
  type LocalServer,
} from "@tickstream/testkit/local-aws";
import { ensureStream } from "@tickstream/testkit/provision";
import { mergeShards, splitShard } from "@tickstream/testkit/reshard";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStream, type ReadRecord, type StartPosition } from "./reader.js";

let server: LocalServer;
let client: KinesisClient;

beforeAll(async () => {
  server = await startKinesalite();
  client = localKinesis(server.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
});

let counter = 0;
/** Puts `n` records over 10 keys; the data is "<key>:<n-th record of that key>". */
async function put(stream: string, n: number, perKey: Map<string, number>): Promise<void> {
  const records = Array.from({ length: n }, () => {
    const key = `k${counter++ % 10}`;
    const i = perKey.get(key) ?? 0;
    perKey.set(key, i + 1);
    return { Data: new TextEncoder().encode(`${key}:${i}`), PartitionKey: key };
  });
  const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
  expect(out.FailedRecordCount).toBe(0);
}

function startReading(stream: string, from: StartPosition, expected: number) {
  const got: ReadRecord[] = [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 60_000);
  const done = readStream({
    client,
    streamName: stream,
    from,
    signal: stop.signal,
    pollIntervalMs: 50,
    busyIntervalMs: 10,
    discoveryIntervalMs: 500,
    iteratorTimeoutMs: 1_000,
    onRecords: (records) => {
      got.push(...records);
      if (got.length >= expected) stop.abort();
    },
  }).finally(() => clearTimeout(timer));
  return { got, done, stop };
}

function expectPerKeyOrder(got: ReadRecord[], perKey: Map<string, number>): void {
  const seen = new Map<string, number[]>();
  for (const r of got) {
    const [key, i] = new TextDecoder().decode(r.data).split(":");
    seen.set(key!, [...(seen.get(key!) ?? []), Number(i)]);
  }
  for (const [key, n] of perKey)
    expect(seen.get(key), key).toEqual(Array.from({ length: n }, (_, i) => i));
}

describe("readStream against kinesalite", () => {
  it("follows a split and a merge while reading, every record once and in order per key", async () => {
    const stream = "reader-reshard";
    await ensureStream(client, stream, 1);
    const perKey = new Map<string, number>();
    await put(stream, 200, perKey);
    const reader = startReading(stream, { type: "TRIM_HORIZON" }, 600);

    await new Promise((r) => setTimeout(r, 300));
    // Split the one shard in two halves, then merge them back into one.
    await splitShard(client, stream, "shardId-000000000000");
    await put(stream, 200, perKey);
    await mergeShards(client, stream, "shardId-000000000001", "shardId-000000000002");
    await put(stream, 200, perKey);

    await reader.done;
    expect(reader.got).toHaveLength(600);
    expect(new Set(reader.got.map((r) => r.sequenceNumber)).size).toBe(600);
    expectPerKeyOrder(reader.got, perKey);
    expect(new Set(reader.got.map((r) => r.shardId))).toEqual(
      new Set([
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000002",
        "shardId-000000000003",
      ]),
    );
  });

  it("from LATEST on a stream of several shards: only what is put after the start", async () => {
    const stream = "reader-latest";
    await ensureStream(client, stream, 3);
    const before = new Map<string, number>();
    await put(stream, 50, before);
    const reader = startReading(stream, { type: "LATEST" }, 100);
    await new Promise((r) => setTimeout(r, 500));
    const after = new Map<string, number>();
    await put(stream, 100, after);
    await reader.done;
    expect(reader.got).toHaveLength(100);
    expectPerKeyOrder(reader.got, after);
  });

  it("from a timestamp: what arrived at or after it", async () => {
    const stream = "reader-at-timestamp";
    await ensureStream(client, stream, 2);
    await put(stream, 30, new Map());
    await new Promise((r) => setTimeout(r, 1_100));
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    const after = new Map<string, number>();
    await put(stream, 40, after);
    const reader = startReading(stream, { type: "AT_TIMESTAMP", timestamp: from }, 40);
    await reader.done;
    expect(reader.got).toHaveLength(40);
    expectPerKeyOrder(reader.got, after);
  });
});
