import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { costSvg, lineItemTable, monthlyCost, perMillionTicks, shardsWithHeadroom, ticksPerInvocation, type ConsumerCost, type DesignCost, type DesignInput, type LineItem, type Packing } from "../cost.js";
import { PRICES } from "../prices.js";
import { CONSUMERS } from "../../packages/core/src/resources.js";
import { encodePipe } from "../../packages/core/src/ticks/encode.js";
import { packAll, KPL_DEFAULT_MAX_BYTES, type PackItem } from "../../packages/local/src/generator/pack.js";
import { genTicks } from "../records.js";
import { table } from "../report.js";
import type { Benchmark, SectionResult } from "../types.js";
import { billedUnits, daySeriesUnits, warmPerRequest, WRITES_TICKS_PER_SECOND, type WriteRow, type WritesData } from "./writes.js";

/**
 * Benchmark 5: the monthly cost of a steady tick rate (1,000 and 10,000 ticks/s) for 30 days,
 * for this design with one tick per Kinesis record and with KPL aggregated records (as
 * `npm run produce` packs them), and for the seed's design, from the list prices in prices.ts.
 *
 * Two kinds of input, kept apart:
 *  - record counts (this file and cost.ts): ticks per Kinesis record and record sizes, measured
 *    by packing the generator's ticks with the producer's packer; Kinesis, Firehose and the
 *    Lambda invocation counts follow from them;
 *  - DynamoDB write and read units per 1,000 ticks and the handlers' durations, measured by the
 *    `writes` benchmark (this run's, or the last saved), chosen by `dynamoDbInput` for the ticks
 *    one invocation gets. Packing does not change them: an invocation gets the same ticks per
 *    second of a shard, however they are packed.
 */

export interface CostDesign {
  /** "ours-on-demand", "ours-on-demand-kpl", … */
  key: string;
  name: string;
  packed: boolean;
  onDemand: boolean;
  /** Firehose rounding per Kinesis record (the lower bound when records are packed). */
  low: DesignCost;
  /** Firehose rounding per de-aggregated tick; only for packed records. */
  high: DesignCost | null;
  input: DesignInput;
  /** Where the DynamoDB figures came from, per consumer. */
  writesRows: string[];
}

export interface RateCost {
  ticksPerSecond: number;
  /** Instruments of the scenario (the model's default when absent). */
  instruments?: number;
  designs: CostDesign[];
}

export interface CostData {
  days: number;
  instruments: number;
  tickBytes: number;
  gzipRatio: number;
  producer: { lingerMs: number; maxBytes: number; ticksPerFullRecord: number };
  rates: RateCost[];
  /** On-demand, packed, at the first rate: total by ticks per record (Firehose low / high). */
  sensitivity: { ticksPerRecord: number; recordBytes: number; low: number; high: number }[];
  assumptions: string[];
  writesFrom: string;
}

const SVG_PATH = fileURLToPath(new URL("../cost.svg", import.meta.url));
const RATES = [1_000, 10_000];
/** The market-scale scenario: 10,000 ticks/s over 1,000 instruments, with the dashboard's reads. */
const MARKET = { ticksPerSecond: 10_000, instruments: 1_000 } as const;
const DAYS = 30;
const INSTRUMENTS = 10;
/** The producer's defaults (`npm run produce`): linger and record size limit. */
const LINGER_MS = 100;
const MAX_BYTES = KPL_DEFAULT_MAX_BYTES;
/** What AWS gives an on-demand stream at creation (4 MB/s or 4,000 records/s of writes). */
const ON_DEMAND_MIN_SHARDS = 4;

/** Average tick size and gzip ratio of the generator's ticks, measured here. */
export function tickSizeAndRatio(): { tickBytes: number; gzipRatio: number } {
  const lines = genTicks({ count: 20_000, instruments: 10, stepMs: 1, seed: 5 }).map((t) => `${encodePipe(t)}\n`);
  const text = lines.join("");
  const bytes = Buffer.byteLength(text);
  return { tickBytes: bytes / lines.length - 1, gzipRatio: bytes / gzipSync(text).length };
}

/** Ticks of one instrument as the producer puts them (pipe records of the seed's template). */
function oneKeyTicks(count: number): PackItem[] {
  return genTicks({ count, instruments: 1, stepMs: 1, seed: 9 }).map((t) => ({ data: Buffer.from(encodePipe(t)), partitionKey: t.instrument }));
}

