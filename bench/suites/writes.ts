import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-kinesis";
import { listShards } from "../../packages/core/src/kinesis/shards.js";
import { TABLES, STREAMS } from "@tickstream/core/resources";
import { ensureStream, ensureTables, tableBindingEnv, type TableKey, type TableNames } from "@tickstream/testkit/provision";
import { localDynamo, localKinesis, startDynalite, startKinesalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { seedTableInput } from "../baseline.js";
import type { RequestCounts } from "../counting.js";
import { fmtNum, summarize, type Summary } from "../stats.js";
import { table } from "../report.js";
import type { Benchmark, SectionResult } from "../types.js";
import { CONSUMERS } from "@tickstream/core/resources";
import { TAIL_SNAPSHOT_EVERY_MS } from "@tickstream/core/latest/tail-reader";
import { WINDOW_DEFAULTS } from "@tickstream/core/config";
import type { ReadCost, WorkerArgs, WorkerResult } from "./writes-worker.js";

/**
 * Benchmark 2: write amplification. The real latest and windows handlers (the modules Lambda
 * runs) process the same ticks against a real dynalite, each scenario in a fresh process with
 * fresh tables; a middleware on every DynamoDB client counts the requests and the write units.
 * The baseline writes one UpdateItem per record, as the seed's consumer did.
 */

export type Consumer = WorkerArgs["consumer"];

export interface WriteScenario {
  consumer: Consumer;
  instruments: number;
  batchSize: number;
  ticks: number;
  /** The scenario the cost model prices (batch size of the deployed mapping). */
  costScenario?: boolean;
  /**
   * Each consumer at its deployed batching (resources.ts CONSUMERS: records per batching window
   * of a shard at 500 ticks/s), ticks to a random shard each, a minute of event time.
   */
  deployed?: boolean;
}

export interface WriteRow extends WriteScenario {
  /** The module (or core entry point) that ran. */
  entry?: string;
  invocations: number;
  failures: number;
  counts: RequestCounts;
  per1000: { requests: number; writeRequests: number; itemsWritten: number; wcuReported: number; wcuComputed: number; readUnits: number; conditionalFailures: number };
  msPerInvocation: Summary;
  /** Records the windows consumer put on the `windows` output stream, per 1,000 ticks. */
  windowsRecordsPer1000?: number;
  /** Read units of a dashboard's requests against the tables of this row (deployed rows). */
  reads?: Record<string, ReadCost>;
  timer?: WorkerResult["timer"];
  error?: string;
}

export interface WritesData {
  shards: number;
  eventRate: string;
  rows: WriteRow[];
  wcuSource: string;
}

const WORKER = fileURLToPath(new URL("./writes-worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function scenarios(quick: boolean): WriteScenario[] {
  const out: WriteScenario[] = [];
  // The quick run measures only the priced settings (below).
  const instrumentsList = quick ? [] : [1, 10, 1000];
  const batches = [100, 1000];
  for (const consumer of ["latest", "windows", "baseline"] as Consumer[]) {
    for (const instruments of instrumentsList) {
      for (const batchSize of batches) {
        // One write per record is exact from the first record: the baseline needs few ticks.
        if (consumer === "baseline") {
          out.push({ consumer, instruments, batchSize, ticks: Math.max(1000, batchSize) });
          continue;
        }
        // 10 s of event time at least: one whole pane (slide) for every instrument.
        const ticks = instruments === 1000 || batchSize === 100 ? 10_000 : 20_000;
        out.push({ consumer, instruments, batchSize, ticks: Math.max(ticks, batchSize * 2) });
      }
    }
  }
  // What the cost model prices at 1,000 ticks/s, 10 instruments (the seed's generator): records
  // per invocation of an on-demand stream (4 shards, 1 s batching window: 250), of 2 provisioned
  // shards (500), and of the seed (10 shards x 2 lanes, no window: 50).
  for (const batchSize of quick ? [250] : [250, 500]) {
    for (const consumer of ["latest", "windows"] as Consumer[]) out.push({ consumer, instruments: 10, batchSize, ticks: quick ? 2000 : 20_000, costScenario: true });
  }
  out.push({ consumer: "baseline", instruments: 10, batchSize: 50, ticks: quick ? 100 : 1000, costScenario: true });
  // The deployed batching at market scale: 1,000 ticks/s over 2 shards is 500 ticks/s a shard,
  // so a latest batch (1 s) holds 500 and a windows batch (10 s) 5,000; a minute of event time.
  const perShardPerSecond = WRITES_TICKS_PER_SECOND / STREAMS.prices.localShards;
  const batchOf = (c: "latest" | "windows") => Math.min(CONSUMERS[c].batchSize, perShardPerSecond * CONSUMERS[c].maxBatchingWindowSeconds);
  for (const instruments of quick ? [1000] : [10, 1000, 10_000]) {
    const ticks = quick ? 20_000 : 60_000;
    for (const consumer of ["latest", "windows"] as const) out.push({ consumer, instruments, batchSize: batchOf(consumer), ticks, deployed: true });
    if (instruments > 10) out.push({ consumer: "baseline", instruments, batchSize: 100, ticks: 2000, deployed: true });
  }
  return out;
}

function runWorker(args: WorkerArgs): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(args)], {
      cwd: ROOT,
      env: { ...process.env, ...args.env, POWERTOOLS_LOG_LEVEL: "ERROR", AWS_LAMBDA_LOG_LEVEL: "ERROR", LOG_LEVEL: "ERROR" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as WorkerResult);
      else reject(new Error(`worker exited ${code}: ${(err || out).trim().split("\n").slice(-6).join(" | ")}`));
    });
  });
}

