/**
 * Replay: reads raw records back out of the archive and puts them into the prices stream again.
 *
 * The archive (Firehose in AWS, the local delivery on a laptop) keeps every raw record, one per
 * line, in GZIP objects under `raw/YYYY/MM/DD/HH/` by ARRIVAL hour (UTC). A replay of
 * [from, to) therefore reads every object under the hour prefixes that overlap the range: it
 * selects whole arrival hours, not event times (records carry their own event time, which the
 * consumers use as usual). The objects are listed when the replay starts, so the replayed
 * records, which the archive writes again under the current hour, are not read back. Objects are read in key order (Firehose names start with the hour
 * and the object's first arrival time), lines in order, and put in that order, one PutRecords
 * call (≤ 500 records, ≤ 5 MiB) at a time; failed entries are retried with backoff.
 *
 * The partition key is the record's instrument when the record decodes, as the producer keys
 * it, so an instrument's ticks land on one shard in their original order; a record that does
 * not decode (it will be dead-lettered again) gets a random key.
 *
 * The archive de-aggregates KPL records (one line per sub-record), so a replay puts one tick
 * per record, whatever the producer packed: the ticks, their event times and what the consumers
 * make of them are the same; only their packing is not restored.
 *
 * With source "dead-letters" it redrives the bad records instead: the JSON lines under
 * `dead-letters/YYYY/MM/DD/` (arrival day), those that arrived in [from, to), each once. A dead
 * letter holds just the bad part of its record (a line, a KPL sub-record, or the whole record
 * when the record was bad as a whole), and that part is what is put back.
 */
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { decodeTick } from "@tickstream/core/ticks/index";
import { dayPrefixes, hourPrefixes } from "@tickstream/core/archive/keys";
import {
  DEFAULT_RETRY,
  PUT_LIMITS,
  putBatch,
  takeBatch,
  type OutRecord,
  type PutRecordsFn,
  type RetryPolicy,
} from "../producer/putter.js";
import { sleep, TokenBucket } from "../producer/rate.js";

/**
 * The record of one dead-letter line (`{"raw": base64, "shardId", "sequenceNumber", "subIndex",
 * "arrivalTime", ...}`, packages/core/src/deadletters), or undefined when it is not one. The id
 * names the bad part: several parts of one record share its sequence number.
 */
export function deadLetterRecord(
  line: Uint8Array,
): { data: Buffer; id: string; arrivalTime: number } | undefined {
  try {
    const doc = JSON.parse(Buffer.from(line).toString("utf8")) as Record<string, unknown>;
    if (typeof doc.raw !== "string" || typeof doc.arrivalTime !== "number") return undefined;
    return {
      data: Buffer.from(doc.raw, "base64"),
      id: `${String(doc.shardId)}/${String(doc.sequenceNumber)}/${doc.subIndex === undefined || doc.subIndex === null ? "-" : String(doc.subIndex)}`,
      arrivalTime: doc.arrivalTime,
    };
  } catch {
    return undefined;
  }
}

/** The lines of an archive object: gunzipped when it is GZIP, split on "\n", empty lines kept as such. */
export function archiveLines(body: Uint8Array): Buffer[] {
  const raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Firehose may concatenate GZIP members; gunzip reads them all.
  const text = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = text.indexOf(0x0a, start); i !== -1; i = text.indexOf(0x0a, start)) {
    lines.push(text.subarray(start, i));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.subarray(start));
  return lines;
}

export function randomPartitionKey(): string {
  return randomBytes(8).toString("hex");
}

/** Instrument when the record decodes, else a random key. */
export function partitionKeyFor(
  line: Uint8Array,
  random: () => string = randomPartitionKey,
): { key: string; decodable: boolean } {
  const decoded = decodeTick(line);
  return decoded.ok
    ? { key: decoded.tick.instrument, decodable: true }
    : { key: random(), decodable: false };
}

export interface ReplayOptions {
  s3: S3Client;
  bucket: string;
  /** Where PutRecords goes (a KinesisClient's send, or a stub); unused with dryRun. */
  put?: PutRecordsFn;
  streamName: string;
  fromMs: number;
  toMs: number;
  /** Read and count only; nothing is put. */
  dryRun?: boolean;
  retry?: RetryPolicy;
  /** Records per second at most; undefined for as fast as the stream takes them. */
  rate?: number;
  randomKey?: () => string;
  /**
   * raw (default): the archived stream, by arrival hour. dead-letters: the bad records the
   * consumers set aside, by arrival day, filtered to arrival times in [from, to) and deduplicated
   * by shard, sequence number and subIndex; for putting them back once the cause is fixed.
   */
  source?: "raw" | "dead-letters";
  rawPrefix?: string;
  signal?: AbortSignal;
  /** Called after every object. */
  onProgress?: (report: ReplayReport) => void;
}

export interface ReplayReport {
  source: "raw" | "dead-letters";
  fromMs: number;
  toMs: number;
  prefixes: string[];
  objects: number;
  /** Records read from the objects (lines, empty ones excluded). */
  records: number;
  /** Records that decode as ticks (the others are bad records: dead-lettered again). */
  decodable: number;
  /** Empty lines (an empty record cannot be put back). */
  skippedEmpty: number;
  /** Records larger than a Kinesis record may be. */
  skippedTooLarge: number;
  /** Dead letters only: lines outside [from, to), repeated lines, lines that are not dead letters. */
  outOfRange: number;
  duplicates: number;
  unreadable: number;
  bytes: number;
  delivered: number;
  failed: number;
  retried: number;
  throttled: number;
  /** Failure reasons and how many records each cost. */
  failures: Record<string, number>;
  /** An error that ended the replay early (missing stream, access denied, …). */
  fatal?: string;
  byPrefix: Record<string, { objects: number; records: number }>;
}

