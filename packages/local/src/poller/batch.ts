import type { KinesisStreamRecord } from "aws-lambda";
import type { FailureCondition } from "./events.js";

/**
 * What Lambda's Kinesis event source mapping does with one batch, independent of where records
 * come from: invoke, honour a partial batch response, retry, bisect on function error, give up
 * to the on-failure destination, and commit progress (a checkpoint) only over records that are
 * done, in order.
 */

export interface BatchSettings {
  /** Split a batch in two when the function errors (splitting does not use up a retry). */
  bisectBatchOnError: boolean;
  /** Retries after the first attempt; -1 retries until the records expire. */
  retryAttempts: number;
  /** Records older than this (by arrival) are not sent to the function; -1 = no limit. */
  maxRecordAgeMs: number;
  /** Read `batchItemFailures` from the function's response. */
  reportBatchItemFailures: boolean;
  /** Delay before retry n (1-based). */
  retryDelayMs: (retry: number) => number;
}

export type InvokeResult = { ok: true; response: unknown } | { ok: false; error: unknown };

export interface BatchDeps {
  invoke(records: KinesisStreamRecord[]): Promise<InvokeResult>;
  /** Everything up to and including this sequence number is done. */
  checkpoint(sequenceNumber: string): Promise<void>;
  /** The records could not be processed; they are skipped after this resolves. */
  onFailure(
    records: KinesisStreamRecord[],
    info: {
      condition: FailureCondition;
      invokeCount: number;
      functionError?: string;
      error?: unknown;
    },
  ): Promise<void>;
  /** True when the runtime is stopping: leave the rest for the next start (nothing is committed). */
  stopping(): boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface BatchOutcome {
  /** False when stopped before every record was resolved. */
  completed: boolean;
  invocations: number;
  failedRecords: number;
}

/**
 * The index of the first record the function reported as failed, -1 if it reported none, or
 * "all" when the response makes the whole batch a failure (as Lambda treats an empty, null or
 * unknown itemIdentifier).
 */
export function firstFailure(response: unknown, records: KinesisStreamRecord[]): number | "all" {
  if (response === null || response === undefined || typeof response !== "object") return -1;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return -1;
  if (!Array.isArray(failures)) return "all";
  if (failures.length === 0) return -1;
  const index = new Map(records.map((r, i) => [r.kinesis.sequenceNumber, i]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") return "all";
    const i = index.get(id);
    if (i === undefined) return "all";
    lowest = Math.min(lowest, i);
  }
  return lowest;
}

interface Segment {
  records: KinesisStreamRecord[];
  /** Attempts so far on these records (the first invocation included). */
  attempts: number;
}

export async function processBatch(
  batch: KinesisStreamRecord[],
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<BatchOutcome> {
  const queue: Segment[] = [{ records: batch, attempts: 0 }];
  let invocations = 0;
  let failedRecords = 0;
  const lastSeq = (records: KinesisStreamRecord[]) =>
    records[records.length - 1]!.kinesis.sequenceNumber;

  const giveUp = async (
    records: KinesisStreamRecord[],
    condition: FailureCondition,
    invokeCount: number,
    extra: { functionError?: string; error?: unknown } = {},
  ) => {
    await deps.onFailure(records, { condition, invokeCount, ...extra });
    failedRecords += records.length;
    await deps.checkpoint(lastSeq(records));
  };

  while (queue.length > 0) {
    if (deps.stopping()) return { completed: false, invocations, failedRecords };
    const segment = queue[0]!;

    if (settings.maxRecordAgeMs >= 0) {
      const oldest = deps.now() - settings.maxRecordAgeMs;
      let expired = 0;
      while (
        expired < segment.records.length &&
        segment.records[expired]!.kinesis.approximateArrivalTimestamp * 1000 < oldest
      ) {
        expired += 1;
      }
      if (expired > 0) {
        await giveUp(segment.records.slice(0, expired), "RecordAgeExceeded", segment.attempts);
        segment.records = segment.records.slice(expired);
        if (segment.records.length === 0) {
          queue.shift();
          continue;
        }
      }
    }

    const result = await deps.invoke(segment.records);
    invocations += 1;
    segment.attempts += 1;

    let failedFrom: number | "all" = -1;
    let functionError = false;
    if (!result.ok) {
      functionError = true;
      failedFrom = "all";
    } else if (settings.reportBatchItemFailures) {
      failedFrom = firstFailure(result.response, segment.records);
    }

    if (failedFrom === -1) {
      await deps.checkpoint(lastSeq(segment.records));
      queue.shift();
      continue;
    }

    if (failedFrom !== "all" && failedFrom > 0) {
      // Records before the lowest reported failure are done.
      await deps.checkpoint(segment.records[failedFrom - 1]!.kinesis.sequenceNumber);
      segment.records = segment.records.slice(failedFrom);
    }

    if (functionError && settings.bisectBatchOnError && segment.records.length > 1) {
      const half = Math.ceil(segment.records.length / 2);
      queue.splice(
        0,
        1,
        { records: segment.records.slice(0, half), attempts: 0 },
        { records: segment.records.slice(half), attempts: 0 },
      );
      continue;
    }

    const retriesUsed = segment.attempts - 1;
    if (settings.retryAttempts >= 0 && retriesUsed >= settings.retryAttempts) {
      await giveUp(segment.records, "RetryAttemptsExhausted", segment.attempts, {
        functionError: functionError ? "Unhandled" : undefined,
        error: result.ok ? undefined : result.error,
      });
      queue.shift();
      continue;
    }
    await deps.sleep(settings.retryDelayMs(retriesUsed + 1));
  }
  return { completed: true, invocations, failedRecords };
}
