import type { KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { listShards } from "@tickstream/core/kinesis/shards";
import type { ConsumerSpec } from "@tickstream/core/resources";
import { invokeFunction, lambdaContext, type LocalFunction } from "../lambda.js";
import { Mutex, Waker, errorMessage, waitUntil, type Log } from "../timing.js";
import { processBatch, type BatchSettings, type InvokeResult } from "./batch.js";
import { CheckpointStore, compareSequence } from "./checkpoint.js";
import {
  onFailureRecord,
  toLambdaRecord,
  type OnFailureRecord,
  type StreamSource,
} from "./events.js";
import { shardsToStart } from "./lineage.js";
import type { ShardReadCache } from "./read-cache.js";
import { GET_RECORDS_MAX_BYTES, ShardReader } from "./shard-reader.js";

/**
 * A local stand-in for a Kinesis event source mapping: one poller per shard reads records in
 * order, gathers batches (batch size, batching window, payload limit), invokes the function
 * in this process with a Lambda-shaped event, within the function's time limit, and handles
 * the response as Lambda does (batch.ts). Progress is checkpointed per shard in the data
 * directory. Resharding is followed as Lambda follows it: a shard closed by SplitShard or
 * MergeShards is read to its end, and its children are read only once it (both parents, for a
 * merge) has been dealt with entirely, so that the records of a partition key reach the
 * function in order.
 */

export interface MappingSettings extends BatchSettings {
  batchSize: number;
  batchingWindowMs: number;
  /** Lambda's invocation payload limit (6 MB), counted on base64 data. */
  maxPayloadBytes: number;
  /** Pause between reads once a shard is caught up. */
  idlePollMs: number;
  /** How often the stream's shards are listed, to find the children of a reshard. */
  shardSyncMs: number;
}

export function settingsFromSpec(
  spec: ConsumerSpec,
  overrides: Partial<MappingSettings> = {},
): MappingSettings {
  return {
    batchSize: spec.batchSize,
    batchingWindowMs: spec.maxBatchingWindowSeconds * 1000,
    bisectBatchOnError: spec.bisectBatchOnError,
    retryAttempts: spec.retryAttempts,
    maxRecordAgeMs: spec.maxRecordAgeSeconds < 0 ? -1 : spec.maxRecordAgeSeconds * 1000,
    reportBatchItemFailures: spec.reportBatchItemFailures,
    maxPayloadBytes: 6 * 1024 * 1024 - 64 * 1024,
    idlePollMs: 200,
    shardSyncMs: 1000,
    retryDelayMs: (retry) => Math.min(100 * 2 ** (retry - 1), 5000),
    ...overrides,
  };
}

export interface ShardStatus {
  shardId: string;
  checkpoint: string | undefined;
  /** The last read came back empty with nothing waiting to be processed. */
  caughtUp: boolean;
  /** When the last empty read was issued (epoch ms). */
  lastEmptyReadAt: number | undefined;
  invocations: number;
  failedRecords: number;
  /** Closed by a reshard, read to its end, and every record dealt with. */
  closed: boolean;
}

export interface MappingOptions {
  kinesis: KinesisClient;
  region: string;
  streamName: string;
  fn: LocalFunction;
  settings: MappingSettings;
  checkpoints: CheckpointStore;
  /** The on-failure destination. */
  onFailure: (doc: OnFailureRecord) => Promise<void>;
  log: Log;
  /** Records the runtime's other readers of the stream have read already. */
  cache?: ShardReadCache;
}

/** A record's share of the invocation payload: its data in base64 and the event's fields. */
function recordBytes(r: _Record): number {
  return Math.ceil(((r.Data?.length ?? 0) * 4) / 3) + (r.PartitionKey?.length ?? 0) + 400;
}

/** Data bytes that still fit in a payload that has `bytes` of records (base64 is 4/3 larger). */
function dataRoom(maxPayloadBytes: number, bytes: number): number {
  return Math.min(GET_RECORDS_MAX_BYTES, Math.floor(((maxPayloadBytes - bytes) * 3) / 4));
}

class ShardPoller {
  readonly status: ShardStatus;
  private stopping = false;
  private readonly waker = new Waker();
  private running: Promise<void> | undefined;
  private readonly source: StreamSource;
  private reader!: ShardReader;
  private carry: _Record[] = [];

  constructor(
    private readonly options: MappingOptions,
    shardId: string,
    private readonly onFinished: () => void,
  ) {
    this.status = {
      shardId,
      checkpoint: undefined,
      caughtUp: false,
      lastEmptyReadAt: undefined,
      invocations: 0,
      failedRecords: 0,
      closed: false,
    };
    this.source = {
      region: options.region,
      streamName: options.streamName,
      shardId,
      invokeIdentityArn: `arn:aws:iam::000000000000:role/${options.fn.functionName}-role`,
    };
  }

  async start(): Promise<void> {
    this.status.checkpoint = await this.options.checkpoints.get(this.status.shardId);
    this.reader = new ShardReader(
      this.options.kinesis,
      this.options.streamName,
      this.status.shardId,
      this.status.checkpoint,
      this.options.cache,
    );
    this.running = this.loop().catch((err) => {
      this.options.log.error(
        `${this.options.fn.id} ${this.status.shardId}: poller stopped: ${errorMessage(err)}`,
      );
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.running;
    this.reader?.release();
  }

  private async invoke(records: KinesisStreamRecord[]): Promise<InvokeResult> {
    const { fn, region } = this.options;
    const event: KinesisStreamEvent = { Records: records };
    try {
      const response = await invokeFunction(fn, event, region);
      return { ok: true, response };
    } catch (error) {
      this.options.log.warn(
        `${fn.id} ${this.status.shardId}: function error on ${records.length} record(s): ${errorMessage(error)}`,
      );
      return { ok: false, error };
    }
  }

  private async commit(sequenceNumber: string): Promise<void> {
    const current = this.status.checkpoint;
    if (current && compareSequence(sequenceNumber, current) <= 0) return;
    await this.options.checkpoints.set(this.status.shardId, sequenceNumber);
    this.status.checkpoint = sequenceNumber;
  }

  /** Gathers the next batch; empty when stopping or when the shard has ended. */
  private async gather(): Promise<_Record[]> {
    const { batchSize, batchingWindowMs, maxPayloadBytes, idlePollMs } = this.options.settings;
    const batch = this.carry;
    this.carry = [];
    let bytes = batch.reduce((n, r) => n + recordBytes(r), 0);
    let gatherStart = batch.length > 0 ? Date.now() : undefined;
    let errorStreak = 0;
    while (!this.stopping) {
      if (batch.length >= batchSize || bytes >= maxPayloadBytes) break;
      const remaining =
        gatherStart === undefined ? Infinity : batchingWindowMs - (Date.now() - gatherStart);
      if (remaining <= 0) break;
      const readAt = Date.now();
      let records: _Record[];
      try {
        records = await this.reader.read(batchSize - batch.length, dataRoom(maxPayloadBytes, bytes));
        errorStreak = 0;
      } catch (err) {
        if (this.stopping) break;
        if (errorStreak++ === 0) {
          this.options.log.warn(
            `${this.options.fn.id} ${this.status.shardId}: read failed, retrying: ${errorMessage(err)}`,
          );
        }
        await this.waker.sleep(1000);
        continue;
      }
      if (records.length === 0) {
        if (batch.length === 0) {
          this.status.caughtUp = true;
          this.status.lastEmptyReadAt = readAt;
        }
        if (this.reader.closed) break;
        await this.waker.sleep(Math.min(idlePollMs, remaining));
        continue;
      }
      this.status.caughtUp = false;
      for (const record of records) {
        const size = recordBytes(record);
        if (this.carry.length > 0 || (batch.length > 0 && bytes + size > maxPayloadBytes))
          this.carry.push(record);
        else {
          batch.push(record);
          bytes += size;
        }
      }
      if (this.carry.length > 0) break;
      gatherStart ??= Date.now();
      if (batchingWindowMs <= 0) break;
    }
    return batch;
  }

  private async loop(): Promise<void> {
    const { fn } = this.options;
    while (!this.stopping) {
      const raw = await this.gather();
      if (raw.length === 0) {
        if (this.reader.closed && !this.stopping) return this.finish();
        continue;
      }
      const records = raw.map((r) => toLambdaRecord(r, this.source));
      let outcome;
      try {
        outcome = await this.process(records);
      } catch (err) {
        // The destination or the checkpoint could not be written: read again from the
        // checkpoint rather than skip anything.
        this.options.log.warn(
          `${fn.id} ${this.status.shardId}: ${errorMessage(err)}; reading again from the checkpoint`,
        );
        this.carry = [];
        this.reader.rewind(this.status.checkpoint);
        await this.waker.sleep(1000);
        continue;
      }
      this.status.invocations += outcome.invocations;
      this.status.failedRecords += outcome.failedRecords;
      if (!outcome.completed) return;
    }
  }

  /** The shard is closed and everything in it is done: its children may be read. */
  private async finish(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.options.checkpoints.finish(this.status.shardId, this.status.checkpoint);
        this.status.closed = true;
        this.onFinished();
        return;
      } catch (err) {
        this.options.log.warn(
          `${this.options.fn.id} ${this.status.shardId}: cannot record the end of the shard, retrying: ${errorMessage(err)}`,
        );
        await this.waker.sleep(1000);
      }
    }
  }

  private process(records: KinesisStreamRecord[]) {
    const { settings, onFailure, fn } = this.options;
    return processBatch(records, settings, {
      invoke: (rs) => this.invoke(rs),
      checkpoint: (seq) => this.commit(seq),
      onFailure: async (rs, info) => {
        this.options.log.warn(
          `${fn.id} ${this.status.shardId}: ${rs.length} record(s) sent to the on-failure destination (${info.condition})`,
        );
        await onFailure(
          onFailureRecord(rs, {
            functionArn: lambdaContext(fn, this.options.region).invokedFunctionArn,
            condition: info.condition,
            invokeCount: info.invokeCount,
            functionError: info.functionError,
            shardId: this.status.shardId,
          }),
        );
      },
      stopping: () => this.stopping,
      now: () => Date.now(),
      sleep: (ms) => this.waker.sleep(ms),
    });
  }
}

export class EventSourceMapping {
  private readonly pollers = new Map<string, ShardPoller>();
  /** Shards closed by a reshard and dealt with entirely (in this run or an earlier one). */
  private readonly finished = new Set<string>();
  /** The shards of the last listing. */
  private listed: string[] = [];
  private listedAt = 0;
  private stopping = false;
  private readonly waker = new Waker();
  private readonly syncs = new Mutex();
  private watching: Promise<void> | undefined;

  constructor(readonly options: MappingOptions) {}

  get id(): string {
    return this.options.fn.id;
  }

  async start(): Promise<void> {
    await this.sync();
    this.watching = this.watch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.watching;
    await this.syncs.run(async () => undefined);
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
  }

  /** Lists the shards again and again: a reshard adds children, which get pollers in turn. */
  private async watch(): Promise<void> {
    let errorStreak = 0;
    while (!this.stopping) {
      await this.waker.sleep(this.options.settings.shardSyncMs);
      if (this.stopping) break;
      try {
        await this.sync();
        errorStreak = 0;
      } catch (err) {
        if (errorStreak++ === 0)
          this.options.log.warn(`${this.id}: cannot list the shards: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * Starts a poller for every listed shard that has none, is not finished, and whose parents
   * (if still listed) are finished.
   */
  private sync(): Promise<void> {
    return this.syncs.run(async () => {
      const at = Date.now();
      const shards = await listShards(this.options.kinesis, this.options.streamName);
      const ids = new Set(shards.flatMap((s) => (s.ShardId ? [s.ShardId] : [])));
      const ready = await shardsToStart(shards, {
        reading: (id) => this.pollers.has(id),
        finished: this.finished,
        checkpoints: this.options.checkpoints,
      });
      for (const id of ready) {
        if (this.stopping) break;
        const poller = new ShardPoller(this.options, id, () => {
          this.finished.add(id);
          // Its children may start now rather than at the next listing.
          this.waker.wake();
        });
        this.pollers.set(id, poller);
        await poller.start();
      }
      this.listed = [...ids];
      this.listedAt = at;
    });
  }

  status(): ShardStatus[] {
    return [...this.pollers.values()].map((p) => ({ ...p.status }));
  }

  /**
   * Resolves once every shard listed after `since` has come back empty from a read issued at or
   * after `since`, or is finished: everything put before `since` has been dealt with.
   */
  async waitCaughtUp(since = Date.now(), timeoutMs = 60_000): Promise<void> {
    if (!this.stopping) await this.sync().catch(() => undefined);
    await waitUntil(
      () =>
        this.listedAt >= since &&
        this.listed.every((id) => {
          if (this.finished.has(id)) return true;
          const p = this.pollers.get(id)?.status;
          return !!p && p.caughtUp && (p.lastEmptyReadAt ?? 0) >= since;
        }),
      `${this.id} to catch up`,
      timeoutMs,
    );
  }
}
