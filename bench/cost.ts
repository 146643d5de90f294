import { GB, PRICES, type Prices } from "./prices.js";

/**
 * Monthly cost of running a design at a steady tick rate, from measured request counts and the
 * list prices in prices.ts. Every line item keeps its quantity and unit price, so that the
 * tables in BENCHMARKS.md can be checked by hand.
 */

export type KinesisMode =
  | { mode: "provisioned"; shards: number; retentionHours: number }
  /** `shards`: how many shards AWS gives the on-demand stream (4 at creation), for the invocation rate. */
  | { mode: "on-demand"; retentionHours: number; shards?: number };

export interface ConsumerCost {
  name: string;
  batchSize: number;
  /** Event source mapping batching window, seconds (0: none; Lambda still polls each shard about once a second). */
  batchingWindowSeconds: number;
  parallelizationFactor: number;
  memoryMb: number;
  arch: "arm64" | "x86_64";
  /** Duration of one invocation of `recordsPerInvocation` records, ms (from the measurements). */
  durationMs: number;
}

/**
 * How ticks travel in Kinesis records. Without it, one tick per record of `tickBytes`.
 * With many ticks per record, Kinesis bills the records (fewer, bigger: less rounding up) and
 * Lambda polls them; DynamoDB sees the same ticks either way.
 */
export interface Packing {
  mode: "none" | "kpl" | "lines";
  /** Average ticks per Kinesis record. */
  ticksPerRecord: number;
  /** Average bytes of one Kinesis record as put (KPL envelope included). */
  recordBytes: number;
}

/**
 * Which records Firehose rounds up to 5 KB when the stream holds packed records: the Kinesis
 * records it reads, or the ticks it writes after de-aggregating KPL records. AWS does not say
 * (see prices.ts); the model prices both.
 */
export type FirehoseRounding = "kinesis-record" | "tick";

export interface DesignInput {
  name: string;
  ticksPerSecond: number;
  days: number;
  /** Average tick size in bytes (one line of the archive, without its newline). */
  tickBytes: number;
  /** Ticks per Kinesis record and record size; default one tick per record. */
  packing?: Packing;
  /** Default "kinesis-record" (the same thing when records hold one tick). */
  firehoseRounding?: FirehoseRounding;
  /** The input stream; shards of the stream decide the Lambda invocation rate. */
  stream: KinesisMode;
  /** Other streams the design writes (e.g. the windows output), priced the same way. */
  extraStreams: { name: string; kind: KinesisMode; recordsPerSecond: number; recordBytes: number }[];
  /** Shared-throughput consumers reading the input stream (Lambda mappings + Firehose). */
  streamReaders: number;
  /** `durationMs` is per invocation of the ticks it gets (see `ticksPerInvocation`). */
  consumers: ConsumerCost[];
  /** Scheduled functions: invocations per month, memory, duration. */
  scheduled: { name: string; invocationsPerMonth: number; memoryMb: number; arch: "arm64" | "x86_64"; durationMs: number }[];
  /** DynamoDB request units per 1,000 ticks, as measured. */
  writeUnitsPer1000: number;
  readUnitsPer1000: number;
  /** Reads the API makes for dashboard users: read request units per second, and for whom. */
  apiReads?: { readUnitsPerSecond: number; users: number };
  /** Firehose archive of every record. */
  archive: { bufferBytes: number; bufferSeconds: number; compressionRatio: number } | null;
}

export interface LineItem {
  service: "Kinesis" | "Lambda" | "DynamoDB" | "Firehose" | "S3";
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  cost: number;
}

export interface DesignCost {
  name: string;
  ticksPerMonth: number;
  recordsPerMonth: number;
  lines: LineItem[];
  byService: Record<LineItem["service"], number>;
  total: number;
  assumptions: string[];
}

function line(service: LineItem["service"], item: string, quantity: number, unit: string, unitPrice: number): LineItem {
  return { service, item, quantity, unit, unitPrice, cost: quantity * unitPrice };
}

/** Shards a provisioned stream needs for a write rate (records/s and bytes/s limits). */
export function shardsNeeded(recordsPerSecond: number, recordBytes: number, p: Prices = PRICES): number {
  return Math.max(1, Math.ceil(recordsPerSecond / p.kinesis.shardWriteRecordsPerSecond), Math.ceil((recordsPerSecond * recordBytes) / p.kinesis.shardWriteBytesPerSecond));
}

/** Shards to provision for a steady rate: the limits with 25% headroom (a shard at its limit throttles on every burst). */
export function shardsWithHeadroom(recordsPerSecond: number, recordBytes: number, p: Prices = PRICES): number {
  return shardsNeeded(recordsPerSecond * 1.25, recordBytes, p);
}

