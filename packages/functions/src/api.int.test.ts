import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { startLocalAws, localDynamo, type LocalAws } from "@tickstream/testkit/local-aws";
import { ensureTables, type TableNames } from "@tickstream/testkit/provision";
import { ENV, WINDOW_DEFAULTS } from "@tickstream/core/config";
import { toKinesisRecord } from "@tickstream/core/kinesis/records";
import { decodeBatch } from "@tickstream/core/kinesis/batch";
import { coalesceLatest } from "@tickstream/core/latest/coalesce";
import { createLogLatestStore } from "@tickstream/core/latest/log-store";
import { bucketOf } from "@tickstream/core/windows/buckets";
import { DynamoWindowStore } from "@tickstream/core/windows/dynamo-store";

/** The deployed API handler module against data stored in dynalite. */

type ApiModule = typeof import("./api.js");

let aws: LocalAws;
let mod: ApiModule;
let doc: DynamoDBDocumentClient;
let tables: TableNames;

/**
 * The table names the handler will see. sst/node reads its bindings once per process, and
 * integration files share one process: when an earlier file already loaded it, the handler
 * keeps that file's names, so the tables are provisioned under those names too.
 */
async function boundTables(local: LocalAws): Promise<TableNames> {
  const { Table } = await import("sst/node/table");
  const names = { latest: Table.Latest.tableName, panes: Table.Panes.tableName, windows: Table.Windows.tableName, state: Table.State.tableName };
  await ensureTables(localDynamo(local.dynamo.endpoint), names);
  return names;
}

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0); // aligned to the 10 s slide and the 60 s window

function apiEvent(routeKey: string, pathParameters?: Record<string, string>, query?: Record<string, string>): APIGatewayProxyEventV2 {
  const rawPath = routeKey.split(" ")[1]!.replace("{id}", pathParameters?.id ?? "");
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    pathParameters,
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method: routeKey.split(" ")[0]!, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "r",
      routeKey,
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
  };
}

async function call(routeKey: string, pathParameters?: Record<string, string>, query?: Record<string, string>) {
  const res = await mod.handler(apiEvent(routeKey, pathParameters, query));
  expect(res.headers?.["content-type"]).toBe("application/json");
  return { status: res.statusCode, body: JSON.parse(res.body!) as unknown, raw: res.body! };
}

beforeAll(async () => {
  aws = await startLocalAws({ applyEnv: true });
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  // the default window settings, whatever an earlier file of this process set
  for (const key of Object.keys(ENV) as (keyof typeof ENV)[]) process.env[ENV[key]] = String(WINDOW_DEFAULTS[key]);
  tables = await boundTables(aws);
  doc = DynamoDBDocumentClient.from(localDynamo(aws.dynamo.endpoint), { marshallOptions: { removeUndefinedValues: true } });
  // latest ticks, as the latest consumer stores them
  const lines = [
    `sequence=${T0 + 15_000}|reception=${T0 + 15_010}|instrument=3|l=7|price_0=12345|price_1=12000|`,
    `sequence=${T0 + 5_000}|instrument=10|l=1|price_0=5|`,
    `{"EVENT_TIME":"2026-11-22T10:00:20.500123","TICKER":"AAPL","PRICE":84.51}`,
  ];
  const records = lines.map((l, i) => toKinesisRecord(l, { shardId: "shardId-000000000000", sequenceNumber: String(100 + i), arrivalTime: T0 + 30_000 }));
  await createLogLatestStore({ doc, tableName: tables.latest }).writeLatest(coalesceLatest(decodeBatch(records).ticks));
  // panes and one closed window, through the windows store
  const windows = new DynamoWindowStore({ doc, tables: { panes: tables.panes, windows: tables.windows, state: tables.state }, retentionHours: 48 });
  const bucket = bucketOf("3");
  const candle = (t: number, open: number, high: number, low: number, close: number, count: number) => ({ open, openAt: t, high, low, close, closeAt: t + 9_000, count });
  const pane = (shardId: string, paneStart: number, entries: [string, ReturnType<typeof candle>][]) =>
    windows.writeShardPane({ paneStart, bucket, shardId, hw: "1", entries: new Map(entries) }, undefined, 0);
  await pane("shardId-000000000000", T0 + 10_000, [["3", candle(T0 + 10_000, 12_000, 12_345, 11_000, 12_100, 3)]]);
  await pane("shardId-000000000001", T0 + 10_000, [["3", candle(T0 + 10_500, 12_200, 12_200, 12_200, 12_200, 1)]]);
  await pane("shardId-000000000000", T0 + 20_000, [["3", candle(T0 + 20_000, 9_999, 9_999, 9_000, 9_500, 2)]]);
  await pane("shardId-000000000000", T0 + 40_000, [["3", candle(T0 + 40_000, 10_000, 10_500, 10_000, 10_100, 2)]]);
  await windows.putResults({ bucket, windowStart: T0 - 50_000, windowEnd: T0 + 10_000, maxima: new Map([["3", 777]]) });
  mod = await import("./api.js");
});

