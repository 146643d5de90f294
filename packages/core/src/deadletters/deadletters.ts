import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { BadRecord } from "../kinesis/batch.js";
import { compareSequenceNumbers } from "../kinesis/batch.js";
import { deadLetterKey, deadLetterPrefix } from "../archive/keys.js";

/**
 * Dead letters: bad records (undecodable, or missing an instrument, a price or an event time,
 * or dated too far in the future) and bad parts of records, as JSON lines in the archive bucket:
 *
 *   dead-letters/YYYY/MM/DD/<shardId>-<firstSequenceNumber>.jsonl
 *   {"raw":"<base64>","reason":"...","shardId":"...","sequenceNumber":"...","subIndex":2,"arrivalTime":<epoch ms>,"consumer":"latest"}
 *
 * - One line per bad part: a bad line or KPL sub-record of a record is its own line, with the
 *   record's sequence number, its subIndex (kinesis/framing.ts) and just its own bytes; its
 *   good siblings are not in the dead letters. A record that is bad as a whole (a damaged KPL
 *   aggregate: wrong magic, truncated, malformed protobuf, MD5 mismatch; too many ticks) is one
 *   line with the whole record's bytes and subIndex null.
 * - The date is the UTC date of the records' Kinesis arrival time (as for `raw/`).
 * - One object per batch and arrival day (in AWS a batch comes from one shard; records of
 *   several shards get one object per shard). Lines are in (sequence number, subIndex) order.
 * - The key is deterministic: the shard id and the sequence number of the object's FIRST
 *   record. A retried batch, and each half of a bisected batch, starts its object at the same
 *   record as before (or at a later one, for records the earlier attempt did not cover), so
 *   a retry overwrites instead of duplicating. Parts of one record share its sequence number
 *   and are always written together. The consumer writes only the bad records below the
 *   batch's first failed sequence number (the rest come again with the retry, see
 *   kinesis/batch.ts `splitAtFirstFailure`). A replay with different batch boundaries can
 *   repeat a line in a second object: readers dedupe by (shardId, sequenceNumber, subIndex).
 * - Only the latest consumer writes dead letters. Both consumers read the same records and
 *   find the same bad ones; the windows consumer only counts them (metric and log), so each bad
 *   record is written once, not once per consumer. Every raw record, bad or not, is also in
 *   `raw/` through the archive delivery.
 */

export interface DeadLetterLine {
  /** The bad part's bytes, base64: the line, the sub-record's data, or the whole record. */
  raw: string;
  reason: string;
  shardId: string;
  sequenceNumber: string;
  /** The part's place in its record; null when the whole record is bad. */
  subIndex: number | null;
  /** Kinesis arrival time, epoch ms. */
  arrivalTime: number;
  /** The consumer that found it ("latest"). */
  consumer: string;
}

export interface DeadLetterObject {
  key: string;
  /** JSON lines, each ending with "\n". */
  body: string;
  records: BadRecord[];
}


export function deadLetterLine(record: BadRecord, consumer: string): DeadLetterLine {
  return {
    raw: Buffer.from(record.raw.buffer, record.raw.byteOffset, record.raw.byteLength).toString("base64"),
    reason: record.reason,
    shardId: record.position.shardId,
    sequenceNumber: record.position.sequenceNumber,
    subIndex: record.position.subIndex,
    arrivalTime: record.position.arrivalTime,
    consumer,
  };
}

/** Groups bad records into objects (per shard and UTC arrival day), lines in (sequence, subIndex) order. */
export function deadLetterObjects(bad: readonly BadRecord[], consumer: string): DeadLetterObject[] {
  const groups = new Map<string, BadRecord[]>();
  for (const record of bad) {
    const group = `${record.position.shardId}\n${deadLetterPrefix(record.position.arrivalTime)}`;
    let list = groups.get(group);
    if (!list) groups.set(group, (list = []));
    list.push(record);
  }
  const objects: DeadLetterObject[] = [];
  for (const records of groups.values()) {
    records.sort(
      (a, b) =>
        compareSequenceNumbers(a.position.sequenceNumber, b.position.sequenceNumber) ||
        (a.position.subIndex ?? -1) - (b.position.subIndex ?? -1),
    );
    const first = records[0]!.position;
    objects.push({
      key: deadLetterKey(first.arrivalTime, first.shardId, first.sequenceNumber),
      body: records.map((r) => `${JSON.stringify(deadLetterLine(r, consumer))}\n`).join(""),
      records,
    });
  }
  return objects;
}

/** The one S3 call dead letters need; an S3Client fits, and so does a test fake. */
export interface PutObjectClient {
  send(command: PutObjectCommand): Promise<unknown>;
}

export interface DeadLetterWriteResult {
  /** Records written. */
  written: number;
  /** Records whose object could not be written (to be reported as batch item failures). */
  failed: BadRecord[];
  errors: unknown[];
}

export type DeadLetterWriter = (bad: readonly BadRecord[]) => Promise<DeadLetterWriteResult>;

/** Writes dead letters to `bucket`; never rejects (failures come back in the result). */
export function s3DeadLetterWriter(s3: PutObjectClient, bucket: string, consumer: string): DeadLetterWriter {
  return async (bad) => {
    const result: DeadLetterWriteResult = { written: 0, failed: [], errors: [] };
    if (bad.length === 0) return result;
    await Promise.all(
      deadLetterObjects(bad, consumer).map(async (object) => {
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: object.key,
              Body: object.body,
              ContentType: "application/x-ndjson",
            }),
          );
          result.written += object.records.length;
        } catch (error) {
          result.failed.push(...object.records);
          result.errors.push(error);
        }
      }),
    );
    return result;
  };
}