/** Ticks per second of a design's records: records/s and their size. */
export function recordRate(d: Pick<DesignInput, "ticksPerSecond" | "tickBytes" | "packing">): { recordsPerSecond: number; recordBytes: number; ticksPerRecord: number } {
  const ticksPerRecord = d.packing?.ticksPerRecord ?? 1;
  return { recordsPerSecond: d.ticksPerSecond / ticksPerRecord, recordBytes: d.packing?.recordBytes ?? d.tickBytes, ticksPerRecord };
}

/** Ticks one consumer invocation gets: records per invocation times ticks per record. */
export function ticksPerInvocation(d: Pick<DesignInput, "ticksPerSecond" | "tickBytes" | "packing" | "stream">, c: Pick<ConsumerCost, "batchSize" | "batchingWindowSeconds" | "parallelizationFactor">, p: Prices = PRICES): number {
  const r = recordRate(d);
  const shards = d.stream.shards ?? Math.max(1, Math.ceil(r.recordsPerSecond / p.kinesis.shardWriteRecordsPerSecond));
  return invocationRate(r.recordsPerSecond, shards, c, r.recordBytes).recordsPerInvocation * r.ticksPerRecord;
}

function roundUp(bytes: number, unit: number): number {
  return Math.ceil(bytes / unit) * unit;
}

function kinesisLines(name: string, k: KinesisMode, recordsPerMonth: number, recordBytes: number, readers: number, hours: number, p: Prices): LineItem[] {
  const out: LineItem[] = [];
  if (k.mode === "provisioned") {
    out.push(line("Kinesis", `${name}: shard-hours (${k.shards} shards)`, k.shards * hours, "shard-hour", p.kinesis.shardHour));
    const units = recordsPerMonth * Math.ceil(recordBytes / p.kinesis.putPayloadUnitBytes);
    out.push(line("Kinesis", `${name}: PUT payload units`, units / 1e6, "million units", p.kinesis.putPayloadUnitsPerMillion));
    if (k.retentionHours > 24) out.push(line("Kinesis", `${name}: extended retention (${k.retentionHours} h)`, k.shards * hours, "shard-hour", p.kinesis.extendedRetentionShardHour));
  } else {
    out.push(line("Kinesis", `${name}: on-demand stream-hours`, hours, "stream-hour", p.kinesis.onDemandStreamHour));
    const gb = (recordsPerMonth * roundUp(recordBytes, p.kinesis.onDemandRecordRoundingBytes)) / GB;
    out.push(line("Kinesis", `${name}: data in (1 KB rounding)`, gb, "GB", p.kinesis.onDemandIngestPerGB));
    if (readers > 0) out.push(line("Kinesis", `${name}: data out, ${readers} readers`, gb * readers, "GB", p.kinesis.onDemandRetrievalPerGB));
  }
  return out;
}

/** Lambda's invocation payload limit, which also caps an event source mapping's batch. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Bytes of a Kinesis record in the event besides its base64 data (ids, ARNs, times), about. */
const EVENT_RECORD_OVERHEAD_BYTES = 500;

/**
 * Records per invocation and invocations per second of a Kinesis-mapped consumer: each shard
 * (times the parallelization factor) delivers a batch about once per poll, a poll being the
 * batching window or, without one, about one second; a batch holds at most `batchSize` records
 * and, given their size, what fits in Lambda's 6 MB payload (base64 data and the event's fields).
 */
export function invocationRate(recordsPerSecond: number, shards: number, c: Pick<ConsumerCost, "batchSize" | "batchingWindowSeconds" | "parallelizationFactor">, recordBytes?: number): { recordsPerInvocation: number; invocationsPerSecond: number } {
  const lanes = shards * c.parallelizationFactor;
  const perLane = recordsPerSecond / lanes;
  const pollSeconds = Math.max(1, c.batchingWindowSeconds);
  const fit = recordBytes === undefined ? Infinity : Math.max(1, Math.floor(LAMBDA_PAYLOAD_BYTES / (Math.ceil(recordBytes / 3) * 4 + EVENT_RECORD_OVERHEAD_BYTES)));
  const recordsPerInvocation = Math.max(1, Math.min(c.batchSize, fit, perLane * pollSeconds));
  return { recordsPerInvocation, invocationsPerSecond: recordsPerSecond / recordsPerInvocation };
}