async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      {
        abortSignal: signal as never,
      },
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function getObject(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
    abortSignal: signal as never,
  });
  if (!out.Body) return new Uint8Array();
  return out.Body.transformToByteArray();
}

export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const { s3, bucket, streamName, signal } = options;
  const source = options.source ?? "raw";
  const prefixes =
    source === "raw"
      ? hourPrefixes(options.fromMs, options.toMs, options.rawPrefix)
      : dayPrefixes(options.fromMs, options.toMs);
  const seen = new Set<string>();
  const report: ReplayReport = {
    source,
    fromMs: options.fromMs,
    toMs: options.toMs,
    prefixes,
    objects: 0,
    records: 0,
    decodable: 0,
    skippedEmpty: 0,
    skippedTooLarge: 0,
    outOfRange: 0,
    duplicates: 0,
    unreadable: 0,
    bytes: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    throttled: 0,
    failures: {},
    byPrefix: {},
  };
  if (!options.dryRun && !options.put)
    throw new Error("replay needs a put function unless it is a dry run");
  const pacer = options.rate
    ? new TokenBucket(options.rate, {
        burst: Math.min(PUT_LIMITS.maxRecords, Math.ceil(options.rate)),
      })
    : undefined;
  const queue: OutRecord[] = [];
  let queuedBytes = 0;

  const send = async (records: OutRecord[]) => {
    if (records.length === 0 || options.dryRun) return;
    if (pacer) {
      let taken = 0;
      while (taken < records.length) {
        if (signal?.aborted) return;
        const n = pacer.available(records.length - taken);
        if (n > 0) {
          pacer.take(n);
          taken += n;
        } else await sleep(Math.max(1, pacer.waitMs()), signal);
      }
    }
    const outcome = await putBatch(
      options.put!,
      streamName,
      records,
      options.retry ?? DEFAULT_RETRY,
      signal,
    );
    report.delivered += outcome.delivered.length;
    report.failed += outcome.failed.length;
    report.retried += outcome.retried;
    report.throttled += outcome.throttled;
    for (const f of outcome.failed) report.failures[f.code] = (report.failures[f.code] ?? 0) + 1;
    if (outcome.fatal) report.fatal = `${outcome.fatal.name}: ${outcome.fatal.message}`;
  };

  const drain = async (all: boolean) => {
    while (
      !report.fatal &&
      queue.length > 0 &&
      (all || queue.length >= PUT_LIMITS.maxRecords || queuedBytes >= PUT_LIMITS.maxBytes)
    ) {
      const batch = takeBatch(queue);
      for (const r of batch) queuedBytes -= r.data.byteLength + r.partitionKey.length;
      await send(batch);
    }
  };

  // List every hour first: what the archive holds when the replay starts is what is replayed,
  // not the replayed records the archive writes meanwhile (into the current hour).
  const listed: [string, string[]][] = [];
  for (const prefix of prefixes) listed.push([prefix, await listKeys(s3, bucket, prefix, signal)]);

  outer: for (const [prefix, keys] of listed) {
    const perPrefix = { objects: 0, records: 0 };
    report.byPrefix[prefix] = perPrefix;
    for (const key of keys) {
      if (signal?.aborted || report.fatal) break outer;
      const body = await getObject(s3, bucket, key, signal);
      report.objects++;
      perPrefix.objects++;
      for (const archived of archiveLines(body)) {
        let line: Uint8Array = archived;
        if (line.length === 0) {
          report.skippedEmpty++;
          continue;
        }
        if (source === "dead-letters") {
          const dead = deadLetterRecord(line);
          if (!dead) {
            report.unreadable++;
            continue;
          }
          if (dead.arrivalTime < options.fromMs || dead.arrivalTime >= options.toMs) {
            report.outOfRange++;
            continue;
          }
          // A replay with other batch boundaries can write a bad record into a second object.
          if (seen.has(dead.id)) {
            report.duplicates++;
            continue;
          }
          seen.add(dead.id);
          line = dead.data;
          if (line.length === 0) {
            report.skippedEmpty++;
            continue;
          }
        }
        report.records++;
        perPrefix.records++;
        report.bytes += line.length;
        if (line.length > PUT_LIMITS.maxRecordBytes) {
          report.skippedTooLarge++;
          continue;
        }
        const { key: partitionKey, decodable } = partitionKeyFor(line, options.randomKey);
        if (decodable) report.decodable++;
        if (options.dryRun) continue;
        // Copy: the line is a view into the object's buffer, which is released after the object.
        queue.push({ data: Uint8Array.from(line), partitionKey });
        queuedBytes += line.length + partitionKey.length;
        await drain(false);
        if (report.fatal) break outer;
      }
      options.onProgress?.(report);
    }
  }
  if (!report.fatal && !signal?.aborted) await drain(true);
  if (queue.length > 0) {
    // Ended early: what was read but not sent counts as failed, so nothing is lost silently.
    const reason = report.fatal ? "NotSentAfterFatalError" : "Aborted";
    report.failed += queue.length;
    report.failures[reason] = (report.failures[reason] ?? 0) + queue.length;
    queue.length = 0;
  }
  return report;
}
