import { ByteReader, ByteWriter, PackedFormatError } from "../packing/bytes.js";
import type { LatestItem } from "./store.js";

/**
 * The bytes of the packed Latest items (log entries and snapshot buckets, log-store.ts): a
 * table of the shard ids the values come from, then per instrument its newest tick. About 70
 * bytes for a tick with nine price levels and a full Kinesis sequence number, where a
 * per-instrument item with named attributes takes about 400.
 *
 *   version 1, shard count, shard ids, then per value: instrument, flags (1: receivedAt,
 *   2: level), eventTime, receivedAt - eventTime, level, arrivalTime - eventTime, shard index,
 *   sequence number (binary), subIndex, price count, first price, then each price minus the
 *   one before.
 */

const VERSION = 1;
const HAS_RECEIVED = 1;
const HAS_LEVEL = 2;

export function encodeLatestValues(values: readonly LatestItem[]): Uint8Array {
  const shards = [...new Set(values.map((v) => v.shardId))].sort();
  const shardIndex = new Map(shards.map((s, i) => [s, i]));
  const w = new ByteWriter(16 + values.length * 72);
  w.uint(VERSION).uint(shards.length);
  for (const s of shards) w.latin1(s);
  for (const v of [...values].sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0))) {
    const flags = (v.receivedAt === null ? 0 : HAS_RECEIVED) | (v.level === null ? 0 : HAS_LEVEL);
    w.latin1(v.instrument).uint(flags).uint(v.eventTime);
    if (v.receivedAt !== null) w.int(v.receivedAt - v.eventTime);
    if (v.level !== null) w.int(v.level);
    w.int(v.arrivalTime - v.eventTime).uint(shardIndex.get(v.shardId)!).decimal(v.sequenceNumber).uint(v.subIndex);
    w.uint(v.pricesCents.length);
    let previous = 0;
    for (const p of v.pricesCents) {
      w.int(p - previous);
      previous = p;
    }
  }
  return w.bytes();
}

export function decodeLatestValues(bytes: Uint8Array): LatestItem[] {
  const r = new ByteReader(bytes);
  const version = r.uint();
  if (version !== VERSION) throw new PackedFormatError(`latest values: unknown version ${version}`);
  const shards = Array.from({ length: r.uint() }, () => r.latin1());
  const out: LatestItem[] = [];
  while (!r.done) {
    const instrument = r.latin1();
    const flags = r.uint();
    const eventTime = r.uint();
    const receivedAt = flags & HAS_RECEIVED ? eventTime + r.int() : null;
    const level = flags & HAS_LEVEL ? r.int() : null;
    const arrivalTime = eventTime + r.int();
    const shardId = shards[r.uint()];
    if (shardId === undefined) throw new PackedFormatError("latest values: shard index out of range");
    const sequenceNumber = r.decimal();
    const subIndex = r.uint();
    const pricesCents: number[] = [];
    let previous = 0;
    for (let n = r.uint(); n > 0; n--) pricesCents.push((previous += r.int()));
    if (pricesCents.length === 0) throw new PackedFormatError("latest values: a tick without a price");
    out.push({ instrument, priceCents: pricesCents[0]!, pricesCents, level, eventTime, receivedAt, arrivalTime, shardId, sequenceNumber, subIndex });
  }
  return out;
}
