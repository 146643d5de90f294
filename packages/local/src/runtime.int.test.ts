import { gunzipSync } from "node:zlib";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "./runtime.js";
import { archivedLines, getObject, listKeys, multiset } from "./testing/archive.js";
import {
  expectedLatest,
  getJson,
  idToken,
  makeTicks,
  outsideClients,
  putData,
  type SentTick,
} from "./testing/scenario.js";
import { expectSeriesServed, expectWindowsServed, getLatest } from "./testing/served.js";
import { startTestRuntime, tempDataDir } from "./testing/test-runtime.js";

const WINDOW = { sizeMs: 10_000, slideMs: 2_000, allowedLatenessMs: 1_000, idleTimeoutMs: 30_000 };

/** The product end to end on the local runtime: ticks in through Kinesis, results out through the API. */
describe("local runtime, end to end", () => {
  let dir: string;
  let rt: LocalRuntime;
  let outside: ReturnType<typeof outsideClients>;
  let token: string;
  let ticks: SentTick[];
  const bad = [
    "garbage that is no tick",
    "session=1|sequence=abc|instrument=3|price_0=100|",
    '{"TICKER":"NOPRICE"}',
    "instrument=4|price_0=5|",
  ];

  beforeAll(async () => {
    dir = await tempDataDir("e2e");
    rt = await startTestRuntime(dir, {
      window: WINDOW,
      poller: { batchingWindowMs: 100, idlePollMs: 50 },
      archive: { bufferIntervalMs: 500 },
    });
    outside = outsideClients(rt.outputs);
    token = await idToken(rt.outputs, outside.cognito);

    const startTime = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    ticks = makeTicks({
      count: 1200,
      instruments: ["1", "2", "3", "4", "5", "10"],
      startTime,
      stepMs: 25,
    });
    const items = ticks.map((t) => ({ data: t.data, key: t.instrument }));
    // Malformed records among the good ones.
    bad.forEach((b, i) => items.splice(100 + i * 250, 0, { data: b, key: `bad-${i}` }));
    // The stock-trade JSON format too.
    const json = {
      data: JSON.stringify({
        EVENT_TIME: new Date(ticks[ticks.length - 1]!.eventTime + 5).toISOString().replace("Z", ""),
        TICKER: "AAPL",
        PRICE: 84.51,
      }),
      key: "AAPL",
    };
    items.push(json);
    await putData(outside.kinesis, rt.outputs.pricesStream, items);
    await rt.waitForConsumers();
  });

  afterAll(async () => {
    outside?.destroy();
    await rt?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes outputs.json with everything an outside tool needs", async () => {
    const o = JSON.parse(await readFile(join(dir, "outputs.json"), "utf8"));
    expect(o).toEqual(rt.outputs);
    expect(o).toMatchObject({
      region: "us-east-1",
      pricesStream: "tickstream-prices",
      windowsStream: "tickstream-windows",
      archiveBucket: "tickstream-archive",
      webUrl: null,
      windowSizeMs: WINDOW.sizeMs,
      windowSlideMs: WINDOW.slideMs,
      allowedLatenessMs: WINDOW.allowedLatenessMs,
      demoUser: { username: "demo@tickstream.local" },
    });
    for (const k of [
      "kinesisEndpoint",
      "dynamodbEndpoint",
      "s3Endpoint",
      "cognitoEndpoint",
      "apiUrl",
    ]) {
      expect(o[k]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(o.userPoolId).toMatch(/^local_/);
  });

  it("serves the latest price of every instrument", async () => {
    const { status, body } = await getLatest(rt.outputs, token);
    expect(status).toBe(200);
    const got = body.map((b) => ({
      instrument: b.instrument,
      price: b.price,
      eventTime: b.eventTime,
    }));
    expect(got.filter((g) => g.instrument !== "AAPL")).toEqual(expectedLatest(ticks));
    expect(got.find((g) => g.instrument === "AAPL")?.price).toBe(84.51);
  });

  it("serves sliding-window maxima and pane series equal to a brute-force computation", async () => {
    for (const instrument of ["1", "10"]) {
      await expectWindowsServed(rt.outputs, token, ticks, instrument, WINDOW);
      await expectSeriesServed(rt.outputs, token, ticks, instrument, WINDOW.slideMs);
    }
  });

  it("answers 401 without a token, 404 for an unknown instrument, 200 on /health", async () => {
    expect((await fetch(`${rt.outputs.apiUrl}/instruments`)).status).toBe(401);
    expect((await fetch(`${rt.outputs.apiUrl}/health`)).status).toBe(200);
    expect((await getJson(rt.outputs, "/instruments/nope/windows", token)).status).toBe(404);
  });

  it("puts malformed records under dead-letters/ while every good tick counts", async () => {
    const keys = await listKeys(outside.s3, rt.outputs.archiveBucket, "dead-letters/");
    expect(keys.length).toBeGreaterThan(0);
    const raws: string[] = [];
    for (const key of keys) {
      expect(key).toMatch(/^dead-letters\/\d{4}\/\d{2}\/\d{2}\//);
      let body = await getObject(outside.s3, rt.outputs.archiveBucket, key);
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
      for (const line of body.toString("utf8").split("\n").filter(Boolean)) {
        const doc = JSON.parse(line) as {
          raw: string;
          reason: string;
          shardId: string;
          sequenceNumber: string;
        };
        expect(doc.reason).toBeTruthy();
        expect(doc.shardId).toMatch(/^shardId-/);
        raws.push(Buffer.from(doc.raw, "base64").toString("utf8"));
      }
    }
    expect(new Set(raws)).toEqual(new Set(bad));
    // No on-failure batches: bad records never fail a batch.
    expect(await listKeys(outside.s3, rt.outputs.archiveBucket, "failed-batches/")).toEqual([]);
  });

  it("archives every raw record, bad ones included", async () => {
    await rt.flushArchive();
    const lines = await archivedLines(outside.s3, rt.outputs.archiveBucket);
    const sent = [...ticks.map((t) => t.data), ...bad];
    expect(lines.length).toBe(sent.length + 1);
    expect(multiset(lines.filter((l) => !l.includes("AAPL")))).toEqual(multiset(sent));
  });

  it("runs the windows timer and keeps consumer status", async () => {
    const status = rt.status();
    expect(status.timer.invocations).toBeGreaterThan(0);
    expect(Object.keys(status.consumers).sort()).toEqual(["LatestConsumer", "WindowsConsumer"]);
    for (const [id, shards] of Object.entries(status.consumers)) {
      expect(shards).toHaveLength(2);
      for (const s of shards) {
        expect(s.checkpoint).toBeTruthy();
        expect(
          existsSync(join(dir, "checkpoints", id, rt.outputs.pricesStream, `${s.shardId}.json`)),
        ).toBe(true);
      }
    }
  });
});