async function countStreamRecords(endpoint: string, stream: string): Promise<number> {
  const kin = localKinesis(endpoint);
  try {
    let n = 0;
    for (const s of await listShards(kin, stream)) {
      let it = (await kin.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId!, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
      for (let guard = 0; it && guard < 1000; guard++) {
        const r = await kin.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
        n += r.Records?.length ?? 0;
        if (!r.Records?.length || r.MillisBehindLatest === 0) break;
        it = r.NextShardIterator;
      }
    }
    return n;
  } finally {
    kin.destroy();
  }
}

export const writes: Benchmark<WritesData> = {
  name: "writes",
  title: "DynamoDB requests and write units per 1,000 ticks (real handlers, real dynalite)",
  async run(ctx) {
    const shards = STREAMS.prices.localShards;
    let dynamo: LocalServer | undefined;
    let kinesis: LocalServer | undefined;
    const rows: WriteRow[] = [];
    try {
      [dynamo, kinesis] = await Promise.all([startDynalite(), startKinesalite()]);
      const ddb = localDynamo(dynamo.endpoint);
      const kin = localKinesis(kinesis.endpoint);
      for (const sc of scenarios(ctx.quick)) {
        const suffix = randomUUID().slice(0, 8);
        const tables = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, `${TABLES[k].localName}-${suffix}`])) as TableNames;
        const windowsStream = `${STREAMS.windows.localName}-${suffix}`;
        // The windows engine lists the prices stream's shards (idle shards, watermark): it must exist.
        const pricesStream = `${STREAMS.prices.localName}-${suffix}`;
        const seedTable = `tickstream-seed-${suffix}`;
        if (sc.consumer === "baseline") await ddb.send(new CreateTableCommand(seedTableInput(seedTable)));
        else {
          await ensureTables(ddb, tables);
          await ensureStream(kin, windowsStream, STREAMS.windows.localShards);
          await ensureStream(kin, pricesStream, shards);
        }
        const env: Record<string, string> = {
          SST_APP: "tickstream",
          SST_STAGE: "bench",
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "local",
          AWS_SECRET_ACCESS_KEY: "local",
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
          // No S3 here: no record of these scenarios is bad, so nothing is dead-lettered.
          AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9",
          SST_KinesisStream_streamName_Windows: windowsStream,
          SST_KinesisStream_streamName_Prices: pricesStream,
          SST_Bucket_bucketName_Archive: `tickstream-archive-${suffix}`,
          POWERTOOLS_METRICS_NAMESPACE: "Tickstream",
          POWERTOOLS_SERVICE_NAME: "tickstream",
          POWERTOOLS_METRICS_DISABLED: "true",
        };
        for (const key of Object.keys(TABLES) as TableKey[]) env[tableBindingEnv(key)] = tables[key];
        // Event times end just before now, 1,000 ticks/s of event time.
        const start = Date.now() - sc.ticks - 1000;
        const label = `${sc.consumer} ${sc.instruments} instr, batch ${sc.batchSize}${sc.costScenario ? " (cost scenario)" : ""}${sc.deployed ? " (deployed batching)" : ""}`;
        try {
          const res = await runWorker({
            consumer: sc.consumer,
            env,
            instruments: sc.instruments,
            batchSize: sc.batchSize,
            ticks: sc.ticks,
            shards,
            start,
            seedTable,
            streamClock: true,
            ...(sc.deployed ? { shardAssignment: "random" as const, dashboardReads: true } : {}),
          });
          const k = 1000 / sc.ticks;
          const c = res.counts;
          const row: WriteRow = {
            ...sc,
            entry: res.entry,
            invocations: res.invocations,
            failures: res.failures,
            counts: c,
            per1000: {
              requests: c.requests * k,
              writeRequests: c.writeRequests * k,
              itemsWritten: c.itemsWritten * k,
              wcuReported: c.wcuReported * k,
              wcuComputed: c.wcuComputed * k,
              readUnits: c.rcuReported * k,
              conditionalFailures: (c.errors.ConditionalCheckFailedException ?? 0) * k,
            },
            msPerInvocation: summarize(res.msPerInvocation),
            timer: res.timer,
            ...(res.reads ? { reads: res.reads } : {}),
          };
          if (sc.consumer === "windows") row.windowsRecordsPer1000 = (await countStreamRecords(kinesis.endpoint, windowsStream)) * k;
          rows.push(row);
          ctx.log(`  ${label}: ${row.per1000.writeRequests.toFixed(1)} writes, ${row.per1000.wcuReported.toFixed(1)} WCU per 1,000 ticks; ${row.msPerInvocation.median.toFixed(1)} ms/invocation`);
        } catch (err) {
          ctx.log(`  ${label}: FAILED ${(err as Error).message}`);
          rows.push({ ...sc, invocations: 0, failures: 0, counts: undefined as unknown as RequestCounts, per1000: undefined as unknown as WriteRow["per1000"], msPerInvocation: summarize([]), error: (err as Error).message });
        }
      }
      ddb.destroy();
      kin.destroy();
    } finally {
      await Promise.all([dynamo?.close(), kinesis?.close()]);
    }
    return {
      shards,
      eventRate: "1,000 ticks/s of event time (ticks 1 ms apart), dealt round-robin over the shards",
      rows,
      wcuSource:
        "WRU billed = WCU reported + the writes refused by their condition (DynamoDB bills a refused conditional write at least 1 unit; dynalite reports nothing for it). WCU reported = the ConsumedCapacity dynalite returns (the counting middleware adds ReturnConsumedCapacity: TOTAL to every request; dynalite applies DynamoDB's rule: 1 unit per started KB of the larger of the old and new item). WCU computed = the same rule over the request payloads alone (a lower bound for updates). The cost model prices WRU billed.",
    };
  },
  render(r: SectionResult<WritesData>) {
    if (!r.data) return `_Not measured: ${r.error}_`;
    const d = r.data;
    const ok = d.rows.filter((x) => !x.error && !x.deployed);
    const deployed = d.rows.filter((x) => !x.error && x.deployed);
    const name = (c: Consumer) => (c === "baseline" ? "baseline (seed)" : c);
    const rows = ok.map((x) => [
      `${name(x.consumer)}${x.costScenario ? " †" : ""}`,
      x.instruments,
      x.batchSize,
      x.ticks.toLocaleString("en-US"),
      x.per1000.requests.toFixed(1),
      x.per1000.writeRequests.toFixed(1),
      x.per1000.conditionalFailures.toFixed(1),
      x.per1000.wcuReported.toFixed(1),
      `**${billedUnits(x).toFixed(1)}**`,
      x.per1000.wcuComputed.toFixed(1),
      x.per1000.readUnits.toFixed(1),
      x.windowsRecordsPer1000 !== undefined ? x.windowsRecordsPer1000.toFixed(2) : "",
      `${x.msPerInvocation.median.toFixed(1)} (${x.msPerInvocation.p25.toFixed(1)}–${x.msPerInvocation.p75.toFixed(1)})`,
    ]);
    // Billed write units against the baseline at the same instruments and batch size.
    const ratioRows: (string | number)[][] = [];
    for (const x of ok.filter((y) => y.consumer !== "baseline" && !y.costScenario)) {
      const base = ok.find((y) => y.consumer === "baseline" && y.instruments === x.instruments && y.batchSize === x.batchSize && !y.costScenario);
      if (!base || billedUnits(x) <= 0) continue;
      const r = billedUnits(base) / billedUnits(x);
      ratioRows.push([x.consumer, x.instruments, x.batchSize, billedUnits(x).toFixed(1), billedUnits(base).toFixed(1), r >= 1 ? `**${fmtNum(r)}x fewer**` : `**${fmtNum(1 / r)}x more**`]);
    }
    const ratios = ratioRows.length
      ? table(["consumer", "instruments", "batch", "WRU billed / 1,000 ticks", "baseline", "vs baseline"], ratioRows, ["l", "r", "r", "r", "r", "r"])
      : "";
    const failed = d.rows.filter((x) => x.error).map((x) => `${x.consumer} ${x.instruments}/${x.batchSize}: ${x.error}`);
    const reported = d.rows.filter((x) => !x.error && x.failures > 0).map((x) => `${x.consumer} ${x.instruments}/${x.batchSize}: ${x.failures} records reported as failed over ${x.invocations} invocations`);
    const timer = d.rows.find((x) => x.timer && !x.error)?.timer;
    const entries = [...new Set(ok.map((x) => `${name(x.consumer)}: \`${x.entry ?? "?"}\``))];
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt} · ${r.meta.wallSeconds.toFixed(0)} s.`,
      "",
      ...(deployed.length ? [renderDeployed(deployed), ""] : []),
      `Per 1,000 ticks. Event time: ${d.eventRate}, ${d.shards} shards. Each row is a fresh process with fresh tables; "ms/invocation" is the handler's wall time per batch against dynalite on this machine (median, IQR). † = the scenario the cost model prices.`,
      "",
      table(["consumer", "instruments", "batch", "ticks", "requests", "write requests", "of which condition failed", "WCU reported", "WRU billed", "WCU computed", "RRU", "windows records out", "ms/invocation"], rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"]),
      "",
      ratios ? `Billed write units against the baseline at the same instruments and batch size:\n\n${ratios}` : "",
      "",
      d.wcuSource,
      "",
      `What ran: ${entries.join("; ")}.`,
      ...(timer ? ["", `windows-timer, one call after the run: ${timer.ms.toFixed(1)} ms, ${timer.counts.requests} requests (${timer.counts.writeRequests} writes).`] : []),
      ...(failed.length ? ["", `Not measured: ${failed.join("; ")}.`] : []),
      "",
      reported.length ? `Partial batch failures reported by the handlers (those rows do not show a clean run): ${reported.join("; ")}.` : "No handler reported a failed record in any row.",
    ].join("\n");
  },
};

