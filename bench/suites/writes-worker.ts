/**
 * One write-amplification scenario in a fresh process: the handler module is imported after
 * the environment names this scenario's tables (as Lambda would), and every DynamoDB client
 * of the process is counted. Prints one JSON line: the counts and the time per invocation.
 *
 * Run by writes.ts: tsx bench/suites/writes-worker.ts '<json WorkerArgs>'
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, KinesisStreamEvent } from "aws-lambda";
import { existsSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
import { join } from "node:path";
import { seedHandler } from "../baseline.js";
import { RequestCounter, type RequestCounts } from "../counting.js";
import { encodePipe } from "../../packages/core/src/ticks/encode.js";
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
}

export interface WorkerResult {
  /** What ran: the handler module (or the baseline). */
  entry: string;
  invocations: number;
  msPerInvocation: number[];
  counts: RequestCounts;
  failures: number;
  timer?: { ms: number; counts: RequestCounts };
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

/** Batches of one shard each, shards taking turns; ticks dealt round-robin as random keys would. */
export function scenarioEvents(a: Pick<WorkerArgs, "instruments" | "batchSize" | "ticks" | "shards" | "start">): KinesisStreamEvent[] {
  const ticks = genTicks({ count: a.ticks, instruments: a.instruments, start: a.start, stepMs: 1, seed: 11 });
  const perShard: ReturnType<typeof kinesisRecord>[][] = Array.from({ length: a.shards }, () => []);
  ticks.forEach((t, i) => {
    const shard = i % a.shards;
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
  for (const event of events) {
    const t0 = performance.now();
    const res = (await handler(event, ctx)) as { batchItemFailures?: unknown[] } | undefined;
    ms.push(performance.now() - t0);
    failures += res?.batchItemFailures?.length ?? 0;
  }
  const result: WorkerResult = { entry, invocations: events.length, msPerInvocation: ms, counts: counter.snapshot(), failures };
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