/** Ticks in a full KPL record of one key at the size limit. */
export function ticksPerFullRecord(maxBytes = MAX_BYTES): number {
  return packAll(oneKeyTicks(Math.ceil(maxBytes / 100)), { mode: "kpl", maxBytes })[0]!.items.length;
}

/** Bytes of a KPL record of `n` ticks of one key, measured by packing them. */
export function kplRecordBytes(n: number): number {
  return packedRecordBytes(n, "kpl");
}

/** Bytes of a record of `n` ticks of one key packed as `mode`, measured by packing them. */
export function packedRecordBytes(n: number, mode: "kpl" | "lines"): number {
  const whole = Math.max(1, Math.round(n));
  const [record] = packAll(oneKeyTicks(whole), { mode, maxBytes: 1024 * 1024 });
  return record!.data.byteLength;
}

/**
 * Ticks per record as the producer packs them: per partition key (instrument), a record closes
 * when full or when its first tick has waited the linger, so at a steady rate it holds the
 * ticks one instrument makes in one linger, up to a full record.
 */
export function producerPacking(ticksPerSecond: number, instruments = INSTRUMENTS, lingerMs = LINGER_MS, maxBytes = MAX_BYTES, mode: "kpl" | "lines" = "kpl"): Packing {
  const perLinger = (ticksPerSecond / instruments) * (lingerMs / 1000);
  const ticksPerRecord = Math.max(1, Math.min(ticksPerFullRecord(maxBytes), perLinger));
  return { mode, ticksPerRecord, recordBytes: packedRecordBytes(ticksPerRecord, mode) };
}

/**
 * DynamoDB input for one consumer: the `writes` row at `instruments` (10 by default) with the
 * largest batch not above the ticks one invocation gets (fewer ticks per batch fold less, so the
 * units per 1,000 ticks are an upper bound), and its duration scaled up linearly when the
 * invocation gets more ticks than the row's batch. Kept apart so the write counts stay one input.
 */
export function dynamoDbInput(w: WritesData, consumer: WriteRow["consumer"], ticks: number, instruments = INSTRUMENTS): { row: WriteRow; writeUnitsPer1000: number; readUnitsPer1000: number; durationMs: number; source: string } {
  const rows = w.rows.filter((r) => r.consumer === consumer && r.instruments === instruments && !r.error);
  if (!rows.length) throw new Error(`the writes benchmark has no rows for ${consumer} at ${instruments} instruments: run \`npm run bench -- --only writes\``);
  rows.sort((a, b) => a.batchSize - b.batchSize || Number(b.costScenario ?? false) - Number(a.costScenario ?? false));
  const fit = rows.filter((r) => r.batchSize <= ticks + 1e-9);
  const row = fit.length ? fit.reduce((best, r) => (r.batchSize > best.batchSize ? r : best)) : rows[0]!;
  const scale = Math.max(1, ticks / row.batchSize);
  return {
    row,
    writeUnitsPer1000: billedUnits(row),
    readUnitsPer1000: row.per1000.readUnits,
    durationMs: row.msPerInvocation.median * scale,
    source: `${consumer}: writes row at ${row.instruments.toLocaleString("en-US")} instruments, batch ${row.batchSize.toLocaleString("en-US")}${row.costScenario ? " †" : ""}${row.deployed ? " (deployed batching)" : ""}${scale > 1 ? `, duration x${scale.toFixed(2)} for ${Math.round(ticks)} ticks per invocation` : ""}`,
  };
}

/** What a dashboard user asks for (packages/web's polls), for pricing the API's reads. */
export const DASHBOARD = {
  /** Users with the dashboard open, all day. */
  users: 10,
  /** GET /instruments, and the selected instrument's series tail: every second. */
  pollSeconds: 1,
  /** Recent windows of the selected instrument, and the tails of the watchlist rows: every 5 s. */
  backgroundSeconds: 5,
  /** Instruments in a user's watchlist (rows with their own series tail). */
  watchlist: 5,
  /** A user selects another instrument (and loads its 24 h history) this often. */
  selectionSeconds: 600,
} as const;

/**
 * Read request units per second the API spends on one dashboard user, from the read units the
 * `writes` benchmark measured per request against its tables at `instruments`. GET /instruments
 * is a warm container's poll (the log written in a second, which grows with the tick rate: scaled
 * from the benchmark's rate to `ticksPerSecond`) plus its snapshot read once a minute; an
 * instrument route's 404 check is answered from the warm view.
 */
