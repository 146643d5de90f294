/**
 * The producer loop: generate records at a paced rate, optionally hold some back (disorder) or
 * send some twice (duplicates), gather them into PutRecords batches and send them with
 * retries. It runs until the count or duration is reached or `stop` fires, then delivers what is
 * still pending and returns the totals. `abort` (a second Ctrl-C) gives up on pending records,
 * which are then counted as failed.
 */
import type { RecordSource } from "./formats.js";
import {
  DEFAULT_RETRY,
  PUT_LIMITS,
  putBatch,
  recordBytes,
  takeBatch,
  type PutRecordsFn,
  type RetryPolicy,
} from "./putter.js";
import { systemClock, TokenBucket, type Clock } from "./rate.js";
import type { Rng } from "./random.js";

export interface ProduceOptions {
  source: RecordSource;
  put: PutRecordsFn;
  streamName: string;
  rng: Rng;
  /** Records per second; null or Infinity for as fast as the stream takes them. */
  rate: number | null;
  /** Stop after this many generated records (duplicates not counted). */
  count?: number;
  /** Stop generating after this long. */
  durationMs?: number;
  /** Hold each record back by a random 0..N ms before it is sent. */
  disorderMs?: number;
  /** Fraction of records (0..1) sent a second time. */
  duplicates?: number;
  retry?: RetryPolicy;
  /** Longest a ready record waits for its batch to fill. */
  lingerMs?: number;
  /** PutRecords calls in flight. 1 keeps per-key order best. */
  concurrency?: number;
  /** Graceful stop: no new records, pending ones are still delivered. */
  stop?: AbortSignal;
  /** Hard stop: pending records are given up (and counted as failed). */
  abort?: AbortSignal;
  onProgress?: (stats: ProduceStats) => void;
  progressIntervalMs?: number;
  /** Called with each batch's delivered records, in the order they were sent. */
  onDelivered?: (records: readonly SentRecord[]) => void;
  clock?: Clock;
  /** Wall clock for event times (epoch ms). */
  now?: () => number;
  limits?: typeof PUT_LIMITS;
}

export interface SentRecord {
  data: Uint8Array;
  text: string;
  partitionKey: string;
  /** Generation order; a duplicate has its original's number. */
  seq: number;
  duplicate: boolean;
  /** Wall-clock time the record was generated (epoch ms). */
  generatedAt: number;
}

interface Pending extends SentRecord {
  releaseAt: number;
}

export interface ProduceStats {
  generated: number;
  duplicates: number;
  delivered: number;
  failed: number;
  /** Entries sent again after a failure. */
  retried: number;
  throttled: number;
  batches: number;
  /** Generated or duplicated but not yet delivered or failed. */
  pending: number;
  elapsedMs: number;
  failures: Record<string, number>;
  /** An error that retrying could not fix; the run stopped. */
  fatal?: string;
}

const HIGH_WATER = 20 * PUT_LIMITS.maxRecords;

