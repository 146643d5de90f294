import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { latencySummary, slope, type LatencySummary } from "../stats.js";
import { table } from "../report.js";
import type { Benchmark, LocalHandle, LocalOutputsLike, SectionResult } from "../types.js";
import { cpuSeconds, readCheckpoints, signIn, startLocalHost, type Variant } from "./local.js";
import { kinesisFor, pipeTick, putLines, putPacked, shardIds, type Put } from "./produce.js";
import { SEED_TABLE } from "./local-host.js";
import { CONSUMERS } from "../../packages/core/src/resources.js";

/**
 * Benchmark 3: the local pipeline end to end (startLocal, back end only, in its own process).
 *  - Step test: put ticks at rising rates; lag = records put but not yet checkpointed by the
 *    consumers (the poller's checkpoints), sampled twice a second. A step is sustained when
 *    the producer reached the rate, the lag at its end was at most 2.5 s of input (the
 *    batching window alone holds up to 1 s) and the backlog drained within 3 s after it.
 *  - Visibility latency: at a steady background rate, put one probe tick with a unique price
 *    and poll until it shows: through the API (`GET /instruments`, real token) and, for a like
 *    for like comparison with the baseline, by GetItem on the table the consumer writes.
 * The baseline is the same runtime (servers, poller, archive, API) with the seed's consumer
 * swapped in through startLocal's `handlers` option.
 */

export interface StepResult {
  rate: number;
  seconds: number;
  achievedRate: number;
  /** Kinesis records put per second (ticks/s when one tick per record). */
  recordsPerSecond?: number;
  putFailures: number;
  lagEnd: number;
  /** Lag at the end per consumer (ticks). */
  lagEndBy?: Record<string, number>;
  lagMax: number;
  /** Growth of the lag over the second half of the step, records/s. */
  lagSlope: number;
  archiveLagEnd: number;
  /** Cores the back end process used during the step (all its threads; 1.0 = one core). */
  backEndCores: number | null;
  sustained: boolean;
  drainSeconds: number | null;
  samples: { t: number; lag: number }[];
}

export interface LatencyResult {
  rate: number;
  probes: number;
  timeouts: number;
  api: LatencySummary | null;
  table: LatencySummary;
}

export interface VariantResult {
  variant: Variant;
  /** Absent in older results: one tick per record. */
  packing?: ProducerPacking;
  startSeconds: number;
  shards: number;
  consumers: string[];
  steps: StepResult[];
  maxSustained: number | null;
  latency: LatencyResult[];
}

export interface PipelineData {
  variants: VariantResult[];
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ticks put but not yet checkpointed: puts per shard by sequence number, with running tick counts. */
export class Tracker {
  private readonly puts = new Map<string, { seq: bigint[]; ticks: number[]; sum: number[]; sorted: boolean }>();
  add(ps: Put[]): void {
    for (const p of ps) {
      let list = this.puts.get(p.shardId);
      if (!list) this.puts.set(p.shardId, (list = { seq: [], ticks: [], sum: [], sorted: true }));
      const seq = BigInt(p.sequenceNumber);
      // Puts in flight together may complete out of order: sort before the next count.
      if (list.seq.length && seq < list.seq[list.seq.length - 1]!) list.sorted = false;
      list.seq.push(seq);
      list.ticks.push(p.ticks ?? 1);
      if (list.sorted) list.sum.push((list.sum.at(-1) ?? 0) + (p.ticks ?? 1));
    }
  }
  private ordered(list: { seq: bigint[]; ticks: number[]; sum: number[]; sorted: boolean }): void {
    if (list.sorted) return;
    const order = list.seq.map((_, i) => i).sort((a, b) => (list.seq[a]! < list.seq[b]! ? -1 : 1));
    list.seq = order.map((i) => list.seq[i]!);
    list.ticks = order.map((i) => list.ticks[i]!);
    let total = 0;
    list.sum = list.ticks.map((t) => (total += t));
    list.sorted = true;
  }
  /** Ticks in records put after the checkpoint, per shard, summed. */
  behind(checkpoints: Record<string, string | undefined>): number {
    let n = 0;
    for (const [shard, list] of this.puts) {
      this.ordered(list);
      const total = list.sum.at(-1) ?? 0;
      const cp = checkpoints[shard];
      if (cp === undefined) {
        n += total;
        continue;
      }
      const c = BigInt(cp);
      let lo = 0;
      let hi = list.seq.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list.seq[mid]! <= c) lo = mid + 1;
        else hi = mid;
      }
      n += total - (lo > 0 ? list.sum[lo - 1]! : 0);
    }
    return n;
  }
}