export function dashboardReadUnitsPerSecond(w: WritesData, instruments: number, ticksPerSecond = WRITES_TICKS_PER_SECOND): { perUser: number; source: string } | null {
  const latest = w.rows.find((r) => r.deployed && r.consumer === "latest" && r.instruments === instruments && r.reads)?.reads;
  const windows = w.rows.find((r) => r.deployed && r.consumer === "windows" && r.instruments === instruments && r.reads)?.reads;
  if (!latest?.instruments || !latest.known || !windows?.seriesTail || !windows.windows || !windows.seriesRun) return null;
  const d = DASHBOARD;
  const known = (latest.knownWarm ?? latest.known).rcu;
  const rate = ticksPerSecond / WRITES_TICKS_PER_SECOND;
  const list = latest.poll ? warmPerRequest(latest)! + latest.poll.rcu * (rate - 1) : latest.instruments.rcu;
  const day = daySeriesUnits(windows.seriesRun);
  const perUser =
    list / d.pollSeconds +
    (windows.seriesTail.rcu + known) / d.pollSeconds +
    (windows.windows.rcu + known) / d.backgroundSeconds +
    (d.watchlist * (windows.seriesTail.rcu + known)) / d.backgroundSeconds +
    (day + known) / d.selectionSeconds;
  const listSource = latest.poll
    ? `GET /instruments from a warm container (${list.toFixed(1)} RRU: its poll, ${latest.poll.rcu.toFixed(1)} at ${WRITES_TICKS_PER_SECOND.toLocaleString("en-US")} ticks/s${rate !== 1 ? ` x ${rate}` : ""}, and its snapshot read, ${latest.instruments.rcu.toFixed(1)}, once a minute)`
    : `GET /instruments (${latest.instruments.rcu.toFixed(1)} RRU)`;
  return {
    perUser,
    source: `per user: ${listSource} and the chart's series tail (${windows.seriesTail.rcu.toFixed(1)}) every ${d.pollSeconds} s, recent windows (${windows.windows.rcu.toFixed(1)}) and ${d.watchlist} watchlist tails every ${d.backgroundSeconds} s, a 24 h history (${day.toFixed(0)}) every ${d.selectionSeconds / 60} min, each instrument route with its 404 check (${known.toFixed(1)}): ${perUser.toFixed(1)} RRU/s, measured against the tables of the writes rows at ${instruments.toLocaleString("en-US")} instruments`,
  };
}

/** Our consumers as deployed (resources.ts): the windows consumer gathers 10 s, the latest 1 s. */
const oursConsumer = (c: "latest" | "windows") => ({
  batchSize: CONSUMERS[c].batchSize,
  batchingWindowSeconds: CONSUMERS[c].maxBatchingWindowSeconds,
  parallelizationFactor: CONSUMERS[c].parallelizationFactor,
  memoryMb: CONSUMERS[c].memorySizeMiB,
  arch: "arm64" as const,
});
const SEED_CONSUMER = { batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2, memoryMb: 128, arch: "x86_64" as const };