/** Event time the scenarios cover per second (ticks 1 ms apart). */
export const WRITES_TICKS_PER_SECOND = 1000;

/** The goal per instrument count: latest + windows billed write units per 1,000 ticks. */
const WRITE_AIMS: Record<number, number> = { 1000: 100, 10_000: 300 };

/** Write units billed per 1,000 ticks: those reported, plus 1 per write refused by its condition. */
export const billedUnits = (x: WriteRow) => x.per1000.wcuReported + x.per1000.conditionalFailures;

/** Panes in a day's history (one per slide), for pricing a 24 h series read from the run's panes. */
const PANES_PER_DAY = 86_400_000 / WINDOW_DEFAULTS.windowSlideMs;

/** Read units of a 24 h series read: the run's series read per pane, times a day's panes. */
export function daySeriesUnits(seriesRun: ReadCost): number {
  return (seriesRun.rcu / (seriesRun.panes ?? 1)) * PANES_PER_DAY;
}

/**
 * Read units per GET /instruments of a warm container polled every second: its poll, plus its
 * read of the snapshot once every TAIL_SNAPSHOT_EVERY_MS (priced as its first request).
 */
export function warmPerRequest(reads: Record<string, ReadCost>): number | undefined {
  if (!reads.poll || !reads.instruments) return undefined;
  return reads.poll.rcu + reads.instruments.rcu / (TAIL_SNAPSHOT_EVERY_MS / 1000);
}