/** How the benchmark's producer puts ticks: one per record, or KPL aggregates per partition key. */
export type ProducerPacking = "single" | "kpl";

interface Env {
  packing: ProducerPacking;
  h: LocalHandle;
  o: LocalOutputsLike;
  kin: KinesisClient;
  shards: string[];
  tracker: Tracker;
  consumers: string[];
  /** Each consumer's batching window, s: the lag it may hold by design. */
  windowSeconds: Record<string, number>;
}

/** Ticks a consumer may lag by design at `rate`: its batching window (at least 1 s) and 1.5 s more. */
function lagAllowance(env: Env, consumer: string, rate: number): number {
  return rate * (Math.max(1, env.windowSeconds[consumer] ?? 1) + 1.5);
}

/** How long the backlog may take to clear once the producer stops: the longest window and 2 s. */
function drainAllowanceSeconds(env: Env): number {
  return Math.max(1, ...env.consumers.map((c) => env.windowSeconds[c] ?? 1)) + 2;
}

async function lagOf(env: Env, readers: string[]): Promise<number> {
  let worst = 0;
  for (const r of readers) {
    const cps = await readCheckpoints(env.h.dataDir, r, env.o.pricesStream, env.shards);
    worst = Math.max(worst, env.tracker.behind(cps));
  }
  return worst;
}

/** PutRecords calls in flight: the producer must not be what limits the rate. */
const PUTS_IN_FLIGHT = 4;

/**
 * Puts `rate` ticks/s (what is due every 100 ms, up to PUTS_IN_FLIGHT calls at once) until
 * `stop()` is true, then waits for the calls in flight.
 */
async function produce(env: Env, rate: number, stop: () => boolean): Promise<{ sent: number; seconds: number; failed: number; records: number }> {
  const t0 = Date.now();
  let made = 0;
  let sent = 0;
  let failed = 0;
  let records = 0;
  const inflight = new Set<Promise<void>>();
  while (!stop()) {
    const due = Math.floor((rate * (Date.now() - t0)) / 1000) - made;
    if (due > 0 && inflight.size < PUTS_IN_FLIGHT) {
      const lines: { data: string; key: string }[] = [];
      const now = Date.now();
      for (let i = 0; i < due; i++) {
        const inst = String((made + i) % 10);
        // Packed: keyed by instrument, as the producer keys them, so a key's ticks share records.
        lines.push({ data: pipeTick(inst, now, 10_000 + ((made + i) % 20_000)), key: env.packing === "kpl" ? inst : `${inst}-${(made + i) % 97}` });
      }
      made += due;
      const put = (env.packing === "kpl" ? putPacked(env.kin, env.o.pricesStream, lines) : putLines(env.kin, env.o.pricesStream, lines).then((r) => ({ ...r, records: lines.length }))).then((r) => {
        env.tracker.add(r.puts);
        sent += due - r.failed;
        failed += r.failed;
        records += r.records;
      });
      const tracked = put.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await sleep(100);
  }
  const seconds = (Date.now() - t0) / 1000;
  await Promise.all(inflight);
  return { sent, seconds, failed, records };
}

async function stepTest(env: Env, rates: number[], seconds: number, drainLimitS: number, log: (m: string) => void): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const rate of rates) {
    const samples: { t: number; lag: number }[] = [];
    let done = false;
    const t0 = Date.now();
    const cpu0 = await cpuSeconds(env.h.pid);
    const producer = produce(env, rate, () => done);
    while (Date.now() - t0 < seconds * 1000) {
      await sleep(500);
      samples.push({ t: (Date.now() - t0) / 1000, lag: await lagOf(env, env.consumers) });
    }
    const cpu1 = await cpuSeconds(env.h.pid);
    const cpuWall = (Date.now() - t0) / 1000;
    done = true;
    const p = await producer;
    const backEndCores = cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / cpuWall : null;
    const lagEndBy: Record<string, number> = {};
    for (const c of env.consumers) lagEndBy[c] = await lagOf(env, [c]);
    const lagEnd = Math.max(0, ...Object.values(lagEndBy));
    const archiveLagEnd = await lagOf(env, ["ArchiveDelivery"]);
    const half = samples.filter((s) => s.t >= seconds / 2);
    const lagSlope = slope(half.map((s) => s.t), half.map((s) => s.lag));
    const achievedRate = p.sent / p.seconds;
    // Drain before the next step, so that each step starts from no backlog.
    const d0 = Date.now();
    let drainSeconds: number | null = null;
    while (Date.now() - d0 < drainLimitS * 1000) {
      if ((await lagOf(env, env.consumers)) === 0) {
        drainSeconds = (Date.now() - d0) / 1000;
        break;
      }
      await sleep(250);
    }
    const lagWithin = env.consumers.every((c) => lagEndBy[c]! <= lagAllowance(env, c, rate));
    const sustained = achievedRate >= rate * 0.9 && lagWithin && drainSeconds !== null && drainSeconds <= drainAllowanceSeconds(env);
    const res: StepResult = { rate, seconds, achievedRate, recordsPerSecond: p.records / p.seconds, putFailures: p.failed, lagEnd, lagEndBy, lagMax: Math.max(0, ...samples.map((s) => s.lag)), lagSlope, archiveLagEnd, backEndCores, sustained, drainSeconds, samples };
    out.push(res);
    log(`    ${rate}/s: put ${achievedRate.toFixed(0)}/s, back end ${backEndCores === null ? "?" : backEndCores.toFixed(2)} cores, lag end ${Object.entries(lagEndBy).map(([c, n]) => `${c} ${n}`).join(", ")}, slope ${lagSlope.toFixed(0)}/s, ${sustained ? "sustained" : "NOT sustained"}, drained in ${drainSeconds === null ? `>${drainLimitS}` : drainSeconds.toFixed(1)} s`);
    if (!sustained || drainSeconds === null) break;
  }
  return out;
}

