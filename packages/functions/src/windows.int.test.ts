import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { startLocalAws, localDynamo, localKinesis, type LocalAws } from "@tickstream/testkit/local-aws";
import { ensureStream, ensureTables } from "@tickstream/testkit/provision";
import { toKinesisRecord } from "@tickstream/core/kinesis/records";
import { encodePipe } from "@tickstream/core/ticks/encode";
import { encodeAggregated } from "@tickstream/core/ticks/kpl";
import type { KinesisRecordLike } from "@tickstream/core/kinesis/batch";
import type { Tick } from "@tickstream/core/tick";
import { bucketOf } from "@tickstream/core/windows/buckets";
import type { SequencedTick } from "@tickstream/core/windows/engine";
import { dynamoWindowQueries } from "@tickstream/core/windows/query";
import { windowRecordJson } from "@tickstream/core/windows/result";
import { ReferenceWindows } from "@tickstream/core/windows/testing/reference";

/**
 * The deployed windows handlers (Kinesis consumer and timer), run against dynalite and
 * kinesalite: the environment is set before the modules are imported, as Lambda does, because
 * sst/node reads its bindings when it loads. Event times are fixed; only the idle timeout runs
 * on the wall clock.
 */

const config = { windowSizeMs: 6_000, windowSlideMs: 2_000, allowedLatenessMs: 1_000, idleTimeoutMs: 2_000, paneRetentionHours: 1 };
const T0 = 1_763_800_000_000;
const SHARD0 = "shardId-000000000000";
const SHARD1 = "shardId-000000000001";

type WindowsModule = typeof import("./windows.js");
type TimerModule = typeof import("./windows-timer.js");

let aws: LocalAws;
let mod: WindowsModule;
let timer: TimerModule;
let doc: DynamoDBDocumentClient;
let kinesis: KinesisClient;
let panesTable: string;
let windowsTable: string;
let stateTable: string;
let windowsStream: string;
let iterator: string | undefined;
const failingInstruments = new Set<string>();
let seq = 10_000n;

/**
 * The reference model sees exactly what the handlers see, with the wall clock of each call, and
 * knows the shards of the prices stream (two, listed by the handlers with ListShards).
 */
const reference = new ReferenceWindows(config, [SHARD0, SHARD1]);
const emittedSoFar = new Set<string>();

interface Sent {
  record: KinesisRecordLike;
  tick: Tick;
}

function batch(shardId: string, ticks: [instrument: string, offsetMs: number, cents: number][]): Sent[] {
  return ticks.map(([instrument, offset, cents]) => {
    seq += 11n;
    const t = T0 + offset;
    const position = { shardId, sequenceNumber: `4959033827149025660855969253836157109592157598913${seq}`, arrivalTime: t };
    const tick: Tick = { instrument, eventTime: t, receivedAt: t + 3, level: 1, pricesCents: [cents, 1] };
    return { record: toKinesisRecord(encodePipe(tick), position), tick };
  });
}

function sequenced(sent: readonly Sent[]): SequencedTick[] {
  return sent.map((s) => ({ tick: s.tick, position: { sequenceNumber: s.record.kinesis.sequenceNumber } }));
}

function event(sent: readonly Sent[]): KinesisStreamEvent {
  return { Records: sent.map((s) => s.record as KinesisStreamRecord) };
}

/** Calls the consumer as the event source mapping does, and feeds the reference on success. */
async function deliver(shardId: string, sent: Sent[]) {
  const res = await mod.handler(event(sent));
  if (res.batchItemFailures.length === 0) reference.batch(shardId, sequenced(sent), Date.now());
  return res;
}

async function runTimer() {
  const out = await timer.handler();
  reference.timer(Date.now());
  return out;
}

/** Records put on the windows stream since the last call (sorted: order is not part of the contract). */
async function readWindowsStream(): Promise<string[]> {
  if (!iterator) {
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: windowsStream }));
    const out = await kinesis.send(new GetShardIteratorCommand({ StreamName: windowsStream, ShardId: Shards![0]!.ShardId!, ShardIteratorType: "TRIM_HORIZON" }));
    iterator = out.ShardIterator;
  }
  const data: string[] = [];
  for (;;) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    iterator = out.NextShardIterator;
    for (const r of out.Records ?? []) data.push(Buffer.from(r.Data!).toString("utf8"));
    if (!out.Records?.length) return data.sort();
  }
}

/** Records the reference says are newly due since the last call, in the engine's order. */
function newlyExpected(): string[] {
  const fresh = reference.closed().filter((r) => !emittedSoFar.has(`${r.instrument}@${r.windowStart}`));
  for (const r of fresh) emittedSoFar.add(`${r.instrument}@${r.windowStart}`);
  return fresh.map(windowRecordJson).sort();
}