export function monthlyCost(d: DesignInput, p: Prices = PRICES): DesignCost {
  const hours = d.days * 24;
  const seconds = hours * 3600;
  const ticks = d.ticksPerSecond * seconds;
  const rate = recordRate(d);
  const records = rate.recordsPerSecond * seconds;
  const packed = rate.ticksPerRecord !== 1;
  const lines: LineItem[] = [];
  const assumptions: string[] = [];

  lines.push(...kinesisLines("prices stream", d.stream, records, rate.recordBytes, d.streamReaders, hours, p));
  for (const s of d.extraStreams) lines.push(...kinesisLines(`${s.name} stream`, s.kind, s.recordsPerSecond * seconds, s.recordBytes, 1, hours, p));
  if (packed) assumptions.push(`prices stream: ${fmtCount(rate.recordsPerSecond)} records/s of ${fmtCount(rate.ticksPerRecord)} ticks (${d.packing!.mode}), ${rate.recordBytes.toFixed(0)} bytes each`);

  const shards = d.stream.shards ?? Math.max(1, Math.ceil(rate.recordsPerSecond / p.kinesis.shardWriteRecordsPerSecond));
  for (const c of d.consumers) {
    const r = invocationRate(rate.recordsPerSecond, shards, c, rate.recordBytes);
    const invocations = r.invocationsPerSecond * seconds;
    const gbSeconds = invocations * (c.durationMs / 1000) * (c.memoryMb / 1024);
    const each = packed ? `${fmtCount(r.recordsPerInvocation)} records, ${fmtCount(r.recordsPerInvocation * rate.ticksPerRecord)} ticks each` : `${r.recordsPerInvocation.toFixed(0)} records each`;
    lines.push(line("Lambda", `${c.name}: requests (${each})`, invocations / 1e6, "million requests", p.lambda.requestsPerMillion));
    lines.push(line("Lambda", `${c.name}: duration (${c.memoryMb} MB ${c.arch}, ${c.durationMs.toFixed(1)} ms)`, gbSeconds, "GB-s", c.arch === "arm64" ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86));
    assumptions.push(`${c.name}: ${r.invocationsPerSecond.toFixed(1)} invocations/s of ${fmtCount(r.recordsPerInvocation)} records${packed ? ` (${fmtCount(r.recordsPerInvocation * rate.ticksPerRecord)} ticks)` : ""} over ${shards} shards x parallelization ${c.parallelizationFactor}`);
  }
  for (const s of d.scheduled) {
    lines.push(line("Lambda", `${s.name}: requests`, s.invocationsPerMonth / 1e6, "million requests", p.lambda.requestsPerMillion));
    lines.push(line("Lambda", `${s.name}: duration (${s.memoryMb} MB ${s.arch}, ${s.durationMs.toFixed(1)} ms)`, s.invocationsPerMonth * (s.durationMs / 1000) * (s.memoryMb / 1024), "GB-s", s.arch === "arm64" ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86));
  }

  lines.push(line("DynamoDB", "write request units", (ticks / 1000) * d.writeUnitsPer1000 / 1e6, "million WRU", p.dynamodb.writeRequestUnitsPerMillion));
  if (d.readUnitsPer1000 > 0) lines.push(line("DynamoDB", "read request units (consumers)", (ticks / 1000) * d.readUnitsPer1000 / 1e6, "million RRU", p.dynamodb.readRequestUnitsPerMillion));
  if (d.apiReads) {
    const rru = d.apiReads.readUnitsPerSecond * d.days * 86_400;
    lines.push(line("DynamoDB", `read request units (API, ${d.apiReads.users} dashboard user${d.apiReads.users === 1 ? "" : "s"})`, rru / 1e6, "million RRU", p.dynamodb.readRequestUnitsPerMillion));
  }

  if (d.archive) {
    const perTick = packed && d.firehoseRounding === "tick";
    const fhGb = perTick ? (ticks * roundUp(d.tickBytes, p.firehose.recordRoundingBytes)) / GB : (records * roundUp(rate.recordBytes, p.firehose.recordRoundingBytes)) / GB;
    const what = !packed ? "per record" : perTick ? "per de-aggregated tick" : "per Kinesis record";
    lines.push(line("Firehose", `ingestion (5 KB rounding ${what})`, fhGb, "GB", p.firehose.ingestPerGB));
    const rawBytesPerSecond = d.ticksPerSecond * (d.tickBytes + 1);
    const flushSeconds = Math.min(d.archive.bufferSeconds, d.archive.bufferBytes / rawBytesPerSecond);
    const objects = seconds / flushSeconds;
    lines.push(line("S3", `PUT requests (one object per ${flushSeconds.toFixed(0)} s buffer)`, objects / 1000, "thousand requests", p.s3.putPer1000));
    const storedGb = (ticks * (d.tickBytes + 1)) / d.archive.compressionRatio / GB;
    lines.push(line("S3", `storage: one month of archive (${d.archive.compressionRatio.toFixed(1)}:1 compression)`, storedGb, "GB-month", p.s3.storageGBMonth));
  }

  const byService = { Kinesis: 0, Lambda: 0, DynamoDB: 0, Firehose: 0, S3: 0 };
  for (const l of lines) byService[l.service] += l.cost;
  const total = lines.reduce((s, l) => s + l.cost, 0);
  return { name: d.name, ticksPerMonth: ticks, recordsPerMonth: records, lines, byService, total, assumptions };
}

