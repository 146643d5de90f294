/**
 * One write-amplification scenario in a fresh process: the handler module is imported after
 * the environment names this scenario's tables (as Lambda would), and every DynamoDB client
 * of the process is counted. Prints one JSON line: the counts and the time per invocation.
 *
 * Run by writes.ts: tsx bench/suites/writes-worker.ts '<json WorkerArgs>'
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, KinesisStreamEvent } from "aws-lambda";
import { existsSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
import { join } from "node:path";
import { seedHandler } from "../baseline.js";
import { RequestCounter, type RequestCounts } from "../counting.js";
import { readWindowConfig } from "../../packages/core/src/config.js";
import { createLogLatestStore } from "../../packages/core/src/latest/log-store.js";
import { createTailLatestReader, type TailLatestReader } from "../../packages/core/src/latest/tail-reader.js";
import { seededRandom } from "../../packages/core/src/random.js";
import { encodePipe } from "../../packages/core/src/ticks/encode.js";
import { dynamoWindowQueries } from "../../packages/core/src/windows/query.js";
import { genTicks, kinesisRecord } from "../records.js";

export interface WorkerArgs {
  consumer: "latest" | "windows" | "baseline";
  env: Record<string, string>;
  instruments: number;
  batchSize: number;
  ticks: number;
  shards: number;
  /** First event time, epoch ms; ticks are 1 ms apart (1,000 ticks/s of event time). */
  start: number;
  seedTable?: string;
  /** How ticks reach the shards: dealt in turn, or a random shard each (random partition keys). */
  shardAssignment?: "round-robin" | "random";
  /**
   * The wall clock the handlers see follows the stream (each invocation at the arrival time of
   * its last record), so that what runs every so many seconds (folding the latest log, idle
   * shards) runs as often per tick as in production.
   */
  streamClock?: boolean;
  /** After the run, the read units of the requests a dashboard makes against these tables. */
  dashboardReads?: boolean;
}

/** Read units of one dashboard request kind (eventually consistent where the API reads so). */
export interface ReadCost {
  /** Read request units reported for one request. */
  rcu: number;
  requests: number;
  /** What the request covers (panes, instruments, …). */
  covers: string;
  /** How many panes it read (series over the run). */
  panes?: number;
  /** Per request of a warm reader polling every second of the run, after its first. */
  polls?: { count: number; median: number; mean: number; max: number };
  /** Whether the warm reader's view equals a full, strongly consistent read at the end. */
  matches?: boolean;
}