async function tableDump(table: string) {
  const out: Record<string, unknown>[] = [];
  for (let bucket = 0; bucket < 32; bucket++) {
    const pk = String(bucket);
    const { Items } = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": pk }, ConsistentRead: true }));
    out.push(...(Items ?? []).map(({ expiresAt: _expiresAt, ...rest }) => rest));
  }
  return out;
}

beforeAll(async () => {
  aws = await startLocalAws({ applyEnv: true });
  Object.assign(process.env, {
    TICKSTREAM_WINDOW_SIZE_MS: String(config.windowSizeMs),
    TICKSTREAM_WINDOW_SLIDE_MS: String(config.windowSlideMs),
    TICKSTREAM_ALLOWED_LATENESS_MS: String(config.allowedLatenessMs),
    TICKSTREAM_IDLE_TIMEOUT_MS: String(config.idleTimeoutMs),
    TICKSTREAM_PANE_RETENTION_HOURS: String(config.paneRetentionHours),
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  // sst/node reads its bindings once per process: provision under the names it will use.
  const { Table } = await import("sst/node/table");
  const { KinesisStream } = await import("sst/node/kinesis-stream");
  panesTable = Table.Panes.tableName;
  windowsTable = Table.Windows.tableName;
  stateTable = Table.State.tableName;
  windowsStream = KinesisStream.Windows.streamName;
  await ensureTables(localDynamo(aws.dynamo.endpoint), { ...aws.tables, panes: panesTable, windows: windowsTable, state: stateTable });
  kinesis = localKinesis(aws.kinesis.endpoint);
  await ensureStream(kinesis, windowsStream, 1);
  doc = DynamoDBDocumentClient.from(localDynamo(aws.dynamo.endpoint));

  mod = await import("./windows.js");
  timer = await import("./windows-timer.js");
  // Injected faults: the pane write of a failing instrument's bucket throws before it is sent.
  mod.clients.doc.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TableName?: string; Key?: { pk?: string | { S?: string } }; UpdateExpression?: string };
      const pk = input.Key?.pk;
      const bucket = typeof pk === "string" ? pk : pk?.S;
      const failing = [...failingInstruments].some((i) => String(bucketOf(i)) === bucket);
      if (input.TableName === panesTable && input.UpdateExpression?.startsWith("SET d = ") && failing) {
        throw Object.assign(new Error(`injected fault for bucket ${bucket}`), { name: "ProvisionedThroughputExceededException" });
      }
      return next(args);
    },
    { step: "initialize", name: "injectPaneFaults" },
  );
});

afterEach(() => failingInstruments.clear());

afterAll(async () => {
  kinesis?.destroy();
  await aws?.close();
});

const first = batch(SHARD0, [
  ["3", 0, 12345],
  ["7", 500, 100],
  ["3", 2_100, 12000],
  ["7", 3_900, 250],
  ["3", 2_500, 11111], // out of order, within the lateness
  ["3", 7_000, 12001],
]);
const second = batch(SHARD0, [
  ["7", 9_000, 99],
  ["3", 15_000, 500],
  ["3", 8_500, 90_000], // behind the batch's own max by more than the lateness: placed against the watermark before the batch, so on time
  ["3", 13_000, 42],
]);
const third = batch(SHARD0, [
  ["3", 1_000, 1_000_000], // late: every window of it closed before this batch
  ["20", 30_000, 7],
]);