export async function produce(opts: ProduceOptions): Promise<ProduceStats> {
  const clock = opts.clock ?? systemClock;
  const wallNow = opts.now ?? Date.now;
  const limits = opts.limits ?? PUT_LIMITS;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const linger = opts.lingerMs ?? 50;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const disorder = Math.max(0, opts.disorderMs ?? 0);
  const dupRate = Math.min(1, Math.max(0, opts.duplicates ?? 0));
  const bucket =
    opts.rate && Number.isFinite(opts.rate) ? new TokenBucket(opts.rate, { clock }) : null;
  const encoder = new TextEncoder();

  const stats: ProduceStats = {
    generated: 0,
    duplicates: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    throttled: 0,
    batches: 0,
    pending: 0,
    elapsedMs: 0,
    failures: {},
  };
  const started = clock.now();
  const heap = new DelayQueue();
  const ready: Pending[] = [];
  let readySince = 0;
  const inflight = new Set<Promise<void>>();
  let generating = opts.count !== 0;
  let wake: (() => void) | null = null;
  const wakeUp = () => wake?.();
  opts.stop?.addEventListener("abort", wakeUp);
  opts.abort?.addEventListener("abort", wakeUp);

  const fail = (records: readonly Pending[], code: string) => {
    stats.failed += records.length;
    stats.failures[code] = (stats.failures[code] ?? 0) + records.length;
  };

  const send = (batch: Pending[]) => {
    stats.batches++;
    const p = putBatch(opts.put, opts.streamName, batch, retry, opts.abort).then(
      (outcome) => {
        stats.delivered += outcome.delivered.length;
        stats.retried += outcome.retried;
        stats.throttled += outcome.throttled;
        for (const f of outcome.failed) {
          stats.failed++;
          stats.failures[f.code] = (stats.failures[f.code] ?? 0) + 1;
        }
        if (outcome.fatal && !stats.fatal)
          stats.fatal = `${outcome.fatal.name}: ${outcome.fatal.message}`;
        if (outcome.delivered.length) opts.onDelivered?.(outcome.delivered);
      },
      (err: Error) => {
        // putBatch does not throw; a callback might.
        if (!stats.fatal) stats.fatal = `${err.name}: ${err.message}`;
        fail(batch, err.name || "Error");
      },
    );
    const tracked = p.finally(() => {
      inflight.delete(tracked);
      wakeUp();
    });
    inflight.add(tracked);
  };

  const enqueue = (rec: Pending) => {
    if (recordBytes(rec) > limits.maxRecordBytes) {
      fail([rec], "RecordTooLarge");
      return;
    }
    heap.push(rec);
  };

  let lastProgress = started;
  const progressEvery = opts.progressIntervalMs ?? 250;

  for (;;) {
    const now = clock.now();
    if (opts.abort?.aborted || stats.fatal) {
      generating = false;
      const left = [...ready.splice(0), ...heap.drain()];
      if (left.length) fail(left, stats.fatal ? "NotSent" : "Aborted");
    }
    if (opts.stop?.aborted) generating = false;
    if (generating && opts.durationMs !== undefined && now - started >= opts.durationMs)
      generating = false;

    if (generating) {
      const remaining = opts.count === undefined ? Infinity : opts.count - stats.generated;
      const room = Math.max(0, HIGH_WATER - ready.length - heap.size);
      const allowed = Math.min(remaining, room, bucket ? bucket.available() : limits.maxRecords);
      const wallClock = wallNow();
      for (let i = 0; i < allowed; i++) {
        const at = wallClock;
        let generated;
        try {
          generated = opts.source(at);
        } catch (err) {
          stats.fatal = `${(err as Error).name}: ${(err as Error).message}`;
          break;
        }
        const data = encoder.encode(generated.data);
        const seq = stats.generated++;
        const rec: Pending = {
          data,
          text: generated.data,
          partitionKey: generated.partitionKey,
          seq,
          duplicate: false,
          generatedAt: at,
          releaseAt: now + (disorder ? opts.rng.next() * disorder : 0),
        };
        enqueue(rec);
        if (dupRate > 0 && opts.rng.next() < dupRate) {
          stats.duplicates++;
          enqueue({
            ...rec,
            duplicate: true,
            releaseAt: Math.max(rec.releaseAt, now + (disorder ? opts.rng.next() * disorder : 0)),
          });
        }
      }
      bucket?.take(allowed);
      if (remaining - allowed <= 0) generating = false;
    }

    // Release held-back records whose time has come (all of them once nothing else will come).
    for (const rec of heap.popDue(now)) {
      if (ready.length === 0) readySince = now;
      ready.push(rec);
    }

    // Send full batches at once; a partial batch once it has lingered or nothing more will come.
    while (inflight.size < concurrency && ready.length > 0) {
      const full = ready.length >= limits.maxRecords;
      const finishing = !generating && heap.size === 0;
      if (!full && !finishing && now - readySince < linger) break;
      send(takeBatch(ready, limits));
      readySince = now;
    }

    if (opts.onProgress && clock.now() - lastProgress >= progressEvery) {
      lastProgress = clock.now();
      stats.elapsedMs = lastProgress - started;
      stats.pending = stats.generated + stats.duplicates - stats.delivered - stats.failed;
      opts.onProgress({ ...stats });
    }

    if (!generating && heap.size === 0 && ready.length === 0 && inflight.size === 0) break;

    // Sleep until something can happen: a token, a held record's release, a batch's linger
    // deadline, the end of the duration, a finished send, or a stop signal.
    const waits: number[] = [progressEvery];
    if (generating) {
      const blocked = ready.length + heap.size >= HIGH_WATER;
      if (!blocked) waits.push(bucket ? bucket.waitMs() : 0);
      if (opts.durationMs !== undefined) waits.push(opts.durationMs - (now - started));
    }
    if (heap.size) waits.push(heap.peek()!.releaseAt - now);
    if (ready.length && inflight.size < concurrency) waits.push(linger - (now - readySince));
    const waitMs = Math.max(0, Math.min(...waits));
    if (waitMs === 0 && inflight.size < concurrency) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, waitMs));
      function done(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  opts.stop?.removeEventListener("abort", wakeUp);
  opts.abort?.removeEventListener("abort", wakeUp);
  stats.pending = 0;
  stats.elapsedMs = clock.now() - started;
  return stats;
}

/** Min-heap of held-back records by release time, then generation order. */
class DelayQueue {
  private items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Pending | undefined {
    return this.items[0];
  }

  push(rec: Pending): void {
    const a = this.items;
    a.push(rec);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Pending | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  popDue(now: number): Pending[] {
    const out: Pending[] = [];
    while (this.items.length && this.items[0]!.releaseAt <= now) out.push(this.pop()!);
    return out;
  }

  drain(): Pending[] {
    const out: Pending[] = [];
    while (this.items.length) out.push(this.pop()!);
    return out;
  }
}

function before(a: Pending, b: Pending): boolean {
  return (
    a.releaseAt < b.releaseAt ||
    (a.releaseAt === b.releaseAt && (a.seq < b.seq || (a.seq === b.seq && !a.duplicate)))
  );
}
