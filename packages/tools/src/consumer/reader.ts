/**
 * Reads every shard of a Kinesis stream with GetRecords, following resharding: a child shard
 * (from SplitShard or MergeShards) is read once all of its parents have been read to their end
 * (GetRecords returns no NextShardIterator), so records of one partition key come out in order.
 * Children are learned from GetRecords' ChildShards when the service sends them and from
 * ListShards otherwise (kinesalite), which is also polled now and then for new shards.
 *
 * Start positions: LATEST (open shards from now on; shards created later from their start),
 * TRIM_HORIZON (everything retained, oldest shards first), or AT_TIMESTAMP (arrival time).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type Shard,
  type ShardIteratorType,
} from "@aws-sdk/client-kinesis";
import { listShards } from "@tickstream/core/kinesis/shards";
import { decodeAggregated, isAggregated } from "@tickstream/core/ticks/kpl";
import { sleep } from "../producer/rate.js";

export type StartPosition =
  { type: "LATEST" } | { type: "TRIM_HORIZON" } | { type: "AT_TIMESTAMP"; timestamp: number };

/**
 * One user record. A KPL aggregate is read as its sub-records, as the KCL reads them: each with
 * the aggregate's sequence number, its own partition key and its index as `subSequenceNumber`.
 * A damaged aggregate (bad magic, protobuf or MD5) comes through as it was put.
 */
export interface ReadRecord {
  shardId: string;
  sequenceNumber: string;
  /** Place within a KPL aggregate; absent for a plain record. */
  subSequenceNumber?: number;
  partitionKey: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  arrivalTime: number;
  data: Uint8Array;
}

/** The user records of one Kinesis record: its KPL sub-records, or the record itself. */
export function userRecords(record: ReadRecord): ReadRecord[] {
  if (!isAggregated(record.data)) return [record];
  const agg = decodeAggregated(record.data);
  if (!agg.ok) return [record];
  return agg.records.map((sub, subSequenceNumber) => ({
    ...record,
    subSequenceNumber,
    partitionKey: sub.ok ? sub.partitionKey : record.partitionKey,
    data: sub.data,
  }));
}

/** The one method of KinesisClient the reader uses (stubs in tests). */
export interface KinesisLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export type ReaderEvent =
  | { type: "shard-start"; shardId: string; position: string }
  | { type: "shard-end"; shardId: string }
  | { type: "retry"; shardId: string; error: string; delayMs: number };

export interface ReaderOptions {
  client: KinesisLike;
  streamName: string;
  from: StartPosition;
  signal: AbortSignal;
  /** Called with each non-empty GetRecords page, in shard order. Awaited before the next call. */
  onRecords: (records: ReadRecord[]) => void | Promise<void>;
  onEvent?: (event: ReaderEvent) => void;
  /** Wait between GetRecords calls on a caught-up shard. Default 500 ms. */
  pollIntervalMs?: number;
  /** Wait between calls while catching up (AWS allows 5 calls per second per shard). Default 200 ms. */
  busyIntervalMs?: number;
  /** How often to ListShards for new shards. Default 10 s. */
  discoveryIntervalMs?: number;
  /** GetRecords Limit. Default 10,000. */
  limit?: number;
  /** Give up on an AT_TIMESTAMP iterator after this long and read from the trim horizon instead. Default 5 s. */
  iteratorTimeoutMs?: number;
}

interface ShardState {
  id: string;
  parents: string[];
  status: "waiting" | "reading" | "done";
}

/** Resolves when `signal` aborts, or when every shard has been read to its end (a deleted or fully closed stream). */
export async function readStream(opts: ReaderOptions): Promise<void> {
  const reader = new StreamReader(opts);
  await reader.run();
}

