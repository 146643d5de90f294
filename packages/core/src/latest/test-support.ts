import fc from "fast-check";
import type { RecordPosition } from "../tick.js";
import { decodeTick } from "../ticks/decode.js";
import { encodeJson, encodePipe } from "../ticks/encode.js";
import { encodeAggregated } from "../ticks/kpl.js";
import type { KinesisRecordLike } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { compareLatestOrder } from "./order.js";
import { latestItemOf, type LatestItem } from "./store.js";

/**
 * Generators and a brute-force model for the latest consumer's property tests (unit tests run
 * them against the in-memory store, integration tests against dynalite). A generated record
 * holds one tick, or several as newline-separated lines or as a KPL aggregate; the model takes
 * the parts from the specs, not from the consumer's framing.
 */

export type RecordKind = "pipe" | "json" | "bad";

export interface RecordSpec {
  kind: RecordKind;
  instrument: string;
  /** Offset from BASE_TIME, small so that equal event times are frequent. */
  t: number;
  cents: number;
  level: number;
  badText: string;
}

/** How a record holds its parts: one tick, lines, or KPL sub-records. */
export type Framing = "single" | "lines" | "kpl";

export interface StreamRecord {
  framing: Framing;
  /** The texts of the record's parts in order (one for "single"). */
  texts: string[];
  position: RecordPosition;
  /** The record's bytes as put. */
  data: Buffer;
  record: KinesisRecordLike;
}

/** A part of a record as the consumers must see it: its subIndex and its text. */
export interface ExpectedPart {
  subIndex: number;
  text: string;
}

/** Builds a record's bytes from the texts of its parts. */
export function renderFramed(framing: Framing, texts: readonly string[]): Buffer {
  if (framing === "single") return Buffer.from(texts[0]!, "utf8");
  if (framing === "lines") return Buffer.from(`${texts.map((t) => t.replace(/\n$/, "")).join("\n")}\n`, "utf8");
  return encodeAggregated(texts.map((t, i) => ({ partitionKey: `pk-${i % 3}`, data: Buffer.from(t, "utf8") })));
}

/** A record of the given parts at `position`. */
export function framedRecord(framing: Framing, texts: readonly string[], position: RecordPosition): StreamRecord {
  const data = renderFramed(framing, texts);
  return { framing, texts: [...texts], position, data, record: toKinesisRecord(data, position) };
}

/** A plain one-tick (or one-line) record, for hand-written tests. */
export function plainRecord(text: string, position: RecordPosition): StreamRecord {
  return framedRecord("single", [text], position);
}

/**
 * The parts of a record with their subIndex, by the rules of docs/records.md: the record, or
 * each KPL sub-record, is one part, or one part per line when it holds several non-blank
 * lines (blank lines do not count); subIndex counts on across sub-records.
 */
export function expectedParts(r: Pick<StreamRecord, "framing" | "texts" | "data">): ExpectedPart[] {
  const units = r.framing === "kpl" ? r.texts : [r.data.toString("utf8")];
  const texts = units.flatMap((unit) => {
    const lines = unit.split("\n").filter((l) => l.trim() !== "");
    return lines.length <= 1 ? [unit] : lines;
  });
  return texts.map((text, subIndex) => ({ subIndex, text }));
}

export interface ShardStream {
  shardId: string;
  records: StreamRecord[];
}

export const BASE_TIME = Date.UTC(2026, 10, 22, 10, 0, 0);
const BAD_TEXTS = [
  "",
  "garbage",
  "sequence=1|price_0=5",
  '{"TICKER":"X","PRICE":1}',
  "sequence=1|instrument=1|price_0=-5",
  "\u00ff\u00fe",
];

export function renderRecord(spec: RecordSpec): string {
  const eventTime = BASE_TIME + spec.t;
  if (spec.kind === "bad") return spec.badText;
  if (spec.kind === "json") {
    return encodeJson(
      { instrument: spec.instrument, eventTime, pricesCents: [spec.cents] },
      { microseconds: 456 },
    );
  }
  const tick = {
    instrument: spec.instrument,
    eventTime,
    receivedAt: eventTime + 7,
    level: spec.level,
    pricesCents: [spec.cents, spec.cents + 1],
  };
  // with the line break a producer writing lines leaves at the end
  return `${encodePipe(tick)}\n`;
}

export const recordSpecArb: fc.Arbitrary<RecordSpec> = fc.record({
  kind: fc.constantFrom<RecordKind>("pipe", "pipe", "pipe", "json", "bad"),
  instrument: fc.constantFrom("0", "1", "2", "3", "AAPL"),
  t: fc.integer({ min: 0, max: 12 }),
  cents: fc.integer({ min: 0, max: 30_000 }),
  level: fc.integer({ min: 0, max: 20 }),
  badText: fc.constantFrom(...BAD_TEXTS),
});

const BIG_BASE = 49590338271490256608559692538361571095921575989136588898n;

