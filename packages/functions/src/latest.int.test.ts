import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { startLocalAws, localDynamo, type LocalAws } from "@tickstream/testkit/local-aws";
import { ensureTables } from "@tickstream/testkit/provision";
import { bruteForceLatest, framedRecord, plainRecord, type Framing, type StreamRecord } from "@tickstream/core/latest/test-support";
import { createLogLatestStore } from "@tickstream/core/latest/log-store";
import { decodeLatestValues } from "@tickstream/core/latest/packed";

/**
 * The deployed latest handler module, run against dynalite (DynamoDB) and s3rver (S3): the
 * environment is set before the module is imported, as Lambda does, because sst/node reads
 * its bindings when it loads.
 */

const require = createRequire(import.meta.url);
const BUCKET = "tickstream-archive-test";
const SHARD = "shardId-000000000000";
const DAY = Date.UTC(2026, 10, 22, 10, 0, 0);

interface S3Server {
  endpoint: string;
  close(): Promise<void>;
}

async function startS3rver(bucket: string, accessKeyId: string, secret: string): Promise<S3Server> {
  const S3rver = require("s3rver") as new (options: object) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  // s3rver only knows the key S3RVER until its account registry learns another one.
  const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret);
  const directory = mkdtempSync(join(tmpdir(), "tickstream-s3-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

type LatestModule = typeof import("./latest.js");

let aws: LocalAws;
let s3server: S3Server;
let mod: LatestModule;
let latestTable: string;
let archiveBucket: string;
let doc: DynamoDBDocumentClient;
let s3: S3Client;
const failingInstruments = new Set<string>();
let failDeadLetters = false;
let seqCounter = 1000n;

function records(lines: string[], shardId = SHARD, arrivalTime = DAY): StreamRecord[] {
  return lines.map((text) => {
    seqCounter += 7n;
    return plainRecord(text, { shardId, sequenceNumber: `4959033827149025660855969253836157109592157598913${seqCounter}`, arrivalTime });
  });
}

function event(batch: StreamRecord[]): KinesisStreamEvent {
  return { Records: batch.map((r) => r.record as KinesisStreamRecord) };
}

/** What readers of the Latest table see, per instrument (seq and sub: where the tick came from). */
async function tableItems(): Promise<Record<string, Record<string, unknown>>> {
  const reader = createLogLatestStore({ doc, tableName: latestTable, consistentReads: true, compactOnWrite: false });
  const out: Record<string, Record<string, unknown>> = {};
  for (const { sequenceNumber, subIndex, ...item } of await reader.listLatest()) out[item.instrument] = { ...item, seq: sequenceNumber, sub: subIndex };
  return out;
}

beforeAll(async () => {
  aws = await startLocalAws({ applyEnv: true });
  process.env.SST_Bucket_bucketName_Archive = BUCKET;
  // sst/node reads its bindings once per process, and integration files share one process:
  // when an earlier file already loaded it, the handler keeps that file's names, so the table
  // and the bucket are provisioned under the names the handler will actually use.
  const { Table } = await import("sst/node/table");
  const { Bucket } = await import("sst/node/bucket");
  latestTable = Table.Latest.tableName;
  await ensureTables(localDynamo(aws.dynamo.endpoint), { ...aws.tables, latest: latestTable });
  archiveBucket = Bucket.Archive.bucketName;
  s3server = await startS3rver(archiveBucket, aws.env.AWS_ACCESS_KEY_ID!, aws.env.AWS_SECRET_ACCESS_KEY!);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3server.endpoint,
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  mod = await import("./latest.js");
  // Injected faults: a log entry holding a failing instrument, or a dead-letter PutObject,
  // throws before it is sent (and so before the SDK's own retries).
  mod.clients.doc.middlewareStack.add(
    (next) => async (args) => {
      const item = (args.input as { Item?: Record<string, unknown> }).Item;
      const values = item?.pk === "log" && item.d instanceof Uint8Array ? decodeLatestValues(item.d) : [];
      const failing = values.find((v) => failingInstruments.has(v.instrument));
      if (failing) throw Object.assign(new Error(`injected fault for ${failing.instrument}`), { name: "ProvisionedThroughputExceededException" });
      return next(args);
    },
    { step: "initialize", name: "injectLatestFaults" },
  );
  mod.clients.s3.middlewareStack.add(
    (next) => async (args) => {
      if (failDeadLetters) throw Object.assign(new Error("injected S3 fault"), { name: "SlowDown" });
      return next(args);
    },
    { step: "initialize", name: "injectS3Faults" },
  );
  doc = DynamoDBDocumentClient.from(localDynamo(aws.dynamo.endpoint));
  s3 = new S3Client({ endpoint: s3server.endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
});

afterEach(() => {
  failingInstruments.clear();
  failDeadLetters = false;
});

afterAll(async () => {
  await s3server?.close();
  await aws?.close();
});

describe("latest handler against dynalite", () => {
  it("writes each instrument's newest tick (exact cents, all levels), older ticks never win", async () => {
    const batch = records([
      "session=20261122|sequence=1763800000500|reception=1763800000510|instrument=31|l=5|price_0=12345|price_1=12346|",
      "session=20261122|sequence=1763800000400|reception=1763800000410|instrument=31|l=6|price_0=11111|",
      '{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL1", "PRICE": 84.51}',
      "session=20261122|sequence=1763800000500|reception=1763800000520|instrument=32|l=1|price_0=1|",
      "session=20261122|sequence=1763800000500|reception=1763800000530|instrument=32|l=2|price_0=2|", // equal time, later: wins
    ]);
    const res = await mod.handler(event(batch));
    expect(res).toEqual({ batchItemFailures: [] });
    const items = await tableItems();
    expect(items["31"]).toMatchObject({ instrument: "31", priceCents: 12345, pricesCents: [12345, 12346], level: 5, eventTime: 1763800000500, receivedAt: 1763800000510, arrivalTime: DAY, shardId: SHARD, seq: batch[0]!.position.sequenceNumber });
    expect(items.AAPL1).toMatchObject({ priceCents: 8451, eventTime: Date.UTC(2026, 10, 22, 10, 0, 0, 123), level: null, receivedAt: null });
    expect(items["32"]).toMatchObject({ priceCents: 2, level: 2 });

    // an older tick in a later batch changes nothing
    await mod.handler(event(records(["sequence=1763800000499|instrument=31|price_0=1|"])));
    expect((await tableItems())["31"]!.priceCents).toBe(12345);
  });

  it("a replayed batch (whole, or split differently) changes nothing", async () => {
    const batch = records([
      "sequence=1763800001000|instrument=R1|price_0=100|",
      "sequence=1763800001001|instrument=R2|price_0=200|",
      "sequence=1763800001000|instrument=R1|price_0=101|",
      "sequence=1763800000999|instrument=R2|price_0=199|",
    ]);
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    const before = await tableItems();
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    expect(await mod.handler(event(batch.slice(0, 1)))).toEqual({ batchItemFailures: [] });
    expect(await mod.handler(event(batch.slice(1, 3)))).toEqual({ batchItemFailures: [] });
    expect(await tableItems()).toEqual(before);
    expect(before.R1!.priceCents).toBe(101);
  });

  it("a failed log write reports the newest record of every instrument of the batch; Lambda's retry from the lowest completes the work", async () => {
    const batch = records([
      "sequence=1763800002000|instrument=F1|price_0=1|", // 0  F1 newest
      "sequence=1763800002001|instrument=F2|price_0=2|", // 1  F2 newest
      "sequence=1763800002002|instrument=F3|price_0=3|", // 2  F3 newest
      "sequence=1763800002003|instrument=F4|price_0=4|", // 3
      "sequence=1763800002000|instrument=F2|price_0=5|", // 4  older F2: loses
      "sequence=1763800002004|instrument=F4|price_0=6|", // 5  F4 newest
    ]);
    failingInstruments.add("F4");
    const res = await mod.handler(event(batch));
    // One entry holds the batch: it fails whole, and Lambda resumes at its lowest record.
    expect(res).toEqual({ batchItemFailures: [0, 1, 2, 5].map((i) => ({ itemIdentifier: batch[i]!.position.sequenceNumber })) });
    let items = await tableItems();
    for (const id of ["F1", "F2", "F3", "F4"]) expect(items[id], id).toBeUndefined();

    failingInstruments.clear();
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    items = await tableItems();
    const expected = bruteForceLatest(batch);
    for (const id of ["F1", "F2", "F3", "F4"]) expect(items[id]!.seq, id).toBe(expected.get(id)!.sequenceNumber);
    expect(items.F2!.priceCents).toBe(2);
    expect(items.F4!.priceCents).toBe(6);
  });

  it("puts bad records into dead letters in the archive bucket, once, under the arrival date", async () => {
    const arrival = Date.UTC(2026, 10, 23, 8, 0, 0);
    const batch = records(["sequence=1763800003000|instrument=D1|price_0=1|", "not a tick", "", "sequence=1763800003001|price_0=2|"], "shardId-000000000007", arrival);
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] }); // retry: same object
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: archiveBucket, Prefix: "dead-letters/2026/11/23/shardId-000000000007-" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([`dead-letters/2026/11/23/shardId-000000000007-${batch[1]!.position.sequenceNumber}.jsonl`]);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: archiveBucket, Key: listed.Contents![0]!.Key! }))).Body!.transformToString();
    const lines = body.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { raw: Buffer.from("not a tick").toString("base64"), reason: "unrecognised format: neither a pipe record nor a JSON object", shardId: "shardId-000000000007", sequenceNumber: batch[1]!.position.sequenceNumber, subIndex: 0, arrivalTime: arrival, consumer: "latest" },
      { raw: "", reason: "empty record", shardId: "shardId-000000000007", sequenceNumber: batch[2]!.position.sequenceNumber, subIndex: 0, arrivalTime: arrival, consumer: "latest" },
      { raw: Buffer.from("sequence=1763800003001|price_0=2|").toString("base64"), reason: "missing instrument", shardId: "shardId-000000000007", sequenceNumber: batch[3]!.position.sequenceNumber, subIndex: 0, arrivalTime: arrival, consumer: "latest" },
    ]);
    expect((await tableItems()).D1?.priceCents).toBe(1);
  });

  it("an S3 failure fails the bad records (lowest first), a DynamoDB failure defers the dead letters after it", async () => {
    const batch = records(["sequence=1763800004000|instrument=S1|price_0=1|", "bad-1", "sequence=1763800004001|instrument=S2|price_0=2|", "bad-2"], "shardId-000000000008");
    failDeadLetters = true;
    expect(await mod.handler(event(batch))).toEqual({
      batchItemFailures: [{ itemIdentifier: batch[1]!.position.sequenceNumber }, { itemIdentifier: batch[3]!.position.sequenceNumber }],
    });
    failDeadLetters = false;
    failingInstruments.add("S2");
    expect(await mod.handler(event(batch.slice(1)))).toEqual({ batchItemFailures: [{ itemIdentifier: batch[2]!.position.sequenceNumber }] });
    failingInstruments.clear();
    expect(await mod.handler(event(batch.slice(2)))).toEqual({ batchItemFailures: [] });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: archiveBucket, Prefix: "dead-letters/2026/11/22/shardId-000000000008-" }));
    const keys = listed.Contents!.map((c) => c.Key!).sort();
    expect(keys).toEqual([
      `dead-letters/2026/11/22/shardId-000000000008-${batch[1]!.position.sequenceNumber}.jsonl`,
      `dead-letters/2026/11/22/shardId-000000000008-${batch[3]!.position.sequenceNumber}.jsonl`,
    ]);
    const items = await tableItems();
    expect([items.S1?.priceCents, items.S2?.priceCents]).toEqual([1, 2]);
  });

  it("aggregated records: a batch of KPL and line records twice, or failing half-way and retried, gives the same table and dead letters", async () => {
    const shardId = "shardId-000000000009";
    const t = (n: number) => 1763800005000 + n;
    const make = () => [
      framed("kpl", [`sequence=${t(0)}|instrument=K1|price_0=10|`, `sequence=${t(0)}|instrument=K1|price_0=11|`, `sequence=${t(1)}|instrument=K2|price_0=20|`], shardId), // K1: the later sub-record wins
      framed("lines", [`sequence=${t(2)}|instrument=K2|price_0=21|`, "not a tick", `{"EVENT_TIME": "2026-11-22T10:00:00.000000", "TICKER": "K3", "PRICE": 0.3}`], shardId),
      framed("kpl", [`sequence=${t(3)}|instrument=K3|price_0=31|\n{"EVENT_TIME": "2026-11-22T10:00:01", "TICKER": "K4", "PRICE": 0.4}\ngarbage`, ""], shardId),
      framed("kpl", [`sequence=${t(3)}|instrument=K2|price_0=22|`], shardId),
    ];
    const deadLetters = async (prefix: string) => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: archiveBucket, Prefix: `dead-letters/2026/11/22/${prefix}` }));
      const lines: unknown[] = [];
      for (const c of listed.Contents ?? []) {
        const body = await (await s3.send(new GetObjectCommand({ Bucket: archiveBucket, Key: c.Key! }))).Body!.transformToString();
        lines.push(...body.trimEnd().split("\n").map((l) => JSON.parse(l)));
      }
      return lines;
    };
    const pick = (items: Record<string, Record<string, unknown>>) => Object.fromEntries(["K1", "K2", "K3", "K4"].map((k) => [k, items[k] && { price: items[k]!.priceCents, seq: items[k]!.seq, sub: items[k]!.sub }]));

    // Clean run, then the same batch again.
    const batch = make();
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    const clean = pick(await tableItems());
    const expected = bruteForceLatest(batch);
    expect(clean).toEqual(Object.fromEntries(["K1", "K2", "K3", "K4"].map((k) => [k, { price: expected.get(k)!.priceCents, seq: expected.get(k)!.sequenceNumber, sub: expected.get(k)!.subIndex }])));
    expect(clean).toMatchObject({ K1: { price: 11, sub: 1 }, K2: { price: 22, sub: 0 }, K3: { price: 30, sub: 2 }, K4: { price: 40, sub: 1 } });
    const cleanLetters = await deadLetters(shardId);
    expect(cleanLetters.map((l) => { const { raw, reason, subIndex, sequenceNumber } = l as Record<string, unknown>; return [sequenceNumber, subIndex, reason, Buffer.from(String(raw), "base64").toString()]; })).toEqual([
      [batch[1]!.position.sequenceNumber, 1, "unrecognised format: neither a pipe record nor a JSON object", "not a tick"],
      [batch[2]!.position.sequenceNumber, 2, "unrecognised format: neither a pipe record nor a JSON object", "garbage"],
      [batch[2]!.position.sequenceNumber, 3, "empty record", ""],
    ]);
    expect(await mod.handler(event(batch))).toEqual({ batchItemFailures: [] });
    expect(pick(await tableItems())).toEqual(clean);
    expect(await deadLetters(shardId)).toEqual(cleanLetters);

    // The same records on a fresh shard (a larger shard id: its ticks win the ties), the log
    // write failing: the records holding the batch's newest ticks are reported, the bad parts
    // after the lowest of them wait for the retry, and the retry completes it.
    const shard2 = "shardId-000000000010";
    const again = make().map((r) => framedRecordOn(r, shard2));
    failingInstruments.add("K4");
    const res = await mod.handler(event(again));
    expect(res).toEqual({ batchItemFailures: [0, 1, 2, 3].map((i) => ({ itemIdentifier: again[i]!.position.sequenceNumber })) });
    expect(await deadLetters(shard2)).toEqual([]);
    failingInstruments.clear();
    expect(await mod.handler(event(again))).toEqual({ batchItemFailures: [] });
    const retried = pick(await tableItems());
    expect(retried).toEqual(Object.fromEntries(Object.entries(clean).map(([k, v]) => [k, { ...v!, seq: again[batch.findIndex((r) => r.position.sequenceNumber === v!.seq)]!.position.sequenceNumber }])));
    const strip = (lines: unknown[]) => lines.map((l) => { const { shardId: _s, sequenceNumber: _q, ...rest } = l as Record<string, unknown>; return rest; });
    expect(strip(await deadLetters(shard2))).toEqual(strip(cleanLetters));
  });

  it("a tick dated 2100 is dead-lettered as in the future; the instrument's latest price still moves", async () => {
    const arrival = Date.UTC(2026, 10, 22, 11, 0, 0);
    const at = (ms: number) => new Date(arrival + ms).toISOString().replace("Z", "");
    const first = records([`{"EVENT_TIME": "${at(-1000)}", "TICKER": "FUT1", "PRICE": 1.0}`, '{"EVENT_TIME": "2100-01-01T00:00:00.000000", "TICKER": "FUT1", "PRICE": 999.0}'], "shardId-000000000011", arrival);
    expect(await mod.handler(event(first))).toEqual({ batchItemFailures: [] });
    expect((await tableItems()).FUT1).toMatchObject({ priceCents: 100 });
    const later = records([`{"EVENT_TIME": "${at(60_000)}", "TICKER": "FUT1", "PRICE": 2.5}`], "shardId-000000000011", arrival + 60_000);
    expect(await mod.handler(event(later))).toEqual({ batchItemFailures: [] });
    expect((await tableItems()).FUT1).toMatchObject({ priceCents: 250, eventTime: arrival + 60_000 });
    const key = `dead-letters/2026/11/22/shardId-000000000011-${first[1]!.position.sequenceNumber}.jsonl`;
    const body = await (await s3.send(new GetObjectCommand({ Bucket: archiveBucket, Key: key }))).Body!.transformToString();
    expect(JSON.parse(body)).toMatchObject({ reason: "event time in the future", subIndex: 0, sequenceNumber: first[1]!.position.sequenceNumber });
  });
});

function framed(framing: Framing, texts: string[], shardId: string): StreamRecord {
  seqCounter += 7n;
  return framedRecord(framing, texts, { shardId, sequenceNumber: `4959033827149025660855969253836157109592157598913${seqCounter}`, arrivalTime: DAY });
}

/** The same record's bytes at the same place in another shard. */
function framedRecordOn(r: StreamRecord, shardId: string): StreamRecord {
  return framedRecord(r.framing, r.texts, { ...r.position, shardId });
}
