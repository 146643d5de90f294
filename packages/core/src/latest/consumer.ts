import type { RecordPosition, StreamPosition } from "../tick.js";
import {
  batchItemFailures,
  decodeBatch,
  splitAtFirstFailure,
  type BatchResponse,
  type KinesisEventLike,
  type KinesisRecordLike,
} from "../kinesis/batch.js";
import type { DeadLetterWriter } from "../deadletters/deadletters.js";
import { coalesceLatest } from "./coalesce.js";
import type { LatestWriter } from "./store.js";

/**
 * One batch of the latest consumer: decode (every tick of every record, kinesis/framing.ts) ->
 * coalesce (one tick per instrument) -> one conditional write per instrument -> dead letters ->
 * partial batch response.
 *
 * Failure reporting (Kinesis checkpoint semantics, see kinesis/batch.ts):
 * - A failed write of instrument X fails the record that carried X's newest tick; Lambda
 *   resumes the shard at the lowest failed record. Everything from there on is processed again
 *   (the conditional writes make that harmless); X's older ticks of the batch before that
 *   record lose to it anyway, so nothing valid is lost. Failures are per Kinesis record: the
 *   other ticks of a failed record (its sub-records and lines) come again too and are refused
 *   by the condition or rewrite the same values.
 * - Dead letters are written only for bad records (and bad parts of records) below the first
 *   failed record; the others come again with the retry and are written then (no duplicate
 *   lines).
 * - A failed dead-letter object fails its first record.
 */

export interface LatestConsumerDeps {
  store: LatestWriter;
  deadLetters: DeadLetterWriter;
  /** See DecodeOptions (kinesis/batch.ts); default DEFAULT_MAX_CLOCK_SKEW_MS. */
  maxClockSkewMs?: number;
}

export interface FailedWrite {
  instrument: string;
  position: StreamPosition;
  error: unknown;
}

export interface LatestBatchOutcome {
  response: BatchResponse;
  records: number;
  ticks: number;
  /** Bad records and bad parts of records (lines, sub-records). */
  badRecords: number;
  instruments: number;
  /** Conditional writes sent (one per instrument). */
  writesIssued: number;
  written: number;
  /** Writes refused by the condition: a newer or the same tick was already stored. */
  stale: number;
  failedWrites: FailedWrite[];
  deadLettersWritten: number;
  /** Bad records left for the retry because they lie after the first failure. */
  deadLettersDeferred: number;
  deadLetterErrors: unknown[];
}

export async function processLatestBatch(
  input: readonly KinesisRecordLike[] | KinesisEventLike,
  deps: LatestConsumerDeps,
): Promise<LatestBatchOutcome> {
  const records = "Records" in input ? input.Records : input;
  const { ticks, bad } = decodeBatch(records, { maxClockSkewMs: deps.maxClockSkewMs });
  const newest = coalesceLatest(ticks);
  const results = newest.length > 0 ? await deps.store.writeLatest(newest) : [];

  let written = 0;
  let stale = 0;
  const failedWrites: FailedWrite[] = [];
  for (const r of results) {
    if (r.status === "written") written++;
    else if (r.status === "stale") stale++;
    else failedWrites.push({ instrument: r.entry.tick.instrument, position: r.entry.position, error: r.error });
  }
  const failed: RecordPosition[] = failedWrites.map((f) => f.position);

  const { before: deadNow, after: deferred } = splitAtFirstFailure(bad, failed);
  let deadLettersWritten = 0;
  let deadLetterErrors: unknown[] = [];
  if (deadNow.length > 0) {
    const dl = await deps.deadLetters(deadNow);
    deadLettersWritten = dl.written;
    deadLetterErrors = dl.errors;
    for (const record of dl.failed) failed.push(record.position);
  }

  return {
    response: batchItemFailures(failed),
    records: records.length,
    ticks: ticks.length,
    badRecords: bad.length,
    instruments: newest.length,
    writesIssued: results.length,
    written,
    stale,
    failedWrites,
    deadLettersWritten,
    deadLettersDeferred: deferred.length,
    deadLetterErrors,
  };
}