function renderDeployed(rows: readonly WriteRow[]): string {
  const counts = [...new Set(rows.map((x) => x.instruments))].sort((a, b) => a - b);
  const at = (c: Consumer, n: number) => rows.find((x) => x.consumer === c && x.instruments === n);
  const writes = counts.map((n) => {
    const l = at("latest", n);
    const w = at("windows", n);
    const seed = at("baseline", n) ?? rows.find((x) => x.consumer === "baseline");
    const total = l && w ? billedUnits(l) + billedUnits(w) : undefined;
    const aim = WRITE_AIMS[n];
    return [
      n.toLocaleString("en-US"),
      l ? `${billedUnits(l).toFixed(1)} (batch ${l.batchSize})` : "",
      w ? `${billedUnits(w).toFixed(1)} (batch ${w.batchSize.toLocaleString("en-US")})` : "",
      total === undefined ? "" : `**${total.toFixed(1)}**`,
      aim === undefined ? "" : `≤ ${aim}: ${total !== undefined && total <= aim ? "met" : "not met"}`,
      seed ? billedUnits(seed).toFixed(1) : "",
      seed && total ? `${(billedUnits(seed) / total).toFixed(1)}x fewer` : "",
      l && w ? (l.per1000.readUnits + w.per1000.readUnits).toFixed(1) : "",
      l && w ? `${l.msPerInvocation.median.toFixed(0)} / ${w.msPerInvocation.median.toFixed(0)}` : "",
      w?.windowsRecordsPer1000 !== undefined ? w.windowsRecordsPer1000.toFixed(1) : "",
    ];
  });
  const readRows = counts.flatMap((n) => {
    const l = at("latest", n)?.reads;
    const w = at("windows", n)?.reads;
    if (!l || !w) return [];
    const poll = l.poll;
    return [
      [
        n.toLocaleString("en-US"),
        l.stateless ? l.stateless.rcu.toFixed(1) : "",
        l.instruments!.rcu.toFixed(1),
        poll ? `**${poll.rcu.toFixed(1)}** (${poll.polls!.mean.toFixed(1)}, ${poll.polls!.max.toFixed(1)}; ${poll.polls!.count} polls)` : "",
        poll ? `**${warmPerRequest(l)!.toFixed(1)}**` : "",
        poll ? (poll.matches ? "yes" : "**no**") : "",
        `${l.known!.rcu.toFixed(1)} / ${l.knownWarm ? l.knownWarm.rcu.toFixed(1) : ""}`,
        w.seriesTail!.rcu.toFixed(1),
        w.windows!.rcu.toFixed(1),
        daySeriesUnits(w.seriesRun!).toFixed(0),
      ],
    ];
  });
  return [
    "**At the deployed batching** (each consumer's batch: the records a shard delivers in its batching window, resources.ts), 1,000 ticks/s of event time over 2 shards with a random shard per tick (random partition keys), 60 s of event time; the handlers see a clock that follows the stream, so the latest log is folded into its snapshot every 10 s of stream time, as deployed. Billed write units per 1,000 ticks:",
    "",
    table(
      ["instruments", "latest", "windows", "latest + windows", "aim", "seed (same run)", "vs seed", "RRU (consumers)", "ms/invocation latest / windows", "windows records out"],
      writes,
      ["r", "r", "r", "r", "l", "r", "r", "r", "r", "r"],
    ),
    "",
    ...(readRows.length
      ? [
          `Read request units of one dashboard request against the same tables (dynalite's ConsumedCapacity). GET /instruments: a reader that keeps nothing reads the snapshot and the log beyond its cuts on every request (eventually consistent); the API's reader (latest/tail-reader.ts, kept per container) does so on its first request (snapshot eventually, log strongly consistent) and again every ${TAIL_SNAPSHOT_EVERY_MS / 1000} s, and in between reads only the log written since its last request, strongly consistent: polled every second of the handlers' clock during the run (median per request; mean and max in brackets). "A minute's average" = the warm poll + the first request / ${TAIL_SNAPSHOT_EVERY_MS / 1000}. The window tables are read strongly consistent:`,
          "",
          table(
            ["instruments", "GET /instruments, reader keeping nothing (before)", "first request of a container", "warm poll every second", "a minute's average", "warm view = full read at the end", "404 check cold / warm", "series tail (150 s, every second)", "windows (last 3, every 5 s)", "24 h series (the run's per-pane cost x 8,640: an upper bound for small items)"],
            readRows,
            ["r", "r", "r", "r", "r", "l", "r", "r", "r", "r"],
          ),
        ]
      : []),
  ].join("\n");
}
