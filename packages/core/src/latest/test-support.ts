import fc from "fast-check";
import type { StreamPosition } from "../tick.js";
import { decodeTick } from "../ticks/decode.js";
import { encodeJson, encodePipe } from "../ticks/encode.js";
import type { KinesisRecordLike } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { compareLatestOrder } from "./order.js";
import { latestItemOf, type LatestItem } from "./store.js";

/**
 * Generators and a brute-force model for the latest consumer's property tests (unit tests run
 * them against the in-memory store, integration tests against dynalite).
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

export interface StreamRecord {
  spec: RecordSpec;
  position: StreamPosition;
  text: string;
  record: KinesisRecordLike;
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

/** 1-3 shards of 1-`maxRecords` records each; sequence numbers grow (also across digit counts). */
export function shardStreamsArb(maxRecords = 40, maxShards = 3): fc.Arbitrary<ShardStream[]> {
  const shard = fc.record({
    specs: fc.array(recordSpecArb, { minLength: 1, maxLength: maxRecords }),
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
      const records = s.specs.map((spec, i) => {
        seq += (s.steps[i]! % (s.base === 95n ? 10n : 10n ** 18n)) + 1n;
        const position: StreamPosition = {
          shardId,
          sequenceNumber: seq.toString(),
          arrivalTime: arrival0 + i * s.arrivalStepMs,
        };
        const text = renderRecord(spec);
        return { spec, position, text, record: toKinesisRecord(text, position) };
      });
      return { shardId, records };
    }),
  );
}

/** The expected Latest table: per instrument the maximum by (eventTime, shardId, sequence number). */
export function bruteForceLatest(records: Iterable<StreamRecord>): Map<string, LatestItem> {
  const best = new Map<string, LatestItem>();
  for (const r of records) {
    const decoded = decodeTick(Buffer.from(r.text, "utf8"));
    if (!decoded.ok) continue;
    const item = latestItemOf({ tick: decoded.tick, position: r.position });
    const current = best.get(item.instrument);
    if (current === undefined || compareLatestOrder(current, item) < 0)
      best.set(item.instrument, item);
  }
  return best;
}

/** Bad records of a stream, as (shardId, sequenceNumber) keys. */
export function badKeys(records: Iterable<StreamRecord>): string[] {
  const keys: string[] = [];
  for (const r of records)
    if (!decodeTick(Buffer.from(r.text, "utf8")).ok)
      keys.push(`${r.position.shardId}/${r.position.sequenceNumber}`);
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