interface ProbeReaders {
  api?: (price: number) => Promise<boolean>;
  table: (price: number) => Promise<boolean>;
}

async function latencyTest(env: Env, readers: ProbeReaders, rate: number, probes: number, timeoutMs: number, log: (m: string) => void): Promise<LatencyResult> {
  let done = false;
  const producer = produce(env, rate, () => done);
  await sleep(1500);
  const api: number[] = [];
  const tableMs: number[] = [];
  let timeouts = 0;
  try {
    for (let i = 0; i < probes; i++) {
      const price = 50_000_000 + Math.floor(Math.random() * 40_000_000);
      const t0 = performance.now();
      const r = await putLines(env.kin, env.o.pricesStream, [{ data: pipeTick(PROBE, Date.now(), price), key: `probe-${i}` }]);
      env.tracker.add(r.puts);
      let seenApi: number | undefined;
      let seenTable: number | undefined;
      while (performance.now() - t0 < timeoutMs && (seenTable === undefined || (readers.api && seenApi === undefined))) {
        const [a, t] = await Promise.all([seenApi === undefined && readers.api ? readers.api(price) : Promise.resolve(false), seenTable === undefined ? readers.table(price) : Promise.resolve(false)]);
        const now = performance.now() - t0;
        if (a) seenApi = now;
        if (t) seenTable = now;
        if (seenTable === undefined || (readers.api && seenApi === undefined)) await sleep(25);
      }
      if (seenTable === undefined || (readers.api && seenApi === undefined)) {
        timeouts++;
        log(`    probe ${i + 1} not visible within ${timeoutMs / 1000} s`);
        if (timeouts >= 2) break;
        continue;
      }
      tableMs.push(seenTable);
      if (seenApi !== undefined) api.push(seenApi);
      await sleep(100 + Math.random() * 150);
    }
  } finally {
    done = true;
    await producer;
  }
  const res: LatencyResult = { rate, probes: tableMs.length, timeouts, api: api.length ? latencySummary(api) : null, table: latencySummary(tableMs) };
  log(`    latency at ${rate}/s: ${res.api ? `API p50 ${res.api.p50.toFixed(0)} ms p95 ${res.api.p95.toFixed(0)} ms; ` : ""}table p50 ${res.table.p50.toFixed(0)} ms p95 ${res.table.p95.toFixed(0)} ms (${res.probes} probes, ${timeouts} timeouts)`);
  return res;
}

/** A numeric id, so that the seed's table (instrument as a number) takes it too. */
const PROBE = "999999";