describe("windows handlers against dynalite and kinesalite", () => {
  it("emits one record per closed window and instrument, with the expected max, in the fixed JSON form", async () => {
    // Shard 1 of prices has not reported: it holds the watermark until it has been known for
    // longer than the idle timeout, so shard 0 alone closes nothing yet.
    expect(await deliver(SHARD0, first)).toEqual({ batchItemFailures: [] });
    expect(await runTimer()).toMatchObject({ watermark: null, windowsEmitted: 0 });
    expect(await readWindowsStream()).toEqual([]);
    expect(newlyExpected()).toEqual([]);
    await new Promise((r) => setTimeout(r, config.idleTimeoutMs + 500));
    await runTimer();
    expect(await readWindowsStream()).toEqual(newlyExpected());
    expect(await deliver(SHARD0, second)).toEqual({ batchItemFailures: [] });
    expect(await deliver(SHARD0, third)).toEqual({ batchItemFailures: [] });
    const got = await readWindowsStream();
    expect(got).toEqual(newlyExpected());
    expect(got.length).toBeGreaterThan(5);
    expect(got).toContain('{"instrument":"3","windowStart":1763800002000,"windowEnd":1763800008000,"max":120.01}');
    // The late tick reached nothing; the out-of-order one only the windows still open for it.
    expect(reference.late).toBe(1);
    expect(got.some((r) => r.includes('"max":10000'))).toBe(false);
  });

  it("the API reads: closed windows as emitted, open ones as they stand, panes", async () => {
    const q = dynamoWindowQueries({ doc, tables: { panes: panesTable, windows: windowsTable, state: stateTable }, config });
    for (const instrument of ["3", "7", "20"]) {
      expect(await q.queryWindows(instrument, T0 - 10_000, T0 + 60_000)).toEqual(reference.queryWindows(instrument, T0 - 10_000, T0 + 60_000));
      expect(await q.querySeries(instrument, T0 - 10_000, T0 + 60_000)).toEqual(reference.querySeries(instrument, T0 - 10_000, T0 + 60_000));
    }
  });

  it("a replayed batch changes nothing and emits nothing twice", async () => {
    const panes = await tableDump(panesTable);
    const windows = await tableDump(windowsTable);
    for (const b of [first, second, third, [...first, ...second]]) expect(await deliver(SHARD0, b)).toEqual({ batchItemFailures: [] });
    expect(await runTimer()).toMatchObject({ windowsEmitted: 0 });
    expect(await readWindowsStream()).toEqual([]);
    expect(await tableDump(panesTable)).toEqual(panes);
    expect(await tableDump(windowsTable)).toEqual(windows);
  });

  it("reports exactly the records whose pane writes failed; the retry from the lowest completes the work", async () => {
    const sent = batch(SHARD0, [
      ["11", 31_000, 10], // 0
      ["12", 31_500, 20], // 1  fails
      ["11", 33_000, 30], // 2
      ["12", 31_900, 40], // 3  fails (same pane as 1)
      ["12", 36_000, 50], // 4  fails
      ["11", 38_000, 60], // 5
    ]);
    failingInstruments.add("12");
    const res = await mod.handler(event(sent));
    expect(res).toEqual({ batchItemFailures: [1, 3, 4].map((i) => ({ itemIdentifier: sent[i]!.record.kinesis.sequenceNumber })) });
    expect(await readWindowsStream()).toEqual([]);
    // Lambda resumes the shard at the lowest reported record.
    failingInstruments.clear();
    expect(await mod.handler(event(sent.slice(1)))).toEqual({ batchItemFailures: [] });
    reference.batch(SHARD0, sequenced(sent), Date.now());
    // A later tick moves the watermark past all of them.
    expect(await deliver(SHARD0, batch(SHARD0, [["11", 50_000, 1]]))).toEqual({ batchItemFailures: [] });
    const got = await readWindowsStream();
    expect(got).toEqual(newlyExpected());
    expect(got).toContain('{"instrument":"12","windowStart":1763800032000,"windowEnd":1763800038000,"max":0.5}');
    expect(got).toContain('{"instrument":"12","windowStart":1763800028000,"windowEnd":1763800034000,"max":0.4}');
  });

  it("the timer closes windows once the shard holding the watermark back goes idle", async () => {
    // Shard 1 trails shard 0 (max T0+50s): the watermark waits for it.
    expect(await deliver(SHARD0, batch(SHARD0, [["20", 50_000, 8]]))).toEqual({ batchItemFailures: [] });
    expect(await deliver(SHARD1, batch(SHARD1, [["20", 44_000, 9]]))).toEqual({ batchItemFailures: [] });
    expect(await runTimer()).toMatchObject({ watermark: T0 + 49_000 });
    expect(await deliver(SHARD1, batch(SHARD1, [["20", 45_000, 11]]))).toEqual({ batchItemFailures: [] });
    expect(await readWindowsStream()).toEqual(newlyExpected());
    // Shard 0 keeps delivering; shard 1 falls silent and turns idle after the timeout.
    await new Promise((r) => setTimeout(r, config.idleTimeoutMs / 2));
    expect(await deliver(SHARD0, batch(SHARD0, [["20", 58_000, 12]]))).toEqual({ batchItemFailures: [] });
    await new Promise((r) => setTimeout(r, config.idleTimeoutMs / 2 + 200));
    expect(await deliver(SHARD0, batch(SHARD0, [["20", 59_000, 13]]))).toEqual({ batchItemFailures: [] });
    const out = await runTimer();
    expect(out.watermark).toBe(T0 + 58_000);
    expect(reference.watermark).toBe(T0 + 58_000);
    const got = await readWindowsStream();
    expect(got).toEqual(newlyExpected());
    expect(got).toContain('{"instrument":"20","windowStart":1763800044000,"windowEnd":1763800050000,"max":0.11}');
  });

  it("records holding many ticks (KPL, lines): a batch failing half-way and retried, and the batch again, change nothing and emit nothing twice", async () => {
    const records = [
      packed(SHARD0, "kpl", [["11", 60_000, 60], ["11", 60_500, 61]]),
      packed(SHARD0, "lines", [["12", 61_000, 62], ["3", 61_500, 63]], ["garbage"]),
      packed(SHARD0, "kpl", [["11", 62_000, 64], ["12", 62_500, 65], ["7", 63_000, 66]]),
    ];
    const allTicks = records.flatMap((r) => r.ticks.map((tick) => ({ tick, position: { sequenceNumber: r.record.kinesis.sequenceNumber } })));
    failingInstruments.add("12");
    const res = await mod.handler({ Records: records.map((r) => r.record as KinesisStreamRecord) });
    expect(res).toEqual({ batchItemFailures: [1, 2].map((i) => ({ itemIdentifier: records[i]!.record.kinesis.sequenceNumber })) });
    failingInstruments.clear();
    expect(await mod.handler({ Records: records.slice(1).map((r) => r.record as KinesisStreamRecord) })).toEqual({ batchItemFailures: [] });
    reference.batch(SHARD0, allTicks, Date.now());
    const closedFirst = await readWindowsStream();
    expect(closedFirst).toEqual(newlyExpected());
    const panes = await tableDump(panesTable);
    const windows = await tableDump(windowsTable);
    for (let i = 0; i < 2; i++) {
      expect(await mod.handler({ Records: records.map((r) => r.record as KinesisStreamRecord) })).toEqual({ batchItemFailures: [] });
    }
    expect(await runTimer()).toMatchObject({ windowsEmitted: 0 });
    expect(await readWindowsStream()).toEqual([]);
    expect(await tableDump(panesTable)).toEqual(panes);
    expect(await tableDump(windowsTable)).toEqual(windows);
    // A later tick closes them all, each once, as the reference has them.
    expect(await deliver(SHARD0, batch(SHARD0, [["20", 69_000, 1]]))).toEqual({ batchItemFailures: [] });
    const got = await readWindowsStream();
    expect(got).toEqual(newlyExpected());
    const all = [...closedFirst, ...got];
    expect(all).toContain('{"instrument":"12","windowStart":1763800058000,"windowEnd":1763800064000,"max":0.65}');
    expect(all).toContain('{"instrument":"11","windowStart":1763800056000,"windowEnd":1763800062000,"max":0.61}');
    expect(new Set(all).size).toBe(all.length);
  });

  it("a tick dated 2100 is a bad record: the watermark stays where honest ticks put it, and later windows still close", async () => {
    const lateBefore = reference.late;
    seq += 11n;
    const future = toKinesisRecord('{"EVENT_TIME": "2100-01-01T00:00:00.000000", "TICKER": "7", "PRICE": 999.0}', {
      shardId: SHARD0,
      sequenceNumber: `4959033827149025660855969253836157109592157598913${seq}`,
      arrivalTime: T0 + 70_000,
    });
    const honest = batch(SHARD0, [["20", 70_000, 21], ["7", 70_500, 22]]);
    expect(await mod.handler({ Records: [future, ...honest.map((s) => s.record)] as KinesisStreamRecord[] })).toEqual({ batchItemFailures: [] });
    reference.batch(SHARD0, sequenced(honest), Date.now());
    expect((await runTimer()).watermark).toBe(T0 + 69_500);
    expect(reference.watermark).toBe(T0 + 69_500);
    expect(await deliver(SHARD0, batch(SHARD0, [["20", 80_000, 23], ["3", 80_500, 24]]))).toEqual({ batchItemFailures: [] });
    const got = await readWindowsStream();
    expect(got).toEqual(newlyExpected());
    expect(got).toContain('{"instrument":"20","windowStart":1763800066000,"windowEnd":1763800072000,"max":0.21}');
    expect(got).toContain('{"instrument":"7","windowStart":1763800066000,"windowEnd":1763800072000,"max":0.22}');
    expect(reference.late).toBe(lateBefore);
  });
});

/** One record holding several ticks (KPL sub-records or lines), and `extra` bad parts after them. */
function packed(shardId: string, framing: "kpl" | "lines", ticks: [instrument: string, offsetMs: number, cents: number][], extra: string[] = []) {
  seq += 11n;
  const list: Tick[] = ticks.map(([instrument, offset, cents]) => ({ instrument, eventTime: T0 + offset, receivedAt: T0 + offset + 3, level: 1, pricesCents: [cents, 1] }));
  const texts = [...list.map((t) => encodePipe(t)), ...extra];
  const data = framing === "kpl" ? encodeAggregated(texts.map((t) => ({ partitionKey: "p", data: Buffer.from(t) }))) : Buffer.from(texts.join("\n"));
  const arrivalTime = Math.max(...list.map((t) => t.eventTime));
  return { record: toKinesisRecord(data, { shardId, sequenceNumber: `4959033827149025660855969253836157109592157598913${seq}`, arrivalTime }), ticks: list };
}
