/**
 * The producer loop: generate ticks at a paced rate (the rate counts ticks, whatever the
 * packing), optionally hold some back (disorder) or send some twice (duplicates), pack them into
 * Kinesis records (one tick per record, or many: KPL aggregates or lines, per partition key),
 * gather the records into PutRecords batches and send them with retries. It runs until the count
 * or duration is reached or `stop` fires, then delivers what is still pending and returns the
 * totals. `abort` (a second Ctrl-C) gives up on pending ticks, which are then counted as failed.
 */
import { Packer, type AggregateMode, type PackedRecord } from "@tickstream/local/generator/pack";
import type { RecordSource } from "./formats.js";
import {
  DEFAULT_RETRY,
  PUT_LIMITS,
  putBatch,
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
  /** Ticks per second; null or Infinity for as fast as the stream takes them. */
  rate: number | null;
  /** How ticks become records. Default: one tick per record. */
  aggregate?: AggregateOptions;
  /** Stop after this many generated ticks (duplicates not counted). */
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

export interface AggregateOptions {
  mode: AggregateMode;
  /** Most bytes of data per packed record (default: the KPL's 51,200). */
  maxBytes?: number;
  /** Longest a tick waits for its record to fill (the KPL's RecordMaxBufferedTime). Default 100 ms. */
  lingerMs?: number;
  /**
   * Ticks of one group may share a record. Default: the partition key. A constant packs across
   * keys (for random keys, whose ticks may go to any shard anyway).
   */
  groupOf?: (tick: SentRecord) => string;
}

/** One generated tick. */
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

type OutRecord = PackedRecord<Pending>;

/** Counts of ticks unless named records (Kinesis records, which may carry many ticks each). */
export interface ProduceStats {
  generated: number;
  duplicates: number;
  delivered: number;
  failed: number;
  /** Kinesis records delivered and failed. */
  recordsDelivered: number;
  recordsFailed: number;
  /** Records sent again after a failure. */
  retried: number;
  /** Records refused by throttling. */
  throttled: number;
  batches: number;
  /** Generated or duplicated ticks not yet delivered or failed. */
  pending: number;
  elapsedMs: number;
  failures: Record<string, number>;
  /** An error that retrying could not fix; the run stopped. */
  fatal?: string;
}

/** Ticks and records queued before generation waits for the stream (bounds memory). */
const HIGH_WATER = 20 * PUT_LIMITS.maxRecords;
const HIGH_WATER_BYTES = 4 * PUT_LIMITS.maxBytes;

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
  const aggregate = opts.aggregate ?? { mode: "none" };
  const aggregateLinger = Math.max(0, aggregate.lingerMs ?? 100);
  const packer = new Packer<Pending>({
    mode: aggregate.mode,
    maxBytes: aggregate.maxBytes,
    groupOf: aggregate.groupOf,
  });

  const stats: ProduceStats = {
    generated: 0,
    duplicates: 0,
    delivered: 0,
    failed: 0,
    recordsDelivered: 0,
    recordsFailed: 0,
    retried: 0,
    throttled: 0,
    batches: 0,
    pending: 0,
    elapsedMs: 0,
    failures: {},
  };
  const started = clock.now();
  const heap = new DelayQueue();
  const ready: OutRecord[] = [];
  let readyBytes = 0;
  let readySince = 0;
  const inflight = new Set<Promise<void>>();
  let generating = opts.count !== 0;
  let wake: (() => void) | null = null;
  const wakeUp = () => wake?.();
  opts.stop?.addEventListener("abort", wakeUp);
  opts.abort?.addEventListener("abort", wakeUp);

  /** Counts ticks as failed (and the records that carried them, if any). */
  const fail = (ticks: readonly Pending[], code: string, records = 0) => {
    stats.failed += ticks.length;
    stats.recordsFailed += records;
    stats.failures[code] = (stats.failures[code] ?? 0) + ticks.length;
  };

  const send = (batch: OutRecord[]) => {
    stats.batches++;
    const p = putBatch(opts.put, opts.streamName, batch, retry, opts.abort).then(
      (outcome) => {
        stats.retried += outcome.retried;
        stats.throttled += outcome.throttled;
        for (const f of outcome.failed) fail(f.record.items, f.code, 1);
        if (outcome.fatal && !stats.fatal)
          stats.fatal = `${outcome.fatal.name}: ${outcome.fatal.message}`;
        if (outcome.delivered.length) {
          const ticks = outcome.delivered.flatMap((r) => r.items);
          stats.delivered += ticks.length;
          stats.recordsDelivered += outcome.delivered.length;
          opts.onDelivered?.(ticks);
        }
      },
      (err: Error) => {
        // putBatch does not throw; a callback might.
        if (!stats.fatal) stats.fatal = `${err.name}: ${err.message}`;
        fail(
          batch.flatMap((r) => r.items),
          err.name || "Error",
          batch.length,
        );
      },
    );
    const tracked = p.finally(() => {
      inflight.delete(tracked);
      wakeUp();
    });
    inflight.add(tracked);
  };

  const enqueue = (rec: Pending) => {
    // Alone in its record, envelope included: a tick that cannot go even so is refused now.
    if (packer.aloneBytes(rec) > limits.maxRecordBytes) {
      fail([rec], "RecordTooLarge");
      return;
    }
    heap.push(rec);
  };

  const toReady = (records: OutRecord[], now: number) => {
    for (const r of records) {
      if (ready.length === 0) readySince = now;
      ready.push(r);
      readyBytes += r.data.byteLength;
    }
  };

  /** Ticks waiting in the disorder heap and in records being packed, and records ready. */
  const queued = () => heap.size + packer.size + ready.length;

  let lastProgress = started;
  const progressEvery = opts.progressIntervalMs ?? 250;

  for (;;) {
    const now = clock.now();
    if (opts.abort?.aborted || stats.fatal) {
      generating = false;
      const records = ready.splice(0);
      readyBytes = 0;
      const left = [...records.flatMap((r) => r.items), ...packer.drain(), ...heap.drain()];
      if (left.length) fail(left, stats.fatal ? "NotSent" : "Aborted", records.length);
    }
    if (opts.stop?.aborted) generating = false;
    if (generating && opts.durationMs !== undefined && now - started >= opts.durationMs)
      generating = false;

    if (generating) {
      const remaining = opts.count === undefined ? Infinity : opts.count - stats.generated;
      const room = readyBytes >= HIGH_WATER_BYTES ? 0 : Math.max(0, HIGH_WATER - queued());
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

    // Release held-back ticks whose time has come into their records; records that are full,
    // or whose first tick has waited long enough, are ready (all of them once nothing else
    // will come).
    for (const rec of heap.popDue(now)) toReady(packer.add(rec, now), now);
    const finishing = !generating && heap.size === 0;
    if (packer.size > 0)
      toReady(finishing ? packer.flush() : packer.due(now - aggregateLinger), now);

    // Send full batches at once; a partial batch once it has lingered or nothing more will come.
    while (inflight.size < concurrency && ready.length > 0) {
      const full = ready.length >= limits.maxRecords || readyBytes >= limits.maxBytes;
      if (!full && !finishing && now - readySince < linger) break;
      const batch = takeBatch(ready, limits);
      for (const r of batch) readyBytes -= r.data.byteLength;
      send(batch);
      readySince = now;
    }

    if (opts.onProgress && clock.now() - lastProgress >= progressEvery) {
      lastProgress = clock.now();
      stats.elapsedMs = lastProgress - started;
      stats.pending = stats.generated + stats.duplicates - stats.delivered - stats.failed;
      opts.onProgress({ ...stats });
    }

    if (
      !generating &&
      heap.size === 0 &&
      packer.size === 0 &&
      ready.length === 0 &&
      inflight.size === 0
    )
      break;

    // Sleep until something can happen: a token, a held record's release, a batch's linger
    // deadline, the end of the duration, a finished send, or a stop signal.
    const waits: number[] = [progressEvery];
    if (generating) {
      const blocked = queued() >= HIGH_WATER || readyBytes >= HIGH_WATER_BYTES;
      if (!blocked) waits.push(bucket ? bucket.waitMs() : 0);
      if (opts.durationMs !== undefined) waits.push(opts.durationMs - (now - started));
    }
    if (heap.size) waits.push(heap.peek()!.releaseAt - now);
    const oldest = packer.oldest();
    if (oldest !== undefined) waits.push(oldest + aggregateLinger - now);
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
