import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { seededRandom } from "../packages/core/src/random.js";
import { encodeTick, type RecordFormat } from "../packages/core/src/ticks/encode.js";
import { encodeAggregated } from "../packages/core/src/ticks/kpl.js";

/**
 * Benchmark inputs: ticks in the two input formats, pre-encoded as Kinesis records exactly as a
 * Lambda event source mapping hands them to a consumer (base64 data), so that decoding the
 * envelope is part of what is measured for every implementation alike.
 */

export interface TickSpec {
  instrument: string;
  eventTime: number;
  receivedAt: number;
  level: number;
  pricesCents: number[];
}

export interface GenOptions {
  count: number;
  instruments: number;
  /** First event time, epoch ms. */
  start?: number;
  /** Event-time step between consecutive ticks, ms (ticks are in order unless jitterMs > 0). */
  stepMs?: number;
  /** Random disorder: each event time moves back by up to this many ms. */
  jitterMs?: number;
  seed?: number;
}

export const DEFAULT_START = Date.UTC(2026, 10, 22, 10, 0, 0);

/** Ticks shaped like the Kinesis Data Generator template of the seed (levels 0..20, 9 prices). */
export function genTicks(o: GenOptions): TickSpec[] {
  // seeded, so that every run and every implementation sees the same ticks
  const rnd = seededRandom(o.seed ?? 1);
  const start = o.start ?? DEFAULT_START;
  const step = o.stepMs ?? 1;
  const out: TickSpec[] = [];
  for (let i = 0; i < o.count; i++) {
    const eventTime = start + i * step - (o.jitterMs ? Math.floor(rnd() * o.jitterMs) : 0);
    const prices: number[] = [];
    for (let p = 0; p < 9; p++) prices.push(10_000 + Math.floor(rnd() * 20_001));
    out.push({
      instrument: String(Math.floor(rnd() * o.instruments)),
      eventTime,
      receivedAt: eventTime + Math.floor(rnd() * 50),
      level: Math.floor(rnd() * 21),
      pricesCents: prices,
    });
  }
  return out;
}

export type Format = RecordFormat;

/** Kinesis sequence numbers are 56-digit decimals that grow along the shard. */
export function sequenceNumber(shard: number, n: number): string {
  return `4966${String(shard).padStart(4, "0")}${String(n).padStart(48, "0")}`;
}

export function kinesisRecord(data: string, shard: number, n: number, arrivalMs: number, partitionKey: string): KinesisStreamRecord {
  const shardId = `shardId-${String(shard).padStart(12, "0")}`;
  const seq = sequenceNumber(shard, n);
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey,
      sequenceNumber: seq,
      data: Buffer.from(data, "utf8").toString("base64"),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${shardId}:${seq}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/bench",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/tickstream-prices",
  };
}

/** Splits ticks into Lambda events of `batchSize` records, all from one shard, in order. */
export function kinesisEvents(ticks: readonly TickSpec[], format: Format, batchSize: number, shard = 0, firstSeq = 0): KinesisStreamEvent[] {
  const events: KinesisStreamEvent[] = [];
  for (let i = 0; i < ticks.length; i += batchSize) {
    const Records = ticks.slice(i, i + batchSize).map((t, j) =>
      kinesisRecord(encodeTick(t, format), shard, firstSeq + i + j, t.receivedAt, t.instrument),
    );
    events.push({ Records });
  }
  return events;
}

/** How ticks travel in the benchmark's Kinesis records. */
export type Packing = { mode: "single" } | { mode: "kpl" | "lines"; ticksPerRecord: number };

export function packingName(p: Packing): string {
  return p.mode === "single" ? "one tick per record" : `${p.mode}, ${p.ticksPerRecord} ticks per record`;
}

/**
 * Lambda events of `ticksPerBatch` ticks each, all from one shard, in order, with the ticks
 * packed as `packing` says: one per record, newline-separated lines, or KPL aggregates (core's
 * encoder; each tick a sub-record keyed by its instrument, consecutive ticks together as the
 * KPL packs a shard's records). A packed record arrives when its last tick was received.
 */
export function packedEvents(ticks: readonly TickSpec[], format: Format, packing: Packing, ticksPerBatch: number, shard = 0): KinesisStreamEvent[] {
  if (packing.mode === "single") return kinesisEvents(ticks, format, ticksPerBatch, shard);
  const events: KinesisStreamEvent[] = [];
  let n = 0;
  for (let i = 0; i < ticks.length; i += ticksPerBatch) {
    const batch = ticks.slice(i, i + ticksPerBatch);
    const Records: KinesisStreamRecord[] = [];
    for (let j = 0; j < batch.length; j += packing.ticksPerRecord) {
      const group = batch.slice(j, j + packing.ticksPerRecord);
      const texts = group.map((t) => encodeTick(t, format));
      const data =
        packing.mode === "lines"
          ? Buffer.from(texts.join("\n"), "utf8")
          : encodeAggregated(group.map((t, k) => ({ partitionKey: t.instrument, data: Buffer.from(texts[k]!, "utf8") })));
      const record = kinesisRecord("", shard, n++, Math.max(...group.map((t) => t.receivedAt)), group[0]!.instrument);
      record.kinesis.data = data.toString("base64");
      Records.push(record);
    }
    events.push({ Records });
  }
  return events;
}