function fmtCount(v: number): string {
  return v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
}

/** Cost per million ticks. */
export function perMillionTicks(c: DesignCost): number {
  return c.total / (c.ticksPerMonth / 1e6);
}

const SERVICES: LineItem["service"][] = ["Kinesis", "Lambda", "DynamoDB", "Firehose", "S3"];
const COLORS: Record<LineItem["service"], string> = { Kinesis: "#7c5cff", Lambda: "#f59e0b", DynamoDB: "#2563eb", Firehose: "#ef4444", S3: "#10b981" };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Horizontal stacked bars, one per design, one segment per service; plain SVG. `highs`, where
 * given, is a higher total of the same design (an open billing detail): drawn as an outline
 * after the bar.
 */
export function costSvg(designs: DesignCost[], title: string, highs: (number | null)[] = []): string {
  const width = 960;
  const left = 390;
  const right = 120;
  const barH = 34;
  const gap = 26;
  const top = 58;
  const legendH = 40;
  const height = top + designs.length * (barH + gap) + legendH;
  const max = Math.max(...designs.map((d, i) => Math.max(d.total, highs[i] ?? 0)), 1);
  const scale = (width - left - right) / max;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="16" y="28" font-size="16" font-weight="600">${esc(title)}</text>`);
  designs.forEach((d, i) => {
    const y = top + i * (barH + gap);
    parts.push(`<text x="${left - 10}" y="${y + barH / 2 + 5}" text-anchor="end">${esc(d.name)}</text>`);
    let x = left;
    for (const s of SERVICES) {
      const w = d.byService[s] * scale;
      if (w <= 0) continue;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[s]}"><title>${s}: $${d.byService[s].toFixed(2)}</title></rect>`);
      if (w > 46) parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + barH / 2 + 5}" text-anchor="middle" fill="#fff" font-size="11">$${d.byService[s].toFixed(0)}</text>`);
      x += w;
    }
    const high = highs[i];
    let label = `$${d.total.toFixed(0)}`;
    if (high != null && high > d.total) {
      const w = (high - d.total) * scale;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y + 0.5}" width="${w.toFixed(1)}" height="${barH - 1}" fill="none" stroke="${COLORS.Firehose}" stroke-dasharray="4 3"><title>up to $${high.toFixed(2)}</title></rect>`);
      x += w;
      label = `$${d.total.toFixed(0)}–$${high.toFixed(0)}`;
    }
    parts.push(`<text x="${(x + 8).toFixed(1)}" y="${y + barH / 2 + 5}" font-weight="600">${label}</text>`);
  });
  const ly = height - legendH + 16;
  SERVICES.forEach((s, i) => {
    const lx = left + i * 110;
    parts.push(`<rect x="${lx}" y="${ly - 11}" width="12" height="12" fill="${COLORS[s]}"/><text x="${lx + 17}" y="${ly}">${s}</text>`);
  });
  if (highs.some((h) => h != null)) {
    const lx = 16;
    parts.push(`<rect x="${lx}" y="${ly - 11}" width="24" height="12" fill="none" stroke="${COLORS.Firehose}" stroke-dasharray="4 3"/><text x="${lx + 30}" y="${ly}">if Firehose rounds each tick</text>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

function money(v: number): string {
  return v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(3)}`;
}

/** Markdown: one column per design, one row per service, plus the total and per-million. */
export function costTable(designs: DesignCost[]): string {
  const head = `| service | ${designs.map((d) => d.name).join(" | ")} |\n| --- | ${designs.map(() => "---:").join(" | ")} |`;
  const rows = SERVICES.map((s) => `| ${s} | ${designs.map((d) => money(d.byService[s])).join(" | ")} |`);
  rows.push(`| **total per month** | ${designs.map((d) => `**${money(d.total)}**`).join(" | ")} |`);
  rows.push(`| per million ticks | ${designs.map((d) => money(perMillionTicks(d))).join(" | ")} |`);
  return [head, ...rows].join("\n");
}

/** Markdown: every line item of one design. */
export function lineItemTable(d: DesignCost): string {
  const fmtQ = (q: number) => (q >= 100 ? q.toFixed(0) : q >= 1 ? q.toFixed(2) : q.toPrecision(3));
  const rows = d.lines.map((l) => `| ${l.service} | ${l.item} | ${fmtQ(l.quantity)} ${l.unit} | $${l.unitPrice} | ${money(l.cost)} |`);
  return ["| service | item | quantity | unit price | cost |", "| --- | --- | ---: | ---: | ---: |", ...rows].join("\n");
}