afterAll(async () => {
  doc?.destroy();
  await aws?.close();
});

describe("api handler against dynalite", () => {
  it("GET /health", async () => {
    expect(await call("GET /health")).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("GET /instruments and GET /data: the latest tick of every instrument, decimal prices", async () => {
    const res = await call("GET /instruments");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { instrument: "3", price: 123.45, prices: [123.45, 120], level: 7, eventTime: T0 + 15_000, receivedAt: T0 + 15_010 },
      { instrument: "10", price: 0.05, prices: [0.05], level: 1, eventTime: T0 + 5_000, receivedAt: null },
      { instrument: "AAPL", price: 84.51, prices: [84.51], level: null, eventTime: T0 + 20_500, receivedAt: null },
    ]);
    expect(res.raw).toContain('"price":123.45');
    expect((await call("GET /data")).body).toEqual(res.body);
  });

  it("GET /instruments/{id}/series: each pane's candle over the shards in [from, to), oldest first", async () => {
    const res = await call("GET /instruments/{id}/series", { id: "3" }, { from: String(T0), to: String(T0 + 60_000) });
    expect(res).toMatchObject({
      status: 200,
      body: [
        { paneStart: T0 + 10_000, open: 120, high: 123.45, low: 110, close: 122, count: 4, max: 123.45 },
        { paneStart: T0 + 20_000, open: 99.99, high: 99.99, low: 90, close: 95, count: 2, max: 99.99 },
        { paneStart: T0 + 40_000, open: 100, high: 105, low: 100, close: 101, count: 2, max: 105 },
      ],
    });
    const narrow = await call("GET /instruments/{id}/series", { id: "3" }, { from: String(T0 + 10_001), to: String(T0 + 30_000) });
    expect(narrow.body).toEqual([{ paneStart: T0 + 20_000, open: 99.99, high: 99.99, low: 90, close: 95, count: 2, max: 99.99 }]);
  });

  it("GET /instruments/{id}/series with a step: the panes of each step merged; a step that is not a multiple of the pane, 400", async () => {
    const res = await call("GET /instruments/{id}/series", { id: "3" }, { from: String(T0), to: String(T0 + 60_000), step: "30000" });
    expect(res).toMatchObject({
      status: 200,
      body: [
        { paneStart: T0, open: 120, high: 123.45, low: 90, close: 95, count: 6, max: 123.45 },
        { paneStart: T0 + 30_000, open: 100, high: 105, low: 100, close: 101, count: 2, max: 105 },
      ],
    });
    const bad = await call("GET /instruments/{id}/series", { id: "3" }, { from: String(T0), to: String(T0 + 60_000), step: "15000" });
    expect(bad).toMatchObject({ status: 400, body: { message: "step: must be a multiple of the pane length, 10000 ms" } });
  });

  it("GET /instruments/{id}/windows: closed windows as emitted, open ones as they stand", async () => {
    const res = await call("GET /instruments/{id}/windows", { id: "3" }, { from: String(T0 - 60_000), to: String(T0 + 30_000) });
    expect(res.status).toBe(200);
    const body = res.body as Array<{ windowStart: number; windowEnd: number; max: number; final: boolean }>;
    expect(body[0]).toEqual({ windowStart: T0 - 50_000, windowEnd: T0 + 10_000, max: 7.77, final: true });
    for (const w of body.slice(1)) {
      expect(Object.keys(w).sort()).toEqual(["final", "max", "windowEnd", "windowStart"]);
      expect(w.windowEnd - w.windowStart).toBe(60_000);
      expect(w.final).toBe(false);
    }
    expect(body.map((w) => w.windowStart)).toEqual([...body.map((w) => w.windowStart)].sort((a, b) => a - b));
    expect(body.find((w) => w.windowStart === T0)).toEqual({ windowStart: T0, windowEnd: T0 + 60_000, max: 123.45, final: false });
  });

  it("400 for bad parameters, 404 for unknown instruments and routes", async () => {
    const cases: Array<Record<string, string>> = [{ from: "x" }, { from: "5", to: "4" }, { from: "0", to: String(24 * 3_600_000 + 1) }, { to: "-1" }];
    for (const q of cases) {
      const res = await call("GET /instruments/{id}/windows", { id: "3" }, q);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(typeof (res.body as { message: unknown }).message).toBe("string");
    }
    expect(await call("GET /instruments/{id}/series", { id: "nope" })).toMatchObject({ status: 404, body: { message: 'unknown instrument "nope"' } });
    expect(await call("GET /instruments/{id}/windows", { id: "03" })).toMatchObject({ status: 404 });
    expect(await call("GET /nothing")).toMatchObject({ status: 404, body: { message: "not found" } });
  });

  it("routes a catch-all event by its raw path", async () => {
    const ev = apiEvent("GET /instruments/{id}/series", { id: "3" }, { from: String(T0), to: String(T0 + 60_000) });
    const res = await mod.handler({ ...ev, routeKey: "$default", rawPath: "/instruments/3/series", pathParameters: undefined });
    expect((JSON.parse(res.body!) as { paneStart: number; max: number }[]).map((p) => [p.paneStart, p.max])).toEqual([
      [T0 + 10_000, 123.45],
      [T0 + 20_000, 99.99],
      [T0 + 40_000, 105],
    ]);
  });

  it("answers 500 without details when the store fails", async () => {
    mod.clients.doc.middlewareStack.add(
      () => async () => {
        throw new Error("table tickstream-latest-secret is on fire");
      },
      { step: "initialize", name: "breakEverything" },
    );
    try {
      const res = await call("GET /instruments");
      expect(res).toMatchObject({ status: 500, body: { message: "internal error" } });
      expect(res.raw).not.toContain("secret");
    } finally {
      mod.clients.doc.middlewareStack.remove("breakEverything");
    }
    expect((await call("GET /instruments")).status).toBe(200);
  });

  it("a warm container answers with ticks written since its last request: a newer price, a new instrument, never an older tick", async () => {
    expect((await call("GET /instruments")).status).toBe(200);
    const lines = [
      `sequence=${T0 + 16_000}|instrument=3|l=7|price_0=13000|`,
      `sequence=${T0 + 1_000}|instrument=10|l=1|price_0=1|`, // older than the stored tick of 10
      `sequence=${T0 + 16_000}|instrument=NEW|price_0=100|`,
    ];
    const records = lines.map((l, i) => toKinesisRecord(l, { shardId: "shardId-000000000001", sequenceNumber: String(500 + i), arrivalTime: T0 + 40_000 }));
    await createLogLatestStore({ doc, tableName: tables.latest, compactOnWrite: false }).writeLatest(coalesceLatest(decodeBatch(records).ticks));
    const body = (await call("GET /instruments")).body as { instrument: string; price: number }[];
    expect(Object.fromEntries(body.map((i) => [i.instrument, i.price]))).toEqual({ "3": 130, "10": 0.05, AAPL: 84.51, NEW: 1 });
    expect((await call("GET /instruments/{id}/windows", { id: "NEW" })).status).toBe(200);
  });
});