export interface WorkerResult {
  /** What ran: the handler module (or the baseline). */
  entry: string;
  invocations: number;
  msPerInvocation: number[];
  counts: RequestCounts;
  failures: number;
  timer?: { ms: number; counts: RequestCounts };
  reads?: Record<string, ReadCost>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function context(name: string): Context {
  const noop = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: "1024",
    awsRequestId: "bench",
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "bench",
    getRemainingTimeInMillis: () => 60_000,
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

async function loadHandler(file: string): Promise<Handler> {
  const mod = (await import(pathToFileURL(join(ROOT, file)).href)) as { handler?: Handler };
  if (typeof mod.handler !== "function") throw new Error(`${file} exports no handler`);
  return mod.handler;
}

/**
 * Batches of one shard each, shards taking turns; ticks dealt round-robin (the same spread as
 * random keys, deterministic) or to a random shard each, as the Kinesis Data Generator's random
 * partition keys do.
 */
export function scenarioEvents(a: Pick<WorkerArgs, "instruments" | "batchSize" | "ticks" | "shards" | "start" | "shardAssignment">): KinesisStreamEvent[] {
  const ticks = genTicks({ count: a.ticks, instruments: a.instruments, start: a.start, stepMs: 1, seed: 11 });
  const perShard: ReturnType<typeof kinesisRecord>[][] = Array.from({ length: a.shards }, () => []);
  const pick = seededRandom(23);
  ticks.forEach((t, i) => {
    const shard = a.shardAssignment === "random" ? Math.floor(pick() * a.shards) : i % a.shards;
    perShard[shard]!.push(kinesisRecord(encodePipe(t), shard, perShard[shard]!.length + 1, t.receivedAt, t.instrument));
  });
  const events: KinesisStreamEvent[] = [];
  const cursors = perShard.map(() => 0);
  let more = true;
  while (more) {
    more = false;
    perShard.forEach((records, s) => {
      const from = cursors[s]!;
      if (from >= records.length) return;
      events.push({ Records: records.slice(from, from + a.batchSize) });
      cursors[s] = from + a.batchSize;
      more = true;
    });
  }
  return events;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
  Object.assign(process.env, args.env);
  const counter = new RequestCounter();
  counter.attachToAllClients();

  let handler: Handler;
  let timer: Handler | undefined;
  let entry: string;
  const moduleFile = `packages/functions/src/${args.consumer}.ts`;
  if (args.consumer === "baseline") {
    const ddb = new DynamoDBClient({});
    handler = seedHandler(ddb, args.seedTable ?? "tickstream-seed") as Handler;
    entry = "bench/baseline.ts seedHandler";
  } else {
    handler = await loadHandler(moduleFile);
    entry = moduleFile;
    if (args.consumer === "windows" && existsSync(join(ROOT, "packages/functions/src/windows-timer.ts"))) timer = await loadHandler("packages/functions/src/windows-timer.ts");
  }
  const events = scenarioEvents(args);
  const ctx = context(`bench-${args.consumer}`);
  const ms: number[] = [];
  let failures = 0;
  const realNow = Date.now;
  const poller = args.dashboardReads && args.consumer === "latest" ? warmPoller(counter) : undefined;
  for (const event of events) {
    if (args.streamClock) {
      const arrival = Math.max(...event.Records.map((r) => r.kinesis.approximateArrivalTimestamp)) * 1000;
      Date.now = () => Math.round(arrival);
    }
    const t0 = performance.now();
    const res = (await handler(event, ctx)) as { batchItemFailures?: unknown[] } | undefined;
    ms.push(performance.now() - t0);
    failures += res?.batchItemFailures?.length ?? 0;
    await poller?.poll();
  }
  const result: WorkerResult = { entry, invocations: events.length, msPerInvocation: ms, counts: counter.snapshot(), failures };
  if (args.dashboardReads && args.consumer !== "baseline") result.reads = await dashboardReads(args, counter, poller);
  Date.now = realNow;
  if (timer) {
    try {
      counter.reset();
      const t0 = performance.now();
      await timer({ version: "0", "detail-type": "Scheduled Event", source: "aws.events", time: new Date().toISOString(), detail: {} }, context("bench-windows-timer"));
      result.timer = { ms: performance.now() - t0, counts: counter.snapshot() };
    } catch {
      // the timer is optional for this figure
    }
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

/**
 * The API's reader as a warm container keeps it (tail-reader.ts), asking for every instrument
 * once a second of the handlers' clock, during the run. Its reads are counted apart: the
 * consumer's counts are put back after each request (one counter per client).
 */
function warmPoller(counter: RequestCounter) {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const reader = createTailLatestReader({ doc, tableName: process.env.SST_Table_tableName_Latest! });
  const units: { rcu: number; requests: number }[] = [];
  let last = Number.NEGATIVE_INFINITY;
  return {
    reader,
    units,
    async poll(): Promise<void> {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      const consumer = counter.snapshot();
      await reader.listLatest();
      const c = counter.snapshot();
      counter.counts = consumer;
      units.push({ rcu: c.rcuReported - consumer.rcuReported, requests: c.readRequests - consumer.readRequests });
    },
  };
}

/**
 * Read units of what one dashboard user asks for, against the tables this run filled: the
 * instrument list (every second), and per selected instrument the newest panes (every second),
 * the recent windows (every 5 s) and its history (once per selection; measured over the run's
 * panes, priced per pane).
 */
async function dashboardReads(args: WorkerArgs, counter: RequestCounter, poller?: { reader: TailLatestReader; units: { rcu: number; requests: number }[] }): Promise<Record<string, ReadCost>> {
  const env = process.env;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const measure = async (covers: string, fn: () => Promise<unknown>): Promise<ReadCost> => {
    counter.reset();
    await fn();
    const c = counter.snapshot();
    return { rcu: c.rcuReported, requests: c.readRequests, covers };
  };
  const out: Record<string, ReadCost> = {};
  if (args.consumer === "latest") {
    const tableName = env.SST_Table_tableName_Latest!;
    // A cold container's first requests: the snapshot and the log beyond its cuts; one bucket.
    out.stateless = await measure(`${args.instruments} instruments, a reader that keeps nothing`, () => createLogLatestStore({ doc, tableName, compactOnWrite: false }).listLatest());
    const cold = createTailLatestReader({ doc, tableName });
    out.known = await measure("one instrument, cold", () => cold.has("0"));
    out.instruments = await measure(`${args.instruments} instruments, cold`, () => cold.listLatest());
    if (poller) {
      // The first poll is the container's cold start (against an almost empty table).
      const steady = poller.units.slice(1).sort((a, b) => a.rcu - b.rcu);
      const median = steady[Math.floor(steady.length / 2)] ?? { rcu: 0, requests: 0 };
      const full = await createLogLatestStore({ doc, tableName, compactOnWrite: false, consistentReads: true }).listLatest();
      const warm = await poller.reader.listLatest();
      const key = (items: readonly { instrument: string }[]) => JSON.stringify([...items].sort((a, b) => (a.instrument < b.instrument ? -1 : 1)));
      out.poll = {
        rcu: median.rcu,
        requests: median.requests,
        covers: `${args.instruments} instruments, warm: the log of the second since the last request (median)`,
        polls: { count: steady.length, median: median.rcu, mean: steady.reduce((a, b) => a + b.rcu, 0) / Math.max(1, steady.length), max: steady.at(-1)?.rcu ?? 0 },
        matches: key(warm) === key(full),
      };
      out.knownWarm = await measure("one instrument, warm", () => poller.reader.has("0"));
    }
    return out;
  }
  const config = readWindowConfig();
  const q = dynamoWindowQueries({ doc, tables: { panes: env.SST_Table_tableName_Panes!, windows: env.SST_Table_tableName_Windows!, state: env.SST_Table_tableName_State! }, config });
  const end = args.start + args.ticks;
  const panes = Math.ceil(args.ticks / config.windowSlideMs);
  out.seriesTail = await measure("the chart's tail: 90 s back, 60 s ahead", () => q.querySeries("0", end - 150_000 + 60_000, end + 60_000));
  out.windows = await measure("the last 3 windows and 60 s", () => q.queryWindows("0", end - 3 * config.windowSizeMs, end + 60_000));
  out.seriesRun = { ...(await measure(`the run's ${panes} panes`, () => q.querySeries("0", args.start - config.windowSlideMs, end + config.windowSlideMs))), panes };
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