export const framedArb: fc.Arbitrary<{ framing: Framing; parts: RecordSpec[] }> = fc.oneof(
  { weight: 4, arbitrary: recordSpecArb.map((spec) => ({ framing: "single" as const, parts: [spec] })) },
  { weight: 1, arbitrary: fc.array(recordSpecArb, { minLength: 2, maxLength: 4 }).map((parts) => ({ framing: "lines" as const, parts })) },
  { weight: 1, arbitrary: fc.array(recordSpecArb, { minLength: 1, maxLength: 4 }).map((parts) => ({ framing: "kpl" as const, parts })) },
);

/**
 * 1-3 shards of 1-`maxRecords` records each; sequence numbers grow (also across digit counts).
 * With `multi` set, some records hold several ticks (lines or KPL sub-records).
 */
export function shardStreamsArb(maxRecords = 40, maxShards = 3, multi = true): fc.Arbitrary<ShardStream[]> {
  const shard = fc.record({
    specs: fc.array(multi ? framedArb : recordSpecArb.map((spec) => ({ framing: "single" as const, parts: [spec] })), { minLength: 1, maxLength: maxRecords }),
    base: fc.constantFrom(95n, BIG_BASE, 10n ** 20n - 3n),
    steps: fc.array(fc.bigInt({ min: 1n, max: 10n ** 18n }), {
      minLength: maxRecords,
      maxLength: maxRecords,
    }),
    arrivalStepMs: fc.constantFrom(1, 1000, 3 * 3_600_000),
  });
  return fc.array(shard, { minLength: 1, maxLength: maxShards }).map((shards) =>
    shards.map((s, n) => {
      const shardId = `shardId-${String(n).padStart(12, "0")}`;
      let seq = s.base;
      const arrival0 = BASE_TIME + 5_000;
      const records = s.specs.map(({ framing, parts }, i): StreamRecord => {
        seq += (s.steps[i]! % (s.base === 95n ? 10n : 10n ** 18n)) + 1n;
        const position: RecordPosition = {
          shardId,
          sequenceNumber: seq.toString(),
          arrivalTime: arrival0 + i * s.arrivalStepMs,
        };
        return framedRecord(framing, parts.map(renderRecord), position);
      });
      return { shardId, records };
    }),
  );
}


/**
 * The expected Latest table: per instrument the maximum by (eventTime, shardId, sequence
 * number, subIndex).
 */
export function bruteForceLatest(records: Iterable<StreamRecord>): Map<string, LatestItem> {
  const best = new Map<string, LatestItem>();
  for (const r of records) {
    for (const part of expectedParts(r)) {
      const decoded = decodeTick(Buffer.from(part.text, "utf8"));
      if (!decoded.ok) continue;
      const item = latestItemOf({ tick: decoded.tick, position: { ...r.position, subIndex: part.subIndex } });
      const current = best.get(item.instrument);
      if (current === undefined || compareLatestOrder(current, item) < 0) best.set(item.instrument, item);
    }
  }
  return best;
}

/** Bad parts of a stream, as `shardId/sequenceNumber/subIndex` keys. */
export function badKeys(records: Iterable<StreamRecord>): string[] {
  const keys: string[] = [];
  for (const r of records)
    for (const part of expectedParts(r))
      if (!decodeTick(Buffer.from(part.text, "utf8")).ok) keys.push(`${r.position.shardId}/${r.position.sequenceNumber}/${part.subIndex}`);
  return keys.sort();
}

/** Contiguous batches covering `n` records in order, cut after the given sizes (cycled). */
export function cutBatches(n: number, sizes: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let k = 0;
  while (start < n) {
    const size = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    out.push([start, Math.min(n, start + size)]);
    start += size;
  }
  return out;
}

/** A seeded random source for fault injection inside a property. */
export { seededRandom as prng } from "../random.js";

/**
 * Drives one shard the way the Kinesis event source mapping does with ReportBatchItemFailures:
 * batches of up to `batchSize` from the checkpoint; on failures, resume at the lowest reported
 * sequence number. Gives up after `maxInvocations` (the test then fails).
 */
export async function driveShard(
  records: readonly StreamRecord[],
  batchSizes: readonly number[],
  invoke: (
    batch: KinesisRecordLike[],
  ) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>,
  maxInvocations = 500,
): Promise<{ invocations: number; retries: number }> {
  let cursor = 0;
  let invocations = 0;
  let retries = 0;
  while (cursor < records.length) {
    if (++invocations > maxInvocations) throw new Error("shard made no progress");
    const size = Math.max(1, batchSizes[invocations % batchSizes.length] ?? 1);
    const batch = records.slice(cursor, cursor + size);
    const { batchItemFailures } = await invoke(batch.map((r) => r.record));
    if (batchItemFailures.length === 0) {
      cursor += batch.length;
      continue;
    }
    retries++;
    const lowest = batchItemFailures[0]!.itemIdentifier;
    const index = batch.findIndex((r) => r.position.sequenceNumber === lowest);
    if (index < 0) throw new Error(`reported failure ${lowest} is not in the batch`);
    for (const f of batchItemFailures) {
      if (!batch.some((r) => r.position.sequenceNumber === f.itemIdentifier))
        throw new Error("unknown item identifier");
    }
    cursor += index;
  }
  return { invocations, retries };
}