export class StreamReader {
  private readonly shards = new Map<string, ShardState>();
  /** Shards listed when the reader started (LATEST applies to these only). */
  private readonly shardsSeenAtStart = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private failure: Error | undefined;
  private discovering: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: ReaderOptions) {}

  async run(): Promise<void> {
    const { signal } = this.opts;
    await this.discover(true);
    const discoveryEvery = this.opts.discoveryIntervalMs ?? 10_000;
    let lastDiscovery = Date.now();
    while (!signal.aborted && !this.failure) {
      this.startReady();
      if (this.running.size === 0 && [...this.shards.values()].every((s) => s.status === "done")) {
        // Nothing open: check once more for new shards before concluding.
        await this.discover(false);
        this.startReady();
        if (this.running.size === 0) break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(50, discoveryEvery - (Date.now() - lastDiscovery)));
        const onAbort = () => done();
        signal.addEventListener("abort", onAbort, { once: true });
        this.wake = done;
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve();
        }
      });
      this.wake = undefined;
      if (!signal.aborted && Date.now() - lastDiscovery >= discoveryEvery) {
        lastDiscovery = Date.now();
        await this.discover(false).catch((err: Error) =>
          this.opts.onEvent?.({
            type: "retry",
            shardId: "-",
            error: err.message,
            delayMs: discoveryEvery,
          }),
        );
      }
    }
    await Promise.allSettled([...this.running]);
    if (this.failure && !signal.aborted) throw this.failure;
  }

  /** Shards by id with their status, for tests and diagnostics. */
  status(): Record<string, ShardState["status"]> {
    return Object.fromEntries([...this.shards.values()].map((s) => [s.id, s.status]));
  }

  private async discover(initial: boolean): Promise<void> {
    if (this.discovering) return this.discovering;
    this.discovering = (async () => {
      const listed = await this.listShards();
      for (const shard of listed)
        this.addShard(
          shard.ShardId!,
          parentsOf(shard),
          initial,
          shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
        );
    })().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private addShard(id: string, parents: string[], initial: boolean, closed: boolean): void {
    if (this.shards.has(id)) return;
    if (initial) this.shardsSeenAtStart.add(id);
    // With LATEST, shards that were already closed when we started hold only old records.
    const skip = initial && closed && this.opts.from.type === "LATEST";
    this.shards.set(id, { id, parents, status: skip ? "done" : "waiting" });
  }

  private startReady(): void {
    for (const shard of this.shards.values()) {
      if (shard.status !== "waiting") continue;
      // Parents we never saw (expired past the retention period) do not hold a child back.
      const blocked = shard.parents.some(
        (p) => this.shards.has(p) && this.shards.get(p)!.status !== "done",
      );
      if (blocked) continue;
      shard.status = "reading";
      const task = this.readShard(shard)
        .catch((err: Error) => {
          if (!this.opts.signal.aborted) this.failure ??= err;
        })
        .finally(() => {
          this.running.delete(task);
          this.wake?.();
        });
      this.running.add(task);
    }
  }

  private position(shard: ShardState): { type: ShardIteratorType; timestamp?: number } {
    const from = this.opts.from;
    if (from.type === "AT_TIMESTAMP") return { type: "AT_TIMESTAMP", timestamp: from.timestamp };
    // LATEST applies to the shards open at start; shards born since hold only new records.
    if (from.type === "LATEST" && !this.shardsSeenAtStart.has(shard.id))
      return { type: "TRIM_HORIZON" };
    return { type: from.type };
  }

  private async readShard(shard: ShardState): Promise<void> {
    const { signal } = this.opts;
    const pos = this.position(shard);
    let minArrival = 0;
    let iterator: string | undefined;
    let lastSequence: string | undefined;
    const fresh = async (): Promise<string | undefined> => {
      if (lastSequence)
        return this.iterator(shard.id, { type: "AFTER_SEQUENCE_NUMBER" }, lastSequence);
      if (pos.type === "AT_TIMESTAMP") {
        // Some local servers never answer AT_TIMESTAMP when no record is that recent: fall back
        // to the trim horizon and drop older records here.
        const timeout = AbortSignal.any([
          signal,
          AbortSignal.timeout(this.opts.iteratorTimeoutMs ?? 5_000),
        ]);
        try {
          return await this.iterator(shard.id, pos, undefined, timeout);
        } catch (err) {
          if (signal.aborted) throw err;
          minArrival = pos.timestamp!;
          return this.iterator(shard.id, { type: "TRIM_HORIZON" });
        }
      }
      return this.iterator(shard.id, pos);
    };
    this.opts.onEvent?.({ type: "shard-start", shardId: shard.id, position: pos.type });
    iterator = await this.retrying(shard.id, fresh);
    let failures = 0;
    while (iterator && !signal.aborted) {
      let out: GetRecordsCommandOutput;
      try {
        out = (await this.opts.client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.opts.limit ?? 10_000 }),
          {
            abortSignal: signal,
          },
        )) as GetRecordsCommandOutput;
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        const e = err as Error;
        if (e.name === "ExpiredIteratorException") {
          iterator = await this.retrying(shard.id, fresh);
          continue;
        }
        if (!retryable(e) || failures >= 10) throw e;
        const delay = Math.min(5_000, 200 * 2 ** failures++) * (0.5 + Math.random() / 2);
        this.opts.onEvent?.({
          type: "retry",
          shardId: shard.id,
          error: `${e.name}: ${e.message}`,
          delayMs: delay,
        });
        await sleep(delay, signal);
        continue;
      }
      const records: ReadRecord[] = [];
      for (const r of out.Records ?? []) {
        lastSequence = r.SequenceNumber;
        const arrivalTime = r.ApproximateArrivalTimestamp
          ? new Date(r.ApproximateArrivalTimestamp).getTime()
          : 0;
        if (arrivalTime < minArrival) continue;
        records.push(
          ...userRecords({
            shardId: shard.id,
            sequenceNumber: r.SequenceNumber!,
            partitionKey: r.PartitionKey ?? "",
            arrivalTime,
            data: r.Data ?? new Uint8Array(),
          }),
        );
      }
      if (records.length) await this.opts.onRecords(records);
      for (const child of out.ChildShards ?? []) {
        this.addShard(child.ShardId!, child.ParentShards ?? [shard.id], false, false);
      }
      iterator = out.NextShardIterator;
      if (!iterator) break;
      const caughtUp = (out.Records?.length ?? 0) === 0 || out.MillisBehindLatest === 0;
      await sleep(
        caughtUp ? (this.opts.pollIntervalMs ?? 500) : (this.opts.busyIntervalMs ?? 200),
        signal,
      );
    }
    if (signal.aborted) return;
    shard.status = "done";
    this.opts.onEvent?.({ type: "shard-end", shardId: shard.id });
    // The shard is closed: find its children (ChildShards may have named them already).
    await this.retrying(shard.id, () => this.discover(false));
  }

  private async iterator(
    shardId: string,
    pos: { type: ShardIteratorType; timestamp?: number },
    sequence?: string,
    signal: AbortSignal = this.opts.signal,
  ): Promise<string | undefined> {
    const out = (await this.opts.client.send(
      new GetShardIteratorCommand({
        StreamName: this.opts.streamName,
        ShardId: shardId,
        ShardIteratorType: pos.type,
        ...(sequence ? { StartingSequenceNumber: sequence } : {}),
        ...(pos.type === "AT_TIMESTAMP"
          ? { Timestamp: new Date(Math.min(pos.timestamp!, Date.now())) }
          : {}),
      }),
      { abortSignal: signal },
    )) as { ShardIterator?: string };
    return out.ShardIterator;
  }

  private listShards(): Promise<Shard[]> {
    return listShards(this.opts.client, this.opts.streamName, this.opts.signal);
  }

  /** Retries throttling and transient errors with backoff; rethrows the rest. */
  private async retrying<T>(shardId: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = err as Error;
        if (this.opts.signal.aborted || !retryable(e) || attempt >= 8) throw e;
        const delay = Math.min(5_000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.opts.onEvent?.({
          type: "retry",
          shardId,
          error: `${e.name}: ${e.message}`,
          delayMs: delay,
        });
        await sleep(delay, this.opts.signal);
      }
    }
  }
}

function parentsOf(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
}

function retryable(e: Error & { $metadata?: { httpStatusCode?: number }; code?: string }): boolean {
  if (
    [
      "ProvisionedThroughputExceededException",
      "LimitExceededException",
      "ThrottlingException",
      "KMSThrottlingException",
    ].includes(e.name)
  ) {
    return true;
  }
  if (e.name === "TimeoutError" || e.name === "RequestTimeout") return true;
  if (e.code && ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"].includes(e.code))
    return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}