export function buildDesigns(w: WritesData, tps: number, tickBytes: number, gzipRatio: number, scale?: { instruments: number; dashboard: boolean; only: readonly string[] }): CostDesign[] {
  const timerRow = w.rows.find((x) => x.consumer === "windows" && x.timer)?.timer;
  const instruments = scale?.instruments ?? INSTRUMENTS;
  const one: Packing = { mode: "none", ticksPerRecord: 1, recordBytes: tickBytes };
  const kpl = producerPacking(tps, instruments);
  const lines = producerPacking(tps, instruments, LINGER_MS, MAX_BYTES, "lines");
  const designs: CostDesign[] = [];
  const reads = scale?.dashboard ? dashboardReadUnitsPerSecond(w, instruments, tps) : null;

  const ours = (key: string, name: string, packing: Packing, onDemand: boolean) => {
    if (scale && !scale.only.includes(key)) return;
    const recordsPerSecond = tps / packing.ticksPerRecord;
    const need = shardsWithHeadroom(recordsPerSecond, packing.recordBytes);
    const stream: DesignInput["stream"] = onDemand ? { mode: "on-demand", retentionHours: 24, shards: Math.max(ON_DEMAND_MIN_SHARDS, need) } : { mode: "provisioned", shards: need, retentionHours: 24 };
    const shape = { ticksPerSecond: tps, tickBytes, packing, stream };
    const latest = dynamoDbInput(w, "latest", ticksPerInvocation(shape, oursConsumer("latest")), instruments);
    const windows = dynamoDbInput(w, "windows", ticksPerInvocation(shape, oursConsumer("windows")), instruments);
    const windowsRecordsPerSecond = ((windows.row.windowsRecordsPer1000 ?? 0) * tps) / 1000;
    const input: DesignInput = {
      name,
      ticksPerSecond: tps,
      days: DAYS,
      tickBytes,
      ...(packing.ticksPerRecord > 1 ? { packing } : {}),
      stream,
      extraStreams: [{ name: "windows", kind: onDemand ? { mode: "on-demand", retentionHours: 24 } : { mode: "provisioned", shards: 1, retentionHours: 24 }, recordsPerSecond: windowsRecordsPerSecond, recordBytes: 110 }],
      streamReaders: 3,
      consumers: [
        { name: "latest", ...oursConsumer("latest"), durationMs: latest.durationMs },
        { name: "windows", ...oursConsumer("windows"), durationMs: windows.durationMs },
      ] satisfies ConsumerCost[],
      scheduled: [{ name: "windows-timer", invocationsPerMonth: DAYS * 24 * 60, memoryMb: 1024, arch: "arm64", durationMs: timerRow?.ms ?? 50 }],
      writeUnitsPer1000: latest.writeUnitsPer1000 + windows.writeUnitsPer1000,
      readUnitsPer1000: latest.readUnitsPer1000 + windows.readUnitsPer1000,
      ...(reads ? { apiReads: { readUnitsPerSecond: reads.perUser * DASHBOARD.users, users: DASHBOARD.users } } : {}),
      archive: { bufferBytes: 5 * 1024 * 1024, bufferSeconds: 60, compressionRatio: gzipRatio },
    };
    const packed = packing.ticksPerRecord > 1;
    // Firehose de-aggregates KPL records only: a lines record is one record to it, rounded as one.
    const openRounding = packed && packing.mode === "kpl";
    designs.push({
      key,
      name: scale ? `${name}, ${instruments.toLocaleString("en-US")} instruments${reads ? `, API reads of ${DASHBOARD.users} dashboard users` : ""}` : name,
      packed,
      onDemand,
      input,
      low: monthlyCost({ ...input, firehoseRounding: "kinesis-record" }),
      high: openRounding ? monthlyCost({ ...input, firehoseRounding: "tick" }) : null,
      writesRows: [latest.source, windows.source, ...(reads ? [`API reads: ${DASHBOARD.users} users, ${reads.source}`] : [])],
    });
  };
  ours("ours-on-demand", "Tickstream, on-demand (prod stage), one tick per record", one, true);
  ours("ours-on-demand-kpl", "Tickstream, on-demand (prod stage), KPL records", kpl, true);
  ours("ours-provisioned", "Tickstream, provisioned, one tick per record", one, false);
  ours("ours-provisioned-kpl", "Tickstream, provisioned, KPL records", kpl, false);
  ours("ours-on-demand-lines", "Tickstream, on-demand (prod stage), lines records", lines, true);
  ours("ours-provisioned-lines", "Tickstream, provisioned, lines records", lines, false);

  // The seed: 10 provisioned shards as it was configured, more if the rate needs them.
  const seedShards = Math.max(10, shardsWithHeadroom(tps, tickBytes));
  const seedStream: DesignInput["stream"] = { mode: "provisioned", shards: seedShards, retentionHours: 48 };
  const seedTicks = ticksPerInvocation({ ticksPerSecond: tps, tickBytes, stream: seedStream }, SEED_CONSUMER);
  const base = dynamoDbInput(w, "baseline", seedTicks, instruments);
  const seed: DesignInput = {
    name: `seed: ${seedShards} shards, 1 write per tick`,
    ticksPerSecond: tps,
    days: DAYS,
    tickBytes,
    stream: seedStream,
    extraStreams: [],
    streamReaders: 2,
    consumers: [{ name: "ingest", ...SEED_CONSUMER, durationMs: base.durationMs }],
    scheduled: [],
    writeUnitsPer1000: base.writeUnitsPer1000,
    readUnitsPer1000: base.readUnitsPer1000,
    archive: { bufferBytes: 100 * 1024 * 1024, bufferSeconds: 60, compressionRatio: 2 },
  };
  designs.push({ key: "seed", name: seed.name, packed: false, onDemand: false, input: seed, low: monthlyCost(seed), high: null, writesRows: [base.source] });
  return designs;
}

