/**
 * Replay against the local runtime: ticks go in, results and the archive settle, the tables are
 * wiped, `npm run replay` puts the archive back into the stream, and the API serves exactly the
 * windows and latest prices it served before.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { seededRandom } from "@tickstream/core/random";
import { encodeJson, encodePipe } from "@tickstream/core/ticks/encode";
import { REPO_ROOT } from "@tickstream/local/paths";
import type { LocalRuntime } from "@tickstream/local/runtime";
import { signInLocal } from "@tickstream/local/testing/scenario";
import { startTestRuntime, tempDataDir } from "@tickstream/local/testing/test-runtime";
import type { ReplayReport } from "./replay.js";

const SIZE = 4_000;
const SLIDE = 1_000;
const LATENESS = 500;

let rt: LocalRuntime;
let dataDir: string;
let token: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function api(pathAndQuery: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${rt.outputs.apiUrl}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

interface Snapshot {
  instruments: Json[];
  windows: Record<string, Json[]>;
  series: Record<string, Json[]>;
}

async function snapshot(instruments: string[], from: number, to: number): Promise<Snapshot> {
  const list = await api("/instruments");
  const byInstrument = [...(Array.isArray(list.body) ? list.body : [])].sort((a, b) =>
    String(a.instrument).localeCompare(String(b.instrument)),
  );
  const windows: Record<string, Json[]> = {};
  const series: Record<string, Json[]> = {};
  for (const id of instruments) {
    const w = await api(`/instruments/${encodeURIComponent(id)}/windows?from=${from}&to=${to}`);
    windows[id] = w.status === 200 ? w.body : [];
    const s = await api(`/instruments/${encodeURIComponent(id)}/series?from=${from}&to=${to}`);
    series[id] = s.status === 200 ? s.body : [];
  }
  return { instruments: byInstrument, windows, series };
}

/** Waits until the snapshot stops changing (and satisfies `ready`), then returns it. */
async function settled(
  take: () => Promise<Snapshot>,
  ready: (s: Snapshot) => boolean,
  timeoutMs = 60_000,
): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  let same = 0;
  for (;;) {
    const snap = await take();
    const text = JSON.stringify(snap);
    same = text === last ? same + 1 : 0;
    last = text;
    if (same >= 3 && ready(snap)) return snap;
    if (Date.now() > deadline) throw new Error(`results did not settle: ${text.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function wipeTables(): Promise<number> {
  const ddb = new DynamoDBClient({
    region: rt.outputs.region,
    endpoint: rt.outputs.dynamodbEndpoint,
    credentials: rt.outputs.credentials,
  });
  let deleted = 0;
  try {
    for (const table of Object.values(rt.outputs.tableNames) as string[]) {
      for (;;) {
        const page = await ddb.send(
          new ScanCommand({ TableName: table, ProjectionExpression: "pk, sk", Limit: 100 }),
        );
        const items = page.Items ?? [];
        if (items.length === 0) break;
        for (let i = 0; i < items.length; i += 25) {
          const chunk = items.slice(i, i + 25);
          let requests: Record<string, Json[]> | undefined = {
            [table]: chunk.map((key: Record<string, AttributeValue>) => ({
              DeleteRequest: { Key: key },
            })),
          };
          while (requests && Object.keys(requests).length > 0) {
            const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: requests }));
            requests = out.UnprocessedItems as Record<string, Json[]> | undefined;
          }
          deleted += chunk.length;
        }
      }
    }
  } finally {
    ddb.destroy();
  }
  return deleted;
}

function runReplay(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "packages/tools/src/cli/replay.ts", ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: undefined },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Expected maximum of every window that holds a tick, from the ticks themselves. */
function expectedWindows(
  ticks: { instrument: string; eventTime: number; cents: number }[],
): Record<string, Map<number, number>> {
  const out: Record<string, Map<number, number>> = {};
  for (const t of ticks) {
    const m = (out[t.instrument] ??= new Map());
    const last = Math.floor(t.eventTime / SLIDE) * SLIDE;
    for (let s = last; s > t.eventTime - SIZE; s -= SLIDE)
      m.set(s, Math.max(m.get(s) ?? -Infinity, t.cents));
  }
  return out;
}

beforeAll(async () => {
  dataDir = await tempDataDir("replay");
  rt = await startTestRuntime(dataDir, {
    window: { sizeMs: SIZE, slideMs: SLIDE, allowedLatenessMs: LATENESS, idleTimeoutMs: 1_000 },
    archive: { bufferIntervalMs: 500 },
    poller: { batchingWindowMs: 50, idlePollMs: 50, retryBaseDelayMs: 20 },
    timerIntervalMs: 200,
    latestViewRefreshMs: 1_000,
    // The bad record is reported at WARN, twice: keep the test output to errors.
    functionLogLevel: "ERROR",
  });
  token = await signInLocal(rt.outputs);
});

afterAll(async () => {
  await rt?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run replay against the local runtime", () => {
  it("rebuilds exactly the same windows and latest prices from the archive", async () => {
    // ---- ticks: 4 pipe instruments and one stock-trade ticker, 12 s of event time, in order per
    // instrument, plus one bad record (dead-lettered, archived, replayed, dead-lettered again).
    const random = seededRandom(20261122); // reproducible
    const base = Math.floor(Date.now() / SLIDE) * SLIDE - 60_000;
    const ticks: { instrument: string; eventTime: number; cents: number; data: string }[] = [];
    for (let i = 0; i < 240; i++) {
      const instrument = String(1 + (i % 4));
      const eventTime = base + i * 50 + Math.floor(random() * 40);
      const cents = 10_000 + Math.floor(random() * 5_000);
      ticks.push({
        instrument,
        eventTime,
        cents,
        data: encodePipe({
          instrument,
          eventTime,
          receivedAt: eventTime + 7,
          level: i % 9,
          pricesCents: [cents, cents + 5],
        }),
      });
    }
    for (let i = 0; i < 24; i++) {
      const eventTime = base + i * 500 + 13;
      const cents = 8_000 + Math.floor(random() * 900);
      ticks.push({
        instrument: "AAPL",
        eventTime,
        cents,
        data: encodeJson({ instrument: "AAPL", eventTime, pricesCents: [cents] }),
      });
    }
    ticks.sort((a, b) => a.eventTime - b.eventTime);
    const records = [
      ...ticks.map((t) => ({ Data: Buffer.from(t.data), PartitionKey: t.instrument })),
      { Data: Buffer.from("not a tick at all"), PartitionKey: "bad" },
    ];

    const firstPut = Date.now();
    const kinesis = new KinesisClient({
      region: rt.outputs.region,
      endpoint: rt.outputs.kinesisEndpoint,
      credentials: rt.outputs.credentials,
      requestHandler: new NodeHttpHandler(),
    });
    const out = await kinesis.send(
      new PutRecordsCommand({ StreamName: rt.outputs.pricesStream, Records: records }),
    );
    kinesis.destroy();
    expect(out.FailedRecordCount ?? 0).toBe(0);

    // ---- results settle, and the archive holds every record
    await rt.waitForConsumers({ timeoutMs: 60_000 });
    await rt.flushArchive({ timeoutMs: 60_000 });
    const instruments = ["1", "2", "3", "4", "AAPL"];
    const from = base - 10_000;
    const to = base + 30_000;
    const lastEnd = Math.max(...ticks.map((t) => t.eventTime)) - LATENESS;
    // Ready once every window that ends well before the final watermark has closed.
    const ready = (s: Snapshot) =>
      s.instruments.length === instruments.length &&
      instruments.every(
        (id) =>
          s.windows[id]!.length > 0 &&
          s.windows[id]!.filter((w) => w.windowEnd <= lastEnd - SLIDE).every(
            (w) => w.final === true,
          ),
      );
    const before = await settled(() => snapshot(instruments, from, to), ready);

    // Sanity: the results are those of the ticks.
    const expected = expectedWindows(ticks);
    for (const id of instruments) {
      const got = before.windows[id]!.map((w) => [w.windowStart, Math.round(w.max * 100)]);
      expect(got, id).toEqual([...expected[id]!.entries()].sort((a, b) => a[0] - b[0]));
    }
    const newest = new Map<string, (typeof ticks)[number]>();
    for (const t of ticks) newest.set(t.instrument, t);
    for (const i of before.instruments) {
      expect(i.eventTime).toBe(newest.get(String(i.instrument))!.eventTime);
      expect(Math.round(i.price * 100)).toBe(newest.get(String(i.instrument))!.cents);
    }
    expect(before.windows["1"]!.some((w) => w.final === true)).toBe(true);

    // ---- wipe the tables (the functions keep running, with their warm caches): once the API's
    //      view of the latest prices reads the snapshot again (every second here), it has
    //      nothing left
    expect(await wipeTables()).toBeGreaterThan(0);
    await vi.waitFor(
      async () => {
        const empty = await api("/instruments");
        expect(empty.status).toBe(200);
        expect(empty.body).toEqual([]);
      },
      { timeout: 15_000, interval: 250 },
    );

    // ---- replay the arrival hours of the run
    const range = [
      "--from",
      String(firstPut - 1000),
      "--to",
      String(Date.now() + 1000),
      "--outputs",
      path.join(dataDir, "outputs.json"),
      "--json",
    ];
    const dry = await runReplay([...range, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    const counted = JSON.parse(dry.stdout) as ReplayReport;
    expect(counted).toMatchObject({
      records: records.length,
      decodable: ticks.length,
      delivered: 0,
    });

    const run = await runReplay(range);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report).toMatchObject({ records: records.length, delivered: records.length, failed: 0 });

    // ---- the same results as before, exactly
    await rt.waitForConsumers({ timeoutMs: 60_000 });
    const after = await settled(() => snapshot(instruments, from, to), ready);
    expect(after).toEqual(before);
  });
});