export async function runVariant(variant: Variant, h: LocalHandle & { startSeconds?: number }, quick: boolean, log: (m: string) => void, packing: ProducerPacking = "single"): Promise<VariantResult> {
  const o = h.outputs;
  const kin = kinesisFor(o);
  const ddb = new DynamoDBClient({ region: o.region, endpoint: o.dynamodbEndpoint, credentials: o.credentials ?? { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const shards = await shardIds(kin, o.pricesStream);
    // The baseline's poller runs without a batching window; the design's mappings as described.
    const windowSeconds: Record<string, number> =
      variant === "design"
        ? { LatestConsumer: CONSUMERS.latest.maxBatchingWindowSeconds, WindowsConsumer: CONSUMERS.windows.maxBatchingWindowSeconds }
        : { LatestConsumer: 0 };
    const consumers = Object.keys(windowSeconds);
    const env: Env = { packing, h, o, kin, shards, tracker: new Tracker(), consumers, windowSeconds };
    // The quick run skips the step test (it needs the longest time to mean anything).
    const rates = quick ? [] : packing === "kpl" ? [1000, 2500, 5000, 10_000, 20_000, 30_000, 40_000] : [250, 500, 1000, 2000, 4000];
    // Steps of 10 s, or longer than the longest batching window so that a step is more than one batch.
    const stepSeconds = Math.max(10, 2 * Math.max(...Object.values(windowSeconds)));
    const steps = await stepTest(env, rates, stepSeconds, 40, log);
    const sustainedRates = steps.filter((s) => s.sustained).map((s) => s.rate);

    let readers: ProbeReaders;
    if (variant === "design") {
      const { createLogLatestStore } = await import("@tickstream/core/latest/log-store");
      const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
      const token = (await signIn(o)).idToken;
      const latestTable = o.tableNames?.latest ?? "tickstream-latest";
      const latest = createLogLatestStore({ doc: DynamoDBDocumentClient.from(ddb), tableName: latestTable, compactOnWrite: false });
      readers = {
        api: async (price) => {
          const res = await fetch(`${o.apiUrl}/instruments`, { headers: { authorization: `Bearer ${token}` } });
          if (res.status !== 200) return false;
          const list = (await res.json()) as { instrument: string; price: number }[];
          return list.some((x) => x.instrument === PROBE && Math.round(x.price * 100) === price);
        },
        // The log as readers see it (the snapshot alone may be a fold behind).
        table: async (price) => (await latest.listLatest()).some((x) => x.instrument === PROBE && x.priceCents === price),
      };
    } else {
      readers = {
        table: async (price) => {
          const r = await ddb.send(new GetItemCommand({ TableName: SEED_TABLE, Key: { instrument: { N: PROBE } } }));
          return r.Item?.price_0?.N !== undefined && Math.round(Number(r.Item.price_0.N) * 100) === price;
        },
      };
    }
    const latency: LatencyResult[] = [];
    // Latency probes go one tick per record; the packed producer is measured for its rate only.
    for (const rate of packing === "kpl" ? [] : quick ? [100] : [100, 1000]) {
      latency.push(await latencyTest(env, readers, rate, quick ? 3 : 20, 10_000, log));
      // Let any backlog of this rate clear before the next.
      const d0 = Date.now();
      while (Date.now() - d0 < 20_000 && (await lagOf(env, consumers)) > 0) await sleep(250);
    }
    return { variant, packing, startSeconds: h.startSeconds ?? 0, shards: shards.length, consumers, steps, maxSustained: sustainedRates.length ? Math.max(...sustainedRates) : null, latency };
  } finally {
    kin.destroy();
    ddb.destroy();
  }
}

export const pipeline: Benchmark<PipelineData> = {
  name: "pipeline",
  title: "local pipeline end to end: sustained put rate and put-to-visible latency, vs the seed's consumer",
  async run(ctx) {
    const variants: VariantResult[] = [];
    // The baseline first, in a back end of its own that is stopped before the design's starts.
    const base = await startLocalHost("baseline");
    ctx.log(`  baseline back end up in ${base.startSeconds.toFixed(1)} s`);
    try {
      variants.push(await runVariant("baseline", base, ctx.quick, ctx.log));
    } finally {
      await base.stop();
    }
    const h = await ctx.local();
    variants.push(await runVariant("design", h, ctx.quick, ctx.log));
    // The same back end, the producer packing ticks into KPL records; after a pause, so that the
    // previous steps' records are all checkpointed and out of the way.
    await new Promise((r) => setTimeout(r, 5_000));
    variants.push(await runVariant("design", h, ctx.quick, ctx.log, "kpl"));
    return {
      variants,
      notes: [
        "The back end runs in one Node process: kinesalite and dynalite on a worker thread each, the poller, both consumers, the archive delivery, the windows timer and the API host on the main thread (the consumers and the archive share what they read of each shard: each record is fetched from kinesalite once). The producer and the probes run in the benchmark's process; the machine has two cores for all of it.",
        "The baseline keeps the seed's batch size (100) and no batching window; the local poller reads each shard with one invocation at a time (the seed's parallelization factor 2 is not modelled locally). Its windows mapping runs a no-op (the seed had no windows consumer).",
        "Baseline visibility is read with GetItem on its table: the seed's query API is not part of this runtime.",
      ],
    };
  },
  render(r: SectionResult<PipelineData>) {
    if (!r.data) return `_Not measured: ${r.error}_`;
    const d = r.data;
    const name = (v: VariantResult) => (v.variant === "baseline" ? "baseline (seed consumer)" : v.packing === "kpl" ? "Tickstream, KPL records" : "Tickstream, one tick per record");
    const stepRows = d.variants.flatMap((v) =>
      v.steps.map((s) => [
        name(v),
        s.rate,
        s.achievedRate.toFixed(0),
        s.recordsPerSecond === undefined ? "" : s.recordsPerSecond.toFixed(0),
        s.lagMax,
        s.lagEndBy ? Object.values(s.lagEndBy).join(" / ") : s.lagEnd,
        s.lagSlope.toFixed(0),
        s.archiveLagEnd,
        s.backEndCores == null ? "n/a" : s.backEndCores.toFixed(2),
        s.drainSeconds === null ? "no" : `${s.drainSeconds.toFixed(1)} s`,
        s.sustained ? "**yes**" : "no",
      ]),
    );
    const latRows = d.variants.flatMap((v) =>
      v.latency.map((l) => [
        name(v),
        l.rate,
        l.api ? `${l.api.p50.toFixed(0)} / ${l.api.p95.toFixed(0)} / ${l.api.p99.toFixed(0)}` : "n/a (no API)",
        `${l.table.p50.toFixed(0)} / ${l.table.p95.toFixed(0)} / ${l.table.p99.toFixed(0)}`,
        `${l.probes}${l.timeouts ? ` (+${l.timeouts} not visible in 10 s)` : ""}`,
      ]),
    );
    const summary = d.variants.filter((v) => v.steps.length).map((v) => `${name(v)}: ${v.maxSustained === null ? "none of the steps" : `${v.maxSustained.toLocaleString("en-US")} ticks/s`}`).join("; ");
    const stepSeconds = d.variants.filter((v) => v.steps.length).map((v) => `${name(v)} ${v.steps[0]!.seconds} s`).join(", ");
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt} · ${r.meta.wallSeconds.toFixed(0)} s. Back end start-up: ${d.variants.filter((v) => v.packing !== "kpl").map((v) => `${name(v)} ${v.startSeconds.toFixed(1)} s`).join(", ")}.`,
      "",
      ...(stepRows.length
        ? [
            `**Highest sustained rate** (steps of ${stepSeconds}, at least twice the longest batching window; the test stops at the first step not sustained): ${summary}.`,
            "",
            "Lag = ticks in records put but not yet checkpointed by a consumer (from the poller's checkpoint files), sampled every 0.5 s; a consumer's batching window alone accounts for up to that long of input (latest 1 s; windows " + `${CONSUMERS.windows.maxBatchingWindowSeconds} s` + "; the baseline has none). KPL records: the benchmark's producer packs each 100 ms of ticks per instrument (its partition key) into KPL aggregates of up to 51,200 bytes, as `npm run produce` does; Tickstream's two runs share one back end, one after the other. Sustained = the producer reached 90% of the rate, each consumer's lag at the end was at most its batching window (at least 1 s) plus 1.5 s of input, and the backlog drained within the longest batching window plus 2 s once the producer stopped (a consumer that falls behind builds a backlog that takes longer). The slope (lag growth over the second half of the step) is shown for reading, not used.",
            "",
            table(["pipeline", "target ticks/s", "put ticks/s", "records/s", "max lag", "lag at end (latest / windows)", "lag slope /s", "archive lag at end", "back end CPU (cores)", "drained", "sustained"], stepRows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"]),
            "",
            "Archive lag: the archive delivery checkpoints only once it has written a buffer (5 MiB or 60 s), so its lag is its buffer, not a backlog. Back end CPU: user + system time of the back end's process over the step, all its threads (the main thread, kinesalite's and dynalite's, garbage collection and I/O), in cores.",
          ]
        : ["The step test (highest sustained rate) runs in the full run only (`npm run bench`)."]),
      "",
      "Put-to-visible latency, ms (p50 / p95 / p99), one probe at a time over a steady background rate; the API column polls `GET /instruments` with a real token every 25 ms, the table column reads the consumer's table directly (the baseline's with GetItem, Tickstream's through its latest store, as the API does):",
      "",
      table(["pipeline", "background ticks/s", "via API p50/p95/p99", "via table p50/p95/p99", "probes"], latRows, ["l", "r", "r", "r", "r"]),
      "",
      ...d.notes.map((n) => `- ${n}`),
    ].join("\n");
  },
};