/** The issue's aims: packed records at least 5x cheaper than the seed on-demand, 10x provisioned. */
export const AIMS = { "ours-on-demand-kpl": 5, "ours-provisioned-kpl": 10, "ours-on-demand-lines": 5, "ours-provisioned-lines": 10 } as const;

const money = (v: number) => (v >= 1000 ? `$${Math.round(v).toLocaleString("en-US")}` : v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(3)}`);
const range = (lo: number, hi: number | undefined, f = money) => (hi === undefined || Math.abs(hi - lo) < 0.005 ? f(lo) : `${f(lo)}–${f(hi)}`);
// Two decimals below 10: an aim of 5x is not met by 4.96x shown as "5.0x".
const ratio = (v: number) => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x`;

/** Seed total over the design's, as a range when Firehose's rounding is open (low cost = high ratio). */
function vsSeed(d: CostDesign, seed: CostDesign): { best: number; worst: number } {
  return { best: seed.low.total / d.low.total, worst: seed.low.total / (d.high ?? d.low).total };
}

const SERVICES: LineItem["service"][] = ["Kinesis", "Lambda", "DynamoDB", "Firehose", "S3"];

export const cost: Benchmark<CostData> = {
  name: "cost",
  title: "monthly cost at 1,000 and 10,000 ticks/s (one tick per record, KPL records, the seed's design)",
  async run(ctx) {
    const section = ctx.results.sections.writes as SectionResult<WritesData> | undefined;
    if (!section?.data) throw new Error("needs the writes benchmark's results (`npm run bench -- --only writes`)");
    const w = section.data;
    const { tickBytes, gzipRatio } = tickSizeAndRatio();
    const rates: RateCost[] = RATES.map((tps) => ({ ticksPerSecond: tps, designs: buildDesigns(w, tps, tickBytes, gzipRatio) }));
    // Market scale: many instruments, so the producer's packing per instrument gains little
    // (about one tick per record); DynamoDB from the writes rows at that instrument count.
    rates.push({
      ...MARKET,
      designs: buildDesigns(w, MARKET.ticksPerSecond, tickBytes, gzipRatio, { instruments: MARKET.instruments, dashboard: true, only: ["ours-on-demand", "ours-provisioned"] }),
    });
    for (const r of rates) {
      for (const d of r.designs) ctx.log(`  ${r.ticksPerSecond}/s${r.instruments ? ` (${r.instruments} instruments)` : ""} ${d.name}: ${range(d.low.total, d.high?.total)}/month`);
    }
    // How much the record size matters: the on-demand design at the first rate, by ticks per record.
    const full = ticksPerFullRecord();
    const base = rates[0]!.designs.find((d) => d.key === "ours-on-demand-kpl")!.input;
    const sensitivity = [1, 2, 5, 10, 25, 50, 100, full].map((n) => {
      const packing: Packing = { mode: "kpl", ticksPerRecord: n, recordBytes: n === 1 ? tickBytes : kplRecordBytes(n) };
      const input = n === 1 ? { ...base, packing: undefined } : { ...base, packing };
      return { ticksPerRecord: n, recordBytes: packing.recordBytes, low: monthlyCost({ ...input, firehoseRounding: "kinesis-record" }).total, high: monthlyCost({ ...input, firehoseRounding: "tick" }).total };
    });
    const assumptions = [
      `Ticks: a steady rate for ${DAYS} days; ${tickBytes.toFixed(0)} bytes each (the Kinesis Data Generator template's pipe records, measured), ${INSTRUMENTS} instruments.`,
      `KPL records: as \`npm run produce\` packs them by default, per partition key (instrument) up to ${MAX_BYTES.toLocaleString("en-US")} bytes or ${LINGER_MS} ms: at a steady rate a record holds what one instrument makes in ${LINGER_MS} ms (a full record holds ${full} ticks). Record sizes are measured by packing the template's ticks with the producer's packer (KPL envelope and key table included).`,
      `Kinesis: prod stage = on-demand streams (24 h retention), counted as at least the ${ON_DEMAND_MIN_SHARDS} shards AWS starts one with (more when the write rate needs them, for the invocation count); data in and out billed per record rounded up to 1 KB; 3 shared-throughput readers of \`prices\` (latest, windows, Firehose). Provisioned: the shards the records/s and bytes/s need with 25% headroom, PUT payload units of 25 KB per record, 1 shard for \`windows\`. Seed: its 10 provisioned shards (13 at 10,000 records/s), 48 h retention (extended retention billed), 2 readers.`,
      "Lambda: each shard (x parallelization factor) delivers one batch per batching window (ours: latest 1 s, windows 10 s; the seed has none, about one poll a second), at most the batch size in records; an invocation then gets the same ticks whether they come one per record or packed. Ours 1,024 MB arm64 (the stacks' setting), timer every minute; seed 128 MB x86_64 (its CDK defaults).",
      "DynamoDB (a separate input, from the `writes` benchmark): on-demand; write request units per 1,000 ticks = WCU dynalite reported + 1 per conditional write refused, per consumer from the `writes` row at the scenario's instruments with the largest batch not above the ticks one of its invocations gets (the latest consumer gathers 1 s, the windows consumer 10 s); reads by the consumers included, by the API only in the market-scale scenario. Durations per invocation are that row's median against dynalite, scaled linearly when an invocation gets more ticks than the row's batch (an upper bound).",
      `Firehose: 5 KB minimum per record. S3: Standard; the archive holds one tick per line either way; ours GZIP (${gzipRatio.toFixed(1)}:1 measured) with 5 MiB / 60 s buffers; seed Snappy at an assumed 2:1, 100 MB / 60 s buffers; one month of archive stored for a month.`,
      `Market scale: ${MARKET.ticksPerSecond.toLocaleString("en-US")} ticks/s over ${MARKET.instruments.toLocaleString("en-US")} instruments, one tick per record (the producer's per-instrument packing gathers about one tick in ${LINGER_MS} ms), DynamoDB units from the \`writes\` rows at ${MARKET.instruments.toLocaleString("en-US")} instruments at the deployed batching (latest 1 s, windows 10 s: the largest row not above the ticks an invocation gets). The API's reads for ${DASHBOARD.users} dashboard users are priced from the read units the \`writes\` benchmark measured per request against the same tables: GET /instruments and the chart's series tail every ${DASHBOARD.pollSeconds} s, recent windows and ${DASHBOARD.watchlist} watchlist rows every ${DASHBOARD.backgroundSeconds} s, a 24 h history every ${DASHBOARD.selectionSeconds / 60} minutes, a 404 check with each instrument route.`,
      "Not included: API Gateway, Cognito, CloudFront, CloudWatch logs and metrics, data transfer, free tiers.",
    ];
    return { days: DAYS, instruments: INSTRUMENTS, tickBytes, gzipRatio, producer: { lingerMs: LINGER_MS, maxBytes: MAX_BYTES, ticksPerFullRecord: full }, rates, sensitivity, assumptions, writesFrom: `${section.meta.command} at ${section.meta.ranAt}` };
  },
  render(r: SectionResult<CostData>) {
    if (!r.data) return `_Not computed: ${r.error}_`;
    const d = r.data;
    if (!d.rates) return "_Results of an older cost model: run `npm run bench -- --only cost`._";
    const first = d.rates[0]!;
    // The chart (regenerated with the page): the first rate, the lower bound of each design, the range as an outline.
    writeFileSync(SVG_PATH, costSvg(first.designs.map((x) => x.low), `Monthly cost at ${first.ticksPerSecond.toLocaleString("en-US")} ticks/s, ${d.days} days, ${PRICES.region} list prices (${PRICES.checked})`, first.designs.map((x) => x.high?.total ?? null)));
    const rows: string[][] = [];
    for (const rate of d.rates) {
      const seed = rate.designs.find((x) => x.key === "seed")!;
      for (const x of rate.designs) {
        const v = vsSeed(x, seed);
        rows.push([
          rate.instruments ? `${rate.ticksPerSecond.toLocaleString("en-US")} (${rate.instruments.toLocaleString("en-US")} instruments)` : rate.ticksPerSecond.toLocaleString("en-US"),
          x.name,
          ...SERVICES.map((s) => range(x.low.byService[s], x.high?.byService[s])),
          `**${range(x.low.total, x.high?.total)}**`,
          range(perMillionTicks(x.low), x.high ? perMillionTicks(x.high) : undefined),
          x.key === "seed" ? "1 (baseline)" : range(v.best, v.worst, ratio),
        ]);
      }
    }
    const aims = d.rates.filter((rate) => !rate.instruments).flatMap((rate) => {
      const seed = rate.designs.find((x) => x.key === "seed")!;
      return (Object.entries(AIMS) as [keyof typeof AIMS, number][]).map(([key, aim]) => {
        const x = rate.designs.find((y) => y.key === key)!;
        const v = vsSeed(x, seed);
        const verdict = v.worst >= aim ? (x.high ? "met whichever way Firehose rounds" : "met") : v.best >= aim ? "met only if Firehose rounds the Kinesis records" : "not met";
        return `${rate.ticksPerSecond.toLocaleString("en-US")} ticks/s, ${x.onDemand ? "on-demand" : "provisioned"}, ${x.input.packing?.mode === "lines" ? "lines" : "KPL"} records: ${range(v.best, v.worst, ratio)} cheaper than the seed (aim ${aim}x): ${verdict}.`;
      });
    });
    const packing = d.rates.filter((rate) => !rate.instruments).map((rate) => {
      const p = rate.designs.find((x) => x.key === "ours-on-demand-kpl")!.input.packing!;
      const l = rate.designs.find((x) => x.key === "ours-on-demand-lines")?.input.packing;
      return `${rate.ticksPerSecond.toLocaleString("en-US")} ticks/s: ${p.ticksPerRecord.toFixed(0)} ticks per record, ${p.recordBytes.toLocaleString("en-US")} bytes${l ? ` (as lines ${l.recordBytes.toLocaleString("en-US")})` : ""}`;
    });
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt}; DynamoDB units and durations from \`${d.writesFrom}\`; prices: \`bench/prices.ts\` (${PRICES.region}, list prices checked ${PRICES.checked}).`,
      "",
      `![monthly cost by service at ${first.ticksPerSecond.toLocaleString("en-US")} ticks/s](bench/cost.svg)`,
      "",
      `Per month. Where two figures are given (a–b), the records are KPL aggregates and the bill depends on a detail AWS does not document: a = Firehose rounds each Kinesis record it reads up to 5 KB, b = it rounds each tick it de-aggregates (see prices below). Lines records have no such doubt: Firehose does not de-aggregate them, so each is one record to it, rounded once (documented). Records as the producer packs them by default: ${packing.join("; ")}.`,
      "",
      table(["ticks/s", "design", ...SERVICES, "total", "per million ticks", "seed / this"], rows, ["r", "l", "r", "r", "r", "r", "r", "r", "r", "r"]),
      "",
      "Aims (KPL records against the seed's design at the same rate):",
      "",
      ...aims.map((a) => `- ${a}`),
      "",
      `Record size matters: on-demand at ${first.ticksPerSecond.toLocaleString("en-US")} ticks/s by ticks per KPL record (the rest as above):`,
      "",
      table(["ticks per record", "record bytes", "total (a)", "total (b)"], d.sensitivity.map((s) => [s.ticksPerRecord, Math.round(s.recordBytes).toLocaleString("en-US"), money(s.low), money(s.high)])),
      "",
      "Assumptions:",
      "",
      ...d.assumptions.map((a) => `- ${a}`),
      "",
      ...d.rates.flatMap((rate) =>
        rate.designs.flatMap((x) => [
          `<details><summary>Line items: ${x.name}, ${rate.ticksPerSecond.toLocaleString("en-US")} ticks/s${rate.instruments ? ` over ${rate.instruments.toLocaleString("en-US")} instruments` : ""}</summary>`,
          "",
          lineItemTable(x.low),
          ...(x.high ? ["", `With Firehose rounding each de-aggregated tick: ${x.high.lines.filter((l) => l.service === "Firehose").map((l) => `${l.item}, ${l.quantity.toFixed(0)} ${l.unit} x $${l.unitPrice} = ${money(l.cost)}`).join("; ")}.`] : []),
          "",
          ...x.low.assumptions.map((a) => `- ${a}`),
          ...x.writesRows.map((s) => `- DynamoDB input: ${s}`),
          "",
          "</details>",
          "",
        ]),
      ),
    ].join("\n");
  },
};
