/**
 * PutRecords with retries. A batch is at most 500 records and 5 MiB (data plus partition
 * keys). When a call reports FailedRecordCount > 0, only the failed entries are sent again, in
 * their original order, after an exponential backoff with full jitter; a call that fails as a
 * whole (throttling, 5xx, network) is retried the same way. Errors that retrying cannot fix
 * (missing stream, access denied, validation) end the batch at once and are reported as fatal.
 * Every record ends up counted as delivered or failed: none is dropped silently.
 */
import { sleep } from "./rate.js";

export const PUT_LIMITS = {
  maxRecords: 500,
  maxBytes: 5 * 1024 * 1024,
  /** Largest data blob Kinesis takes by default (a stream can be configured for more). */
  maxRecordBytes: 1024 * 1024,
} as const;

export interface OutRecord {
  data: Uint8Array;
  partitionKey: string;
}

export interface PutRecordsRequest {
  StreamName: string;
  Records: { Data: Uint8Array; PartitionKey: string }[];
}

export interface PutRecordsResult {
  FailedRecordCount?: number;
  Records?: {
    ErrorCode?: string;
    ErrorMessage?: string;
    SequenceNumber?: string;
    ShardId?: string;
  }[];
}

/** The one call the producer needs; a KinesisClient or a stub in tests. */
export type PutRecordsFn = (
  request: PutRecordsRequest,
  signal?: AbortSignal,
) => Promise<PutRecordsResult>;

export interface RetryPolicy {
  /** Resends per record after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export interface FailedRecord<R extends OutRecord = OutRecord> {
  record: R;
  code: string;
  message: string;
}

export interface BatchOutcome<R extends OutRecord = OutRecord> {
  delivered: R[];
  failed: FailedRecord<R>[];
  /** Entries sent again after a failure. */
  retried: number;
  /** Entries refused with ProvisionedThroughputExceededException (or a throttled call). */
  throttled: number;
  /** Set when an error that retrying cannot fix ended the batch. */
  fatal?: Error;
}

export function recordBytes(r: OutRecord): number {
  return r.data.byteLength + Buffer.byteLength(r.partitionKey, "utf8");
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^attempt)], at least 1 ms. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.max(1, Math.round((policy.random ?? Math.random)() * ceiling));
}

const RETRYABLE = new Set([
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "ThrottlingException",
  "KMSThrottlingException",
  "InternalFailure",
  "InternalFailureException",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

export function isRetryable(err: unknown): boolean {
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (e?.name && RETRYABLE.has(e.name)) return true;
  if (e?.code && NETWORK.has(e.code)) return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

const isThrottle = (code: string | undefined) =>
  code === "ProvisionedThroughputExceededException" ||
  code === "ThrottlingException" ||
  code === "LimitExceededException";

/** Sends one batch (≤ PUT_LIMITS) until every record is delivered or has run out of retries. */
export async function putBatch<R extends OutRecord>(
  put: PutRecordsFn,
  streamName: string,
  records: R[],
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<BatchOutcome<R>> {
  const out: BatchOutcome<R> = { delivered: [], failed: [], retried: 0, throttled: 0 };
  let pending = records;
  let lastError = new Map<R, { code: string; message: string }>();
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) {
      if (attempt > policy.maxRetries || signal?.aborted) break;
      out.retried += pending.length;
      await sleep(backoffMs(attempt - 1, policy), signal);
      if (signal?.aborted) break;
    }
    let result: PutRecordsResult;
    try {
      result = await put(
        {
          StreamName: streamName,
          Records: pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        },
        signal,
      );
    } catch (err) {
      const e = err as Error;
      const code = e.name || "Error";
      if (signal?.aborted) {
        // Given up on purpose (a second Ctrl-C): the records are undelivered, not an error.
        for (const record of pending)
          out.failed.push({ record, code: "Aborted", message: "gave up before delivery" });
        return out;
      }
      if (!isRetryable(err)) {
        out.fatal = e;
        for (const record of pending) out.failed.push({ record, code, message: e.message });
        return out;
      }
      if (isThrottle(code)) out.throttled += pending.length;
      lastError = new Map(pending.map((r) => [r, { code, message: e.message }]));
      continue;
    }
    const entries = result.Records ?? [];
    if (entries.length !== pending.length) {
      // Without per-entry results nothing can be told apart: treat the whole call as failed.
      lastError = new Map(
        pending.map((r) => [
          r,
          {
            code: "InvalidResponse",
            message: `${entries.length} results for ${pending.length} records`,
          },
        ]),
      );
      continue;
    }
    const next: R[] = [];
    lastError = new Map();
    entries.forEach((entry, i) => {
      const record = pending[i]!;
      if (entry.ErrorCode) {
        if (isThrottle(entry.ErrorCode)) out.throttled++;
        next.push(record);
        lastError.set(record, {
          code: entry.ErrorCode,
          message: entry.ErrorMessage ?? entry.ErrorCode,
        });
      } else out.delivered.push(record);
    });
    pending = next;
  }
  for (const record of pending) {
    const why = lastError.get(record) ?? {
      code: "Aborted",
      message: "stopped before the record could be sent",
    };
    out.failed.push({ record, ...why });
  }
  return out;
}

/** Splits records into PutRecords-sized batches, in order. */
export function takeBatch<R extends OutRecord>(queue: R[], limits = PUT_LIMITS): R[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < limits.maxRecords) {
    const size = recordBytes(queue[n]!);
    if (n > 0 && bytes + size > limits.maxBytes) break;
    bytes += size;
    n++;
  }
  return queue.splice(0, n);
}
